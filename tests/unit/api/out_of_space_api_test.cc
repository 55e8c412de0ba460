// A full data directory through the AWS protocol: writes answer the
// operation's ServerException (HTTP 500) naming the cause, reads keep
// working, and nothing the refused write touched is changed. The full disk
// is injected as a database that may not grow (PRAGMA max_page_count). With
// group commit, a reply is held until its commit, and a commit that fails
// turns it into the same ServerException.

#include <exception>
#include <filesystem>
#include <functional>
#include <system_error>

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

  // A CreateRepository call, for the group commit tests.
  static http::Request CreateRepositoryRequest(const std::string& name) {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers.Add("X-Amz-Target", std::string(kEcrPrefix) + "CreateRepository");
    request.headers.Add("Content-Type", "application/x-amz-json-1.1");
    request.body = json{{"repositoryName", name}}.dump();
    return request;
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

TEST_F(OutOfSpaceApiTest, AHeldReplyWhoseGroupCommitFailsBecomesServerException) {
  // Given a dispatcher whose group commit fails for lack of space
  aws::DispatcherOptions options{"000000000000", "us-east-1", storage::OutOfSpaceMessage, {}};
  options.group_writes =
      [](const std::function<void()>& handler) -> std::function<std::exception_ptr()> {
    handler();
    return [] {
      return std::make_exception_ptr(std::filesystem::filesystem_error(
          "commit", std::make_error_code(std::errc::no_space_on_device)));
    };
  };
  aws::Dispatcher grouped{options, clock_};
  grouped.Register(ecr_api_);
  // When a write's reply is made, it is held
  http::Response response = grouped.Handle(CreateRepositoryRequest("held"));
  ASSERT_TRUE(response.before_send);
  EXPECT_EQ(response.status, 200u) << response.body;
  // And once the commit fails, it is ECR's server fault naming the cause
  auto before_send = std::move(response.before_send);
  before_send(response);
  EXPECT_EQ(response.status, 500u);
  const json body = json::parse(response.body);
  EXPECT_EQ(body.value("__type", ""), "ServerException") << response.body;
  EXPECT_TRUE(body.value("message", "").starts_with(storage::kNoSpaceLeft)) << response.body;
  EXPECT_EQ(response.operation, "ecr.CreateRepository");
}

TEST_F(OutOfSpaceApiTest, WithGroupCommitAWriteIsDurableOnceItsReplySettles) {
  aws::DispatcherOptions options;
  options.group_writes = [this](const std::function<void()>& handler) {
    storage::Database::RequestScope scope(database_);
    handler();
    return scope.Settler();
  };
  aws::Dispatcher grouped{options, clock_};
  grouped.Register(ecr_api_);
  http::Response first = grouped.Handle(CreateRepositoryRequest("one"));
  http::Response second = grouped.Handle(CreateRepositoryRequest("two"));
  ASSERT_TRUE(first.before_send);
  ASSERT_TRUE(second.before_send);
  auto settle_first = std::move(first.before_send);
  settle_first(first);
  auto settle_second = std::move(second.before_send);
  settle_second(second);
  EXPECT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(second.status, 200u) << second.body;
  // A refused write is refused, held or not
  http::Response again = grouped.Handle(CreateRepositoryRequest("one"));
  if (again.before_send) {
    auto settle = std::move(again.before_send);
    settle(again);
  }
  EXPECT_EQ(again.status, 400u) << again.body;  // RepositoryAlreadyExistsException
  const ApiReply listed = Full(std::string(kEcrPrefix) + "DescribeRepositories", json::object());
  EXPECT_EQ(listed.body["repositories"].size(), 2u) << listed.raw;
}

}  // namespace
}  // namespace berth::testing
