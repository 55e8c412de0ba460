// The dashboard (/_berth/ui) with the real berth, dockerd and a real browser
// (Debian's headless Chromium, driven by tests/integration/dashboard_browser.py
// over the DevTools pipe): a task's row shows RUNNING, its port link
// answers, its details show the not-honoured notes and its awslogs lines
// (escaped), and the Stop button stops it through StopTask while the row
// changes in place. Also: the dashboard answers 403 to a task on Berth's
// gateway listener, and refuses cross-site stop requests.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

class DashboardTest : public EcsTaskFixture {
 protected:
  std::string Ui() const { return server_->endpoint() + "/_berth/ui/"; }

  // Runs `script` with sh in `container`.
  CommandResult Exec(const std::string& container, const std::string& script) {
    return Docker({"exec", container, "sh", "-c", script}, "", 60);
  }

  // A bridge definition of one container "web" serving `image`'s page on a
  // published port after printing two lines to awslogs, one of them markup.
  json WebTd(const std::string& family, const std::string& image) {
    json web = Container(
        "web", image,
        std::string("echo '<img src=x onerror=window.__xss=true>'; echo dashboard-line-1; ") +
            kServe80);
    web["portMappings"] = {{{"containerPort", 80}, {"hostPort", 0}}};
    web["logConfiguration"] = {{"logDriver", "awslogs"},
                               {"options",
                                {{"awslogs-group", "/berth/dashboard-" + id_},
                                 {"awslogs-region", "us-east-1"},
                                 {"awslogs-create-group", "true"},
                                 {"awslogs-stream-prefix", "web"}}}};
    // Not honoured locally (and listed as such): no Secrets Manager here.
    web["secrets"] = {
        {{"name", "TOKEN"}, {"valueFrom", "arn:aws:ssm:us-east-1:000000000000:parameter/token"}}};
    json td = Ec2Td(family, "bridge", json::array({web}));
    td["executionRoleArn"] = "arn:aws:iam::000000000000:role/exec";
    return td;
  }
};

