// The task endpoints at 169.254.170.2 under load, from inside a real awsvpc
// task (real dockerd, berth and CLI; busybox clients in the task's app
// container): many clients at once, each on a new connection, all get whole
// and correct answers; clients that connect and never send hold up nobody;
// and past the relay's cap of 256 connections a new one waits (in the
// kernel's backlog) until an older one closes, then is answered.
//
// Every request to 169.254.170.2 is sent only after `ip route get` inside
// the same container said the address is local.

#include <string>

#include "tests/integration/ecs_task_fixture.h"

namespace berth::testing {
namespace {

class TaskEndpointsLoadTest : public EcsTaskFixture {
 protected:
  // Starts an awsvpc task with a task role whose one container "app" is a
  // busybox image; returns its ARN once RUNNING, and its app container.
  std::string StartTask(std::string& app) {
    CreateCluster();
    const std::string family = "load-" + id_;
    Register({{"family", family},
              {"networkMode", "awsvpc"},
              {"requiresCompatibilities", {"FARGATE"}},
              {"cpu", "256"},
              {"memory", "512"},
              {"taskRoleArn", "arn:aws:iam::000000000000:role/load-role"},
              {"containerDefinitions",
               {{{"name", "app"}, {"image", BuildImage("ok")}, {"essential", true}}}}});
    const std::string arn = RunFargateTask(family).value("taskArn", "");
    app = ContainerOf(WaitStatus(arn, "RUNNING"), "app").value("runtimeId", "");
    const CommandResult route = Exec(app, "ip route get 169.254.170.2", 60);
    if (route.out.rfind("local 169.254.170.2 dev lo", 0) != 0) {
      // Nothing may be sent there: the request could reach the host's own.
      ADD_FAILURE() << "169.254.170.2 is not local in the task's namespace: " << route.out
                    << route.err;
      app.clear();
    }
    return arn;
  }

  CommandResult Exec(const std::string& container, const std::string& script, int seconds) {
    return Docker({"exec", container, "sh", "-c", script}, "", seconds);
  }

  // Splits what the scripts print: bodies separated by lines "----".
  static std::vector<std::string> Bodies(const std::string& out) {
    std::vector<std::string> bodies;
    size_t at = 0;
    for (size_t next; (next = out.find("\n----\n", at)) != std::string::npos; at = next + 6) {
      bodies.push_back(out.substr(at, next - at));
    }
    return bodies;
  }

  void StopTask(const std::string& arn) {
    Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", arn});
    WaitStatus(arn, "STOPPED");
  }
};

TEST_F(TaskEndpointsLoadTest, FiftyClientsAtOnceOnNewConnectionsAllGetWholeCorrectAnswers) {
  std::string app;
  const std::string arn = StartTask(app);
  ASSERT_FALSE(app.empty());

  // When 50 clients at once each fetch the task metadata and the
  // credentials 10 times, each request on a new connection (busybox wget)
  const CommandResult run = Exec(app, R"sh(mkdir -p /tmp/r
for i in $(seq 1 50); do
  for j in $(seq 1 10); do
    wget -q -O /tmp/r/t$i-$j "$ECS_CONTAINER_METADATA_URI_V4/task" || echo "failed t$i-$j"
    wget -q -O /tmp/r/c$i-$j "http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" ||
      echo "failed c$i-$j"
  done &
done
wait
for f in /tmp/r/t*; do cat $f; printf '\n----\n'; done
printf '====\n'
for f in /tmp/r/c*; do cat $f; printf '\n----\n'; done
)sh",
                                 240);
  ASSERT_EQ(run.exit_code, 0) << run.err << LogTail();
  ASSERT_EQ(run.out.find("failed"), std::string::npos) << run.out.substr(0, 2000) << LogTail();

