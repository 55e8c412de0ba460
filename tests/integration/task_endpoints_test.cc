// Inside a task, with the real dockerd, berth and CLIs: the task's own
// 169.254.170.2 (local in its namespace before anything is sent there), the
// metadata endpoint v4, task-role credentials that only the task itself can
// read, and the aws CLI (Debian's v2, run inside the task from an image made
// offline of this machine's files) finding the task through Berth with the
// SDK's default credential chain and AWS_ENDPOINT_URL.
//
// Every request to 169.254.170.2 is sent only after `ip route get` inside
// the same container said the address is local.

#include <filesystem>
#include <set>

#include "tests/integration/ecs_task_fixture.h"

namespace berth::testing {
namespace {

class TaskEndpointsTest : public EcsTaskFixture {
 protected:
  // The app container of a running task.
  std::string AppContainer(const json& task) {
    return ContainerOf(task, "app").value("runtimeId", "");
  }

  // Runs `script` with sh in `container`; returns its result.
  CommandResult Exec(const std::string& container, const std::string& script) {
    return Docker({"exec", container, "sh", "-c", script}, "", 60);
  }

  // Asserts that 169.254.170.2 is local in the container's namespace.
  void ExpectLocalRoute(const std::string& container) {
    const CommandResult route = Exec(container, "ip route get 169.254.170.2");
    ASSERT_EQ(route.exit_code, 0) << route.err;
    ASSERT_EQ(route.out.rfind("local 169.254.170.2 dev lo", 0), 0u)
        << "169.254.170.2 is not local in the task's namespace: " << route.out;
  }

  // GETs `url` from inside `container` with busybox wget (after the route
  // check); returns what it printed (stdout, then stderr).
  CommandResult Fetch(const std::string& container, const std::string& url) {
    ExpectLocalRoute(container);
    return Exec(container, "wget -q -O- " + url);  // (busybox 1.35 wget crashes with -T)
  }

  // An awsvpc Fargate task definition of one container "app" running `image`.
  json Definition(const std::string& family, const std::string& image, json extra = {}) {
    json td = {{"family", family},
               {"networkMode", "awsvpc"},
               {"requiresCompatibilities", {"FARGATE"}},
               {"cpu", "256"},
               {"memory", "512"},
               {"containerDefinitions",
                {{{"name", "app"},
                  {"image", image},
                  {"essential", true},
                  {"portMappings", {{{"containerPort", 80}}}}}}}};
    if (extra.is_object()) td.update(extra);
    return td;
  }

