// A full data directory through the AWS protocol: writes answer the
// operation's ServerException (HTTP 500) naming the cause, reads keep
// working, and nothing the refused write touched is changed. The full disk
// is injected as a database that may not grow (PRAGMA max_page_count).

#include "storage/out_of_space.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class OutOfSpaceApiTest : public ApiTest {
 protected:
  OutOfSpaceApiTest() {
    full_dispatcher_.Register(ecr_api_);
    full_dispatcher_.Register(ecs_api_);
  }

  // Caps the database at the pages it has now: the next write that needs a
  // page fails with SQLITE_FULL, as on a full disk.
  void FillTheDisk() {
    auto lease = database_.Acquire();
    lease.db().Execute("VACUUM");                     // no free pages left to reuse
    lease.db().Execute("PRAGMA max_page_count = 1");  // never below the current count
  }

  // A call through the dispatcher wired like main.cc's.
  ApiReply Full(const std::string& target, const json& input) {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers.Add("X-Amz-Target", target);
    request.headers.Add("Content-Type", "application/x-amz-json-1.1");
    request.body = input.dump();
    const http::Response response = full_dispatcher_.Handle(request);
    ApiReply reply{response.status, json::parse(response.body, nullptr, false), response.body};
    EXPECT_EQ(response.headers.Get("X-Amzn-ErrorType").value_or(reply.error_type()),
              reply.error_type());
    return reply;
  }

  aws::Dispatcher full_dispatcher_{
      aws::DispatcherOptions{"000000000000", "us-east-1", storage::OutOfSpaceMessage, {}}, clock_};
};

TEST_F(OutOfSpaceApiTest, EcrWritesAnswerServerExceptionAndReadsWork) {
  // Given a repository, then a full disk
  EcrOk("CreateRepository", {{"repositoryName", "kept"}});
  FillTheDisk();
  // When another repository is created, with more tags than a page holds
  json tags = json::array();
  for (int i = 0; i < 50; ++i) {
    tags.push_back({{"Key", "k" + std::to_string(i)}, {"Value", std::string(200, 'v')}});
  }
  const ApiReply r = Full(std::string(kEcrPrefix) + "CreateRepository",
                          {{"repositoryName", "refused"}, {"tags", tags}});
  // Then ECR's server fault names the cause
  EXPECT_EQ(r.status, 500u) << r.raw;
  EXPECT_EQ(r.error_type(), "ServerException") << r.raw;
  EXPECT_TRUE(r.message().starts_with(storage::kNoSpaceLeft)) << r.raw;
  // And reads keep working, with nothing changed
  const ApiReply read = Full(std::string(kEcrPrefix) + "DescribeRepositories", json::object());
  ASSERT_EQ(read.status, 200u) << read.raw;
  ASSERT_EQ(read.body["repositories"].size(), 1u);
  EXPECT_EQ(read.body["repositories"][0]["repositoryName"], "kept");
}

TEST_F(OutOfSpaceApiTest, EcsWritesAnswerServerException) {
  // Given a full disk
  FillTheDisk();
  // When a task definition with a large document is registered
  json environment = json::array();
  for (int i = 0; i < 64; ++i) {
    environment.push_back({{"name", "V" + std::to_string(i)}, {"value", std::string(1000, 'x')}});
  }
  const ApiReply r = Full(
      std::string(kEcsPrefix) + "RegisterTaskDefinition",
      {{"family", "full"},
       {"containerDefinitions",
        {{{"name", "app"}, {"image", "busybox"}, {"memory", 32}, {"environment", environment}}}}});
  // Then ECS's server fault names the cause, and nothing was registered
  EXPECT_EQ(r.status, 500u) << r.raw;
  EXPECT_EQ(r.error_type(), "ServerException") << r.raw;
  EXPECT_TRUE(r.message().starts_with(storage::kNoSpaceLeft)) << r.raw;
  const ApiReply families =
      Full(std::string(kEcsPrefix) + "ListTaskDefinitionFamilies", json::object());
  ASSERT_EQ(families.status, 200u) << families.raw;
  EXPECT_TRUE(families.body["families"].empty()) << families.raw;
}

TEST_F(OutOfSpaceApiTest, OtherFailuresStayInternalFailure) {
  // Without a cause the fault stays opaque (the default dispatcher).
  aws::Dispatcher plain{aws::DispatcherOptions{}, clock_};
  plain.Register(ecr_api_);
  FillTheDisk();
  http::Request request;
  request.method = "POST";
  request.target = "/";
  request.headers.Add("X-Amz-Target", std::string(kEcrPrefix) + "CreateRepository");
  request.headers.Add("Content-Type", "application/x-amz-json-1.1");
  json tags = json::array();
  for (int i = 0; i < 50; ++i) {
    tags.push_back({{"Key", "k" + std::to_string(i)}, {"Value", std::string(200, 'v')}});
  }
  request.body = json{{"repositoryName", "other"}, {"tags", tags}}.dump();
  const http::Response response = plain.Handle(request);
  EXPECT_EQ(response.status, 500u);
  EXPECT_EQ(json::parse(response.body).value("__type", ""), "InternalFailure") << response.body;
}

}  // namespace
}  // namespace berth::testing
