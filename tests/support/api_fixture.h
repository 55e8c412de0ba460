#pragma once

// In-process tests of the AWS APIs: the real dispatcher, ECR and ECS services
// over an in-memory database, fed raw JSON 1.1 requests. Every 200 reply is
// checked against the botocore output shape (unknown members, types,
// timestamps as numbers, no nulls), so each test also tests fidelity.

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws/dispatcher.h"
#include "server/aws/model/model_validator.h"
#include "server/aws/model/service_model.h"
#include "server/ecr/creation_templates.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_service.h"
#include "server/ecr/image_service.h"
#include "server/ecr/pull_through_rules.h"
#include "server/ecr/upload_service.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_service.h"
#include "server/util/clock.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "tests/support/fuzz_seeds.h"

namespace berth::testing {

// A clock tests move by hand; it may also move a little on every read, so
// that events of one step get distinct, ordered instants.
//
// Thread-safety: any thread (an atomic instant).
class ManualClock final : public Clock {
 public:
  double Now() const override {
    double now = now_.load();
    while (!now_.compare_exchange_weak(now, now + tick_)) {
    }
    return now;
  }
  void Advance(double seconds) {
    double now = now_.load();
    while (!now_.compare_exchange_weak(now, now + seconds)) {
    }
  }
  // Every Now() moves the clock on by `seconds` afterwards.
  void TickOnEveryRead(double seconds) { tick_ = seconds; }

 private:
  mutable std::atomic<double> now_{1795000000.125};
  std::atomic<double> tick_{0};
};

// The reply to one call: HTTP status and parsed body.
struct ApiReply {
  unsigned status = 0;
  nlohmann::json body;
  std::string raw;
  std::string error_type() const { return body.value("__type", ""); }
  std::string message() const { return body.value("message", ""); }
};

class ApiTest : public ::testing::Test {
 protected:
  static constexpr const char* kEcrPrefix = "AmazonEC2ContainerRegistry_V20150921.";
  static constexpr const char* kEcsPrefix = "AmazonEC2ContainerServiceV20141113.";

  ApiTest() {
    dispatcher_.Register(ecr_api_);
    dispatcher_.Register(ecs_api_);
    ecr_api_.AttachPullThrough(&pull_through_rules_, &creation_templates_);
  }

  // Sends a raw request (any target, body text and headers).
  ApiReply Raw(const std::string& target, const std::string& body,
               const std::string& content_type = "application/x-amz-json-1.1",
               const std::string& authorization = "") {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    if (!target.empty()) request.headers.Add("X-Amz-Target", target);
    if (!content_type.empty()) request.headers.Add("Content-Type", content_type);
    if (!authorization.empty()) request.headers.Add("Authorization", authorization);
    request.body = body;
    RecordSeeds(target, body);
    const http::Response response = dispatcher_.Handle(request);
    ApiReply reply{response.status, nullptr, response.body};
    reply.body = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_FALSE(reply.body.is_discarded()) << "reply is not JSON: " << response.body;
    EXPECT_TRUE(response.headers.Get("x-amzn-RequestId").has_value());
    return reply;
  }

  ApiReply Ecr(const std::string& operation, const nlohmann::json& input) {
    return Call(aws::model::EcrModel(), kEcrPrefix, operation, input);
  }
  ApiReply Ecs(const std::string& operation, const nlohmann::json& input) {
    return Call(aws::model::EcsModel(), kEcsPrefix, operation, input);
  }

  // Expects success and returns the body.
  nlohmann::json EcrOk(const std::string& operation, const nlohmann::json& input) {
    const ApiReply r = Ecr(operation, input);
    EXPECT_EQ(r.status, 200u) << operation << ": " << r.raw;
    return r.body;
  }
  nlohmann::json EcsOk(const std::string& operation, const nlohmann::json& input) {
    const ApiReply r = Ecs(operation, input);
    EXPECT_EQ(r.status, 200u) << operation << ": " << r.raw;
    return r.body;
  }