TEST_F(DashboardTest, ShowsATaskLiveAndStopsItFromTheBrowser) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium") || std::getenv("BERTH_CHROMIUM"))
      << "chromium is not installed (./dev install installs it)";
  const std::string page = "dashboard-page-" + id_;
  const std::string image = PushImage("dash-" + id_, page);
  CreateCluster();
  Register(WebTd("dash-" + id_, image));
  // A service beside it (for the services table, and the screenshot).
  Aws({"ecs", "create-service", "--cluster", cluster_, "--service-name", "web-" + id_,
       "--task-definition", "dash-" + id_, "--desired-count", "1"});
  const json task = RunTask("dash-" + id_);
  const std::string arn = task.value("taskArn", "");
  ASSERT_FALSE(arn.empty());
  const std::string id = TaskId(arn);

  // When the page is driven in Chromium
  const std::string screenshot = work_.path() + "/dashboard.png";
  const CommandResult browser = RunCommand(
      {"python3", SourceDir() + "/tests/integration/dashboard_browser.py", Ui(), id, screenshot},
      {}, "", 240);
  ASSERT_EQ(browser.exit_code, 0) << browser.out << browser.err << "\nberth log:\n" << LogTail();
  const json seen = json::parse(browser.out, nullptr, false);
  ASSERT_TRUE(seen.is_object()) << browser.out << browser.err;

  // then the row showed RUNNING, with a port link that answers with the page
  EXPECT_TRUE(seen.value("running", false)) << seen.dump(2);
  EXPECT_EQ(seen.value("portUrl", "").rfind("http://127.0.0.1:", 0), 0u) << seen.dump(2);
  EXPECT_EQ(seen.value("portStatus", 0), 200) << seen.dump(2);
  EXPECT_NE(seen.value("portBody", "").find(page), std::string::npos) << seen.dump(2);
  // the details listed what Berth did not honour, and the awslogs lines, as
  // text (the markup line never became an element or ran)
  const std::string details = seen.value("detailText", "");
  EXPECT_NE(details.find("secrets are not resolved"), std::string::npos) << details;
  EXPECT_NE(seen.value("logText", "").find("<img src=x onerror=window.__xss=true>"),
            std::string::npos)
      << seen.dump(2);
  EXPECT_NE(seen.value("logHtml", "").find("&lt;img"), std::string::npos) << seen.dump(2);
  EXPECT_EQ(seen.value("xss", true), false);
  EXPECT_EQ(seen.value("xssElements", -1), 0);
  EXPECT_EQ(seen.value("imagesShown", 0), 1);  // the pushed image, in its repository
  // Stop asked for confirmation, then the row went to STOPPED in place
  EXPECT_EQ(seen.value("confirmText", ""), "Confirm stop");
  EXPECT_TRUE(seen.value("stopped", false)) << seen.dump(2);
  EXPECT_TRUE(seen.value("noReload", false));
  // (the changes reached it as deltas, not whole snapshots)
  EXPECT_GT(seen.value("deltas", 0), 0) << seen.dump(2);
  EXPECT_NE(seen.value("servicesText", "").find("web-" + id_), std::string::npos) << seen.dump(2);
  EXPECT_NE(seen.value("servicesText", "").find("ACTIVE"), std::string::npos) << seen.dump(2);
  EXPECT_NE(seen.value("rowText", "").find("Stopped from the Berth dashboard"), std::string::npos)
      << seen.dump(2);
  // through StopTask, as the API shows.
  const json described = Describe(arn);
  EXPECT_EQ(described.value("lastStatus", ""), "STOPPED");
  EXPECT_EQ(described.value("stopCode", ""), "UserInitiated");
  EXPECT_EQ(described.value("stoppedReason", ""), "Stopped from the Berth dashboard");

  std::ifstream png(screenshot, std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n");
  // BERTH_SCREENSHOT=<path> keeps the screenshot (docs/dashboard.png).
  if (const char* keep = std::getenv("BERTH_SCREENSHOT")) {
    std::filesystem::copy_file(screenshot, keep, std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_F(DashboardTest, NeitherTasksNorOtherSitesCanUseIt) {
  const std::string image = BuildImage("dashboard-guard-" + id_);
  CreateCluster();
  Register(Ec2Td("guard-" + id_, "bridge", json::array({Container("web", image, kServe80)})));
  const json task = RunTask("guard-" + id_);
  const std::string arn = task.value("taskArn", "");
  const json running = WaitStatus(arn, "RUNNING", 60);
  const std::string container = ContainerOf(running, "web").value("runtimeId", "");
  ASSERT_FALSE(container.empty());

  // A task reaches Berth's API on its network's gateway, but not the
  // dashboard: neither the page nor the stop action.
  const CommandResult ui = Exec(container, "wget -q -O- \"$AWS_ENDPOINT_URL/_berth/ui/\"");
  EXPECT_NE(ui.exit_code, 0) << ui.out;
  EXPECT_NE(ui.err.find("403"), std::string::npos) << ui.err;
  const CommandResult stop = Exec(
      container, "wget -q -O- --header 'X-Berth-Action: stop-task' --post-data '{\"cluster\":\"" +
                     cluster_ + "\",\"task\":\"" + TaskId(arn) +
                     "\"}' \"$AWS_ENDPOINT_URL/_berth/ui/api/stop-task\"");
  EXPECT_NE(stop.err.find("403"), std::string::npos) << stop.err;

  // A cross-site form POST (no custom header, another Origin) is refused.
  const std::string body = "{\"cluster\":\"" + cluster_ + "\",\"task\":\"" + TaskId(arn) + "\"}";
  const HttpReply form =
      Curl(Ui() + "api/stop-task", {"-X", "POST", "-H", "Origin: https://evil.example", "-H",
                                    "Content-Type: text/plain", "--data-binary", body});
  EXPECT_EQ(form.status, 403) << form.body;
  // So is a page on another name that resolves to this machine (DNS rebinding).
  const HttpReply rebound = Curl(Ui() + "api/state", {"-H", "Host: evil.example"});
  EXPECT_EQ(rebound.status, 403) << rebound.body;
  EXPECT_EQ(Describe(arn).value("desiredStatus", ""), "RUNNING");

  // The dashboard's own request works, and stops the task.
  const HttpReply ok =
      Curl(Ui() + "api/stop-task", {"-X", "POST", "-H", "X-Berth-Action: stop-task", "-H",
                                    "Content-Type: application/json", "--data-binary", body});
  EXPECT_EQ(ok.status, 200) << ok.body;
  WaitStatus(arn, "STOPPED", 60);
}

}  // namespace
}  // namespace berth::testing