  // Then all 1,000 answers are whole JSON documents, for this task
  const size_t split = run.out.find("====\n");
  ASSERT_NE(split, std::string::npos);
  const std::vector<std::string> tasks = Bodies(run.out.substr(0, split));
  const std::vector<std::string> creds = Bodies(run.out.substr(split + 5));
  ASSERT_EQ(tasks.size(), 500u);
  ASSERT_EQ(creds.size(), 500u);
  for (const std::string& body : tasks) {
    const json t = json::parse(body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(t.is_object()) << "not a whole answer: " << body;
    EXPECT_EQ(t.value("TaskARN", ""), arn);
    ASSERT_EQ(t["Containers"].size(), 1u) << body;
    EXPECT_EQ(t["Containers"][0].value("DockerId", ""), app);
  }
  for (const std::string& body : creds) {
    const json k = json::parse(body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(k.is_object()) << "not a whole answer: " << body;
    EXPECT_EQ(k.value("RoleArn", ""), "arn:aws:iam::000000000000:role/load-role");
    EXPECT_EQ(k.value("AccessKeyId", ""), "000000000000");
  }
  StopTask(arn);
}

TEST_F(TaskEndpointsLoadTest, ClientsThatNeverSendHoldUpNobodyAndPastTheCapNewOnesWait) {
  std::string app;
  const std::string arn = StartTask(app);
  ASSERT_FALSE(app.empty());

  // Given clients that connect and never send nor close (busybox nc reading
  // from a FIFO that is open for writing but never written)
  const CommandResult run = Exec(app, R"sh(mkdir -p /tmp/w
mkfifo /tmp/w/silent
exec 3<>/tmp/w/silent
upstream=${AWS_ENDPOINT_URL#http://}
held() { netstat -tn | grep " $upstream " | grep -c ESTABLISHED || true; }
idle=""
open_idle() {
  for i in $(seq 1 $1); do nc 169.254.170.2 80 <&3 >/dev/null & idle="$idle $!"; done
}
settle() {  # until the relay holds $1 connections to Berth (at most 10 s)
  for i in $(seq 1 100); do [ "$(held)" -ge $1 ] && break; sleep 0.1; done
}

# 20 silent clients: a request from another client is answered at once.
open_idle 20
settle 20
echo "held with 20 silent: $(held)"
timeout 10 wget -q -O /tmp/w/first "$ECS_CONTAINER_METADATA_URI_V4/task"
echo "first: $?"

# 300 silent clients, more than the relay's 256: it holds 256, and a new
# request waits until silent ones go away.
open_idle 280
settle 256
sleep 0.5
echo "held with 300 silent: $(held)"
wget -q -O /tmp/w/second "$ECS_CONTAINER_METADATA_URI_V4/task" &
waiting=$!
sleep 1
kill -0 $waiting && echo "second waits"
kill $idle
wait $waiting
echo "second: $?"
for f in first second; do cat /tmp/w/$f; printf '\n----\n'; done
)sh",
                                 120);

  // Then
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << LogTail();
  EXPECT_NE(run.out.find("held with 20 silent: 20\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("first: 0\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("held with 300 silent: 256\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("second waits\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("second: 0\n"), std::string::npos) << run.out;
  const size_t start = run.out.find("second: 0\n");
  const std::vector<std::string> bodies =
      Bodies(start == std::string::npos ? "" : run.out.substr(start + 10));
  ASSERT_EQ(bodies.size(), 2u) << run.out;
  for (const std::string& body : bodies) {
    const json t = json::parse(body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(t.is_object()) << "not a whole answer: " << body << "\nscript output:\n" << run.out;
    EXPECT_EQ(t.value("TaskARN", ""), arn);
  }
  // And the relay keeps serving once they are gone
  const CommandResult after = Exec(app, "wget -q -O- \"$ECS_CONTAINER_METADATA_URI_V4/task\"", 30);
  EXPECT_EQ(json::parse(after.out, nullptr, false).value("TaskARN", ""), arn) << after.err;
  StopTask(arn);
}

}  // namespace
}  // namespace berth::testing