  // A blob store in a fresh temporary directory, removed afterwards.
  struct TempBlobStore {
    TempBlobStore() : path(MakeDir()), store(path) {}
    ~TempBlobStore() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
    static std::string MakeDir() {
      std::string pattern = (std::filesystem::temp_directory_path() / "berth-api-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      return pattern;
    }
    std::string path;
    storage::BlobStore store;
  };

  storage::Database database_{":memory:"};
  ManualClock clock_;
  TempBlobStore blobs_;
  ecr::ImageService images_{database_, blobs_.store};
  ecr::UploadService uploads_{database_, images_};
  ecr::EcrService ecr_service_{database_, ecr::EcrOptions{"localhost:4566"}, images_};
  ecr::EcrApi ecr_api_{ecr_service_};
  std::unique_ptr<upstream::RegistryClient> upstream_client_ = upstream::MakeCurlRegistryClient();
  ecr::PullThroughRules pull_through_rules_{database_, *upstream_client_, {}};
  ecr::CreationTemplates creation_templates_{database_, ecr_service_};
  // Clusters get the local host as a container instance, as berth with
  // --register-local-instance (tests of the default turn it off).
  ecs::EcsServices ecs_services_{database_, /*register_local_instance=*/true};
  ecs::EcsApi ecs_api_{ecs_services_};
  aws::Dispatcher dispatcher_{aws::DispatcherOptions{}, clock_};

 protected:
  // Fuzz seeds (tests/support/fuzz_seeds.h): the request, and the policy
  // documents it carries.
  static void RecordSeeds(const std::string& target, const std::string& body) {
    if (std::getenv("BERTH_FUZZ_SEEDS") == nullptr) return;
    RecordFuzzSeed("fuzz_aws_request", target + "\n" + body);
    const auto input = nlohmann::json::parse(body, nullptr, false);
    if (!input.is_object()) return;
    if (input.contains("lifecyclePolicyText") && input["lifecyclePolicyText"].is_string()) {
      RecordFuzzSeed("fuzz_documents",
                     "lifecycle\n" + input["lifecyclePolicyText"].get<std::string>());
    }
    if (input.contains("policyText") && input["policyText"].is_string()) {
      RecordFuzzSeed("fuzz_documents", "policy\n" + input["policyText"].get<std::string>());
    }
    if (input.contains("imageManifest") && input["imageManifest"].is_string()) {
      RecordFuzzSeed("fuzz_documents", "manifest " + input.value("imageManifestMediaType", "") +
                                           "\n" + input["imageManifest"].get<std::string>());
    }
  }

  // Sends `operation` of the service `model` describes and checks a 200
  // reply against the model's output shape, an error for its AWS form.
  ApiReply Call(const aws::model::ServiceModel& model, const std::string& prefix,
                const std::string& operation, const nlohmann::json& input) {
    ApiReply reply = Raw(prefix + operation, input.dump());
    if (reply.status == 200) {
      const auto* op = model.FindOperation(operation);
      EXPECT_NE(op, nullptr) << operation;
      if (op != nullptr) {
        const auto problems = aws::model::CheckOutput(model, *op, reply.body);
        EXPECT_TRUE(problems.empty())
            << operation << " reply departs from the model: " << ::testing::PrintToString(problems)
            << "\n"
            << reply.raw;
      }
    } else {
      EXPECT_TRUE(reply.body.contains("__type")) << reply.raw;
      EXPECT_TRUE(reply.body.contains("message")) << reply.raw;
    }
    return reply;
  }
};

// Asserts a reply is the named AWS error (HTTP 400).
#define EXPECT_AWS_ERROR(reply_expr, type)                            \
  do {                                                                \
    const ::berth::testing::ApiReply berth_reply_ = (reply_expr);     \
    EXPECT_EQ(berth_reply_.status, 400u) << berth_reply_.raw;         \
    EXPECT_EQ(berth_reply_.error_type(), (type)) << berth_reply_.raw; \
  } while (false)

}  // namespace berth::testing