  // Builds an image FROM scratch of this machine's Debian python3 and the
  // aws CLI v2 (/usr/bin/aws) with the shared libraries they load, plus
  // busybox; returns its tag.
  std::string BuildAwsCliImage() {
    const std::string tag = "berth-test-" + id_ + "-awscli";
    const std::filesystem::path context = std::filesystem::path(work_.path()) / "awscli";
    const std::string script = R"sh(set -e
root="$1/root"
mkdir -p "$root/usr/bin" "$root/bin" "$root/tmp" "$root/etc/ssl" "$root/usr/lib/python3" \
  "$root/lib64" "$root/usr/lib/x86_64-linux-gnu"
cp -a /usr/bin/python3.11 /usr/bin/aws "$root/usr/bin/"
ln -s python3.11 "$root/usr/bin/python3"
cp -a /usr/lib/python3.11 "$root/usr/lib/"
rm -rf "$root/usr/lib/python3.11/test"
cp -a /usr/lib/python3/dist-packages "$root/usr/lib/python3/"
{ ldd /usr/bin/python3.11
  find /usr/lib/python3.11/lib-dynload /usr/lib/python3/dist-packages -name '*.so*' \
    -exec ldd {} \; ; } 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u |
  while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
cp -aL /etc/ssl/openssl.cnf "$root/etc/ssl/"
cp -a /usr/lib/ssl "$root/usr/lib/"
for d in ossl-modules engines-3; do
  [ -d "/usr/lib/x86_64-linux-gnu/$d" ] && cp -a "/usr/lib/x86_64-linux-gnu/$d" "$root/usr/lib/x86_64-linux-gnu/"
done
cp /bin/busybox "$root/bin/busybox"
for applet in sh ip wget cat env sleep; do ln -s busybox "$root/bin/$applet"; done
)sh";
    std::filesystem::create_directories(context);
    const CommandResult made =
        RunCommand({"sh", "-c", script, "sh", context.string()}, {}, "", 120);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    WriteFile(context / "Dockerfile",
              "FROM scratch\nLABEL berth.test=1 berth.test.id=" + id_ +
                  "\nCOPY root /\nENV PATH=/usr/bin:/bin HOME=/tmp\n"
                  "CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 600 & wait\"]\n");
    tags_.push_back(tag);
    DockerOk({"build", "-q", "--force-rm", "-t", tag, context.string()});
    return tag;
  }
};

TEST_F(TaskEndpointsTest, MetadataAndCredentialsAnswerOnlyTheTaskThatAsks) {
  CreateCluster();
  const std::string image = PushImage("endpoints-" + id_, "ok");
  Register(Definition("meta-" + id_, image,
                      {{"taskRoleArn", "arn:aws:iam::000000000000:role/app-role"},
                       {"executionRoleArn", "arn:aws:iam::000000000000:role/exec-role"}}));
  const std::string a = RunFargateTask("meta-" + id_).value("taskArn", "");
  const std::string b = RunFargateTask("meta-" + id_).value("taskArn", "");
  const json task_a = WaitStatus(a, "RUNNING");
  const json task_b = WaitStatus(b, "RUNNING");
  const std::string app_a = AppContainer(task_a);
  const std::string app_b = AppContainer(task_b);
  ASSERT_FALSE(app_a.empty());
  ASSERT_FALSE(app_b.empty());

  // The variables ECS gives every container.
  const CommandResult env = Exec(app_a, "env");
  ASSERT_EQ(env.exit_code, 0) << env.out << env.err;
  const std::string v4 = Trim(Exec(app_a, "echo $ECS_CONTAINER_METADATA_URI_V4").out);
  const std::string relative =
      Trim(Exec(app_a, "echo $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").out);
  ASSERT_EQ(v4.rfind("http://169.254.170.2/v4/" + TaskId(a) + "-", 0), 0u) << env.out;
  EXPECT_EQ(relative.rfind("/v2/credentials/", 0), 0u) << relative;
  EXPECT_EQ(Trim(Exec(app_a, "echo $ECS_CONTAINER_METADATA_URI").out),
            "http://169.254.170.2/v3/" + v4.substr(24));

  // Metadata: this container, then the task.
  const CommandResult container = Fetch(app_a, v4);
  ASSERT_EQ(container.exit_code, 0) << container.err << LogTail();
  const json c = json::parse(container.out);
  EXPECT_EQ(c["DockerId"], app_a);
  EXPECT_EQ(c["Name"], "app");
  EXPECT_EQ(c["KnownStatus"], "RUNNING");
  EXPECT_EQ(c["Networks"][0]["IPv4Addresses"][0], EniDetail(task_a, "privateIPv4Address"));
  const json t = json::parse(Fetch(app_a, v4 + "/task").out);
  EXPECT_EQ(t["TaskARN"], a);
  EXPECT_EQ(t["Family"], "meta-" + id_);
  EXPECT_EQ(t["Revision"], "1");
  EXPECT_EQ(t["LaunchType"], "FARGATE");
  EXPECT_EQ(t["Cluster"], task_a["clusterArn"]);
  EXPECT_EQ(t["Limits"]["CPU"], 0.25);
  // Stats are Docker's, of the real container.
  const json stats = json::parse(Fetch(app_a, v4 + "/stats").out);
  EXPECT_EQ(stats["id"], app_a);
  EXPECT_GT(stats["memory_stats"].value("usage", 0), 0);
  const json task_stats = json::parse(Fetch(app_a, v4 + "/task/stats").out);
  EXPECT_TRUE(task_stats.contains(app_a)) << task_stats.dump();

  // Credentials of the task's own role; never the execution role's.
  const CommandResult creds = Fetch(app_a, "http://169.254.170.2" + relative);
  ASSERT_EQ(creds.exit_code, 0) << creds.err;
  const json k = json::parse(creds.out);
  EXPECT_EQ(k["RoleArn"], "arn:aws:iam::000000000000:role/app-role");
  EXPECT_EQ(k["AccessKeyId"], "000000000000");
  EXPECT_TRUE(k.contains("SecretAccessKey") && k.contains("Token") && k.contains("Expiration"));

  // Task B cannot read A's credentials or A's metadata, and the host cannot
  // reach them through Berth's port either.
  const CommandResult stolen = Fetch(app_b, "http://169.254.170.2" + relative);
  EXPECT_NE(stolen.exit_code, 0) << stolen.out;
  EXPECT_NE(stolen.err.find("400"), std::string::npos) << stolen.err;
  const CommandResult peek = Fetch(app_b, v4 + "/task");
  EXPECT_NE(peek.exit_code, 0) << peek.out;
  EXPECT_EQ(Curl(server_->endpoint() + relative).status, 400);
  EXPECT_EQ(Curl(server_->endpoint() + v4.substr(20) + "/task").status, 404);

  // Berth's API answers the task on its gateway, but Berth's own endpoints
  // (reset above all) do not.
  const CommandResult health = Exec(app_a, "wget -q -O- \"$AWS_ENDPOINT_URL/_berth/health\"");
  EXPECT_NE(health.exit_code, 0) << health.out;
  EXPECT_NE(health.err.find("403"), std::string::npos) << health.err;
  const CommandResult reset =
      Exec(app_a, "wget -q -O- --post-data '' \"$AWS_ENDPOINT_URL/_berth/reset\"");
  EXPECT_NE(reset.err.find("403"), std::string::npos) << reset.err;
  const CommandResult api =
      Exec(app_a,
           "wget -q -O- --header 'X-Amz-Target: AmazonEC2ContainerServiceV20141113."
           "ListClusters' --header 'Content-Type: application/x-amz-json-1.1' "
           "--post-data '{}' \"$AWS_ENDPOINT_URL/\"");
  EXPECT_NE(api.out.find(cluster_), std::string::npos) << api.out << api.err;
  EXPECT_EQ(Describe(a).value("lastStatus", ""), "RUNNING");

  // The credentials die with the task.
  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", b});
  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", a});
  WaitStatus(a, "STOPPED");
  WaitStatus(b, "STOPPED");
}

TEST_F(TaskEndpointsTest, TheAwsCliInsideATaskFindsTheTaskThroughBerthWithTheTaskRole) {
  // Under strict authentication (issue 12: --credentials), so that the task
  // role's credentials are shown to verify, not merely to be accepted. The
  // test's own key acts in the default account; the fixture's polling is
  // signed with curl's SigV4.
  const TempDir keys;
  std::ofstream(keys.path() + "/credentials.json")
      << R"({"AKIDBERTHTEST": {"secretAccessKey": "berth-test-secret",
                               "accountId": "000000000000"}})";
  berth_args_ = {"--credentials", keys.path() + "/credentials.json"};
  curl_auth_ = {"--aws-sigv4", "aws:amz:us-east-1:ecs", "--user",
                "AKIDBERTHTEST:berth-test-secret"};
  StartBerth();
  CreateCluster();
  const std::string image = BuildAwsCliImage();
  Register(Definition("cli-" + id_, image,
                      {{"taskRoleArn", "arn:aws:iam::000000000000:role/cli-role"}}));
  const std::string arn = RunFargateTask("cli-" + id_).value("taskArn", "");
  const json task = WaitStatus(arn, "RUNNING", 60);
  const std::string app = AppContainer(task);
  ASSERT_FALSE(app.empty());
  ExpectLocalRoute(app);

  // The SDK's default chain finds the container credentials; the calls go to
  // Berth at AWS_ENDPOINT_URL (Debian's CLI 2.9 predates that variable, so it
  // is passed on; newer CLIs and SDKs read it themselves); the task is in the
  // account and region the credentials' key id and AWS_REGION name.
  const CommandResult who = Exec(app,
                                 "aws configure list && aws --endpoint-url \"$AWS_ENDPOINT_URL\" "
                                 "ecs list-tasks --cluster " +
                                     cluster_ + " --output json");
  ASSERT_EQ(who.exit_code, 0) << who.out << who.err << LogTail();
  EXPECT_NE(who.out.find("container-role"), std::string::npos) << who.out;
  EXPECT_NE(who.out.find(arn), std::string::npos) << who.out;
  const CommandResult metadata =
      Exec(app,
           "python3 -c \"import json,os,urllib.request as u; "
           "print(json.load(u.urlopen(os.environ['ECS_CONTAINER_METADATA_URI_V4'] + '/task'))"
           "['TaskARN'])\"");
  EXPECT_EQ(Trim(metadata.out), arn) << metadata.err;
  // The task's key without its session token is unknown to Berth.
  const CommandResult forged =
      Exec(app,
           "AWS_ACCESS_KEY_ID=000000000000 AWS_SECRET_ACCESS_KEY=guess "
           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI= aws --endpoint-url \"$AWS_ENDPOINT_URL\" "
           "ecs list-tasks --cluster " +
               cluster_);
  EXPECT_NE(forged.exit_code, 0);
  EXPECT_NE((forged.out + forged.err).find("UnrecognizedClientException"), std::string::npos)
      << forged.out << forged.err;

  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", arn});
  WaitStatus(arn, "STOPPED");
}

}  // namespace
}  // namespace berth::testing
