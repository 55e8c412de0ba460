#include "server/aws/model/service_model.h"

#include <cstddef>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "server/aws/model/model_validator.h"

namespace berth::aws::model {
namespace {

const ServiceModel* const kAllModels[] = {&EcsModel(), &EcrModel(), &LogsModel()};

// Whether `shape` is one of the rows of `service.shapes`.
bool InTable(const ServiceModel& service, const ShapeModel* shape) {
  if (shape == nullptr) return false;
  for (const ShapeModel& s : service.shapes) {
    if (&s == shape) return true;
  }
  return false;
}

const ShapeModel& Shape(const ServiceModel& service, std::string_view name) {
  const ShapeModel* shape = service.FindShape(name);
  EXPECT_NE(shape, nullptr) << name;
  static const ShapeModel kMissing{};
  return shape != nullptr ? *shape : kMissing;
}

TEST(ServiceModelTest, MetadataMatchesBotocore) {
  EXPECT_EQ(EcsModel().service_id, "ECS");
  EXPECT_EQ(EcsModel().target_prefix, "AmazonEC2ContainerServiceV20141113");
  EXPECT_EQ(EcsModel().api_version, "2014-11-13");
  EXPECT_EQ(EcrModel().service_id, "ECR");
  EXPECT_EQ(EcrModel().target_prefix, "AmazonEC2ContainerRegistry_V20150921");
  EXPECT_EQ(EcrModel().api_version, "2015-09-21");
  EXPECT_FALSE(EcsModel().botocore_version.empty());
  EXPECT_EQ(EcsModel().botocore_version, EcrModel().botocore_version);
  EXPECT_EQ(LogsModel().service_id, "CloudWatch Logs");
  EXPECT_EQ(LogsModel().target_prefix, "Logs_20140328");
  EXPECT_EQ(LogsModel().api_version, "2014-03-28");
  EXPECT_EQ(LogsModel().botocore_version, EcsModel().botocore_version);
}

TEST(ServiceModelTest, OperationCountsMatchBotocore) {
  EXPECT_EQ(EcsModel().operations.size(), 77U);
  EXPECT_EQ(EcrModel().operations.size(), 58U);
  EXPECT_EQ(EcsModel().exceptions.size(), 30U);
  EXPECT_EQ(EcrModel().exceptions.size(), 47U);
  EXPECT_EQ(LogsModel().operations.size(), 113U);
  EXPECT_EQ(LogsModel().exceptions.size(), 21U);
}

TEST(ServiceModelTest, FindOperationFindsExactNamesOnly) {
  const OperationModel* create = EcrModel().FindOperation("CreateRepository");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->name, "CreateRepository");
  ASSERT_NE(create->input, nullptr);
  EXPECT_EQ(create->input->name, "CreateRepositoryRequest");
  ASSERT_NE(create->output, nullptr);
  EXPECT_EQ(create->output->name, "CreateRepositoryResponse");

  const OperationModel* reg = EcsModel().FindOperation("RegisterTaskDefinition");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->name, "RegisterTaskDefinition");
  std::vector<std::string_view> errors(reg->errors.begin(), reg->errors.end());
  EXPECT_EQ(errors, (std::vector<std::string_view>{
                        "AccessDeniedException", "LimitExceededException", "ServerException",
                        "InvalidParameterException", "ClientException"}));

  EXPECT_EQ(EcsModel().FindOperation("Bogus"), nullptr);
  EXPECT_EQ(EcrModel().FindOperation("Bogus"), nullptr);
  EXPECT_EQ(EcrModel().FindOperation("createRepository"), nullptr);
  EXPECT_EQ(EcrModel().FindOperation(""), nullptr);
  EXPECT_EQ(EcsModel().FindOperation("CreateRepository"), nullptr);
  // First and last rows, to exercise the ends of the binary search.
  for (const ServiceModel* service : kAllModels) {
    EXPECT_EQ(service->FindOperation(service->operations.front().name),
              &service->operations.front());
    EXPECT_EQ(service->FindOperation(service->operations.back().name), &service->operations.back());
  }
}

TEST(ServiceModelTest, TablesAreSortedWithoutDuplicates) {
  for (const ServiceModel* service : kAllModels) {
    for (std::size_t i = 1; i < service->operations.size(); ++i) {
      EXPECT_LT(service->operations[i - 1].name, service->operations[i].name);
    }
    for (std::size_t i = 1; i < service->shapes.size(); ++i) {
      EXPECT_LT(service->shapes[i - 1].name, service->shapes[i].name);
    }
    for (std::size_t i = 1; i < service->exceptions.size(); ++i) {
      EXPECT_LT(service->exceptions[i - 1].name, service->exceptions[i].name);
    }
  }
}

TEST(ServiceModelTest, ExceptionsCarryTheirFaultFlag) {
  EXPECT_TRUE(EcrModel().HasException("RepositoryNotFoundException"));
  EXPECT_TRUE(EcrModel().HasException("RepositoryAlreadyExistsException"));
  EXPECT_TRUE(EcsModel().HasException("ClusterNotFoundException"));
  EXPECT_FALSE(EcsModel().HasException("RepositoryNotFoundException"));
  EXPECT_FALSE(EcrModel().HasException("Bogus"));

  const ExceptionModel* server = EcsModel().FindException("ServerException");
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->fault);
  ASSERT_NE(server->shape, nullptr);
  EXPECT_TRUE(server->shape->exception);
  EXPECT_TRUE(server->shape->fault);
  const ExceptionModel* client = EcsModel().FindException("ClientException");
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->fault);
  EXPECT_TRUE(EcrModel().FindException("ServerException")->fault);
}

// Every pointer in the tables points into the same service's shape table, and
// every shape has what its type needs.
TEST(ServiceModelTest, TablesAreConsistent) {
  for (const ServiceModel* service : kAllModels) {
    SCOPED_TRACE(std::string(service->service_id));
    for (const OperationModel& op : service->operations) {
      // Every ECS and ECR operation has input and output; some Logs
      // operations answer an empty body (no output shape).
      EXPECT_TRUE(InTable(*service, op.input)) << op.name;
      if (service != &LogsModel() || op.output != nullptr) {
        EXPECT_TRUE(InTable(*service, op.output)) << op.name;
      }
      for (std::string_view error : op.errors) {
        EXPECT_TRUE(service->HasException(error)) << op.name << " " << error;
      }
    }
    for (const ExceptionModel& e : service->exceptions) {
      EXPECT_TRUE(InTable(*service, e.shape)) << e.name;
      EXPECT_EQ(e.shape->name, e.name);
      EXPECT_TRUE(e.shape->exception);
    }
    for (const ShapeModel& shape : service->shapes) {
      SCOPED_TRACE(std::string(shape.name));
      for (const MemberModel& m : shape.members) {
        EXPECT_TRUE(InTable(*service, m.target)) << m.name;
      }
      EXPECT_EQ(shape.type == ShapeType::kList, shape.member != nullptr);
      EXPECT_EQ(shape.type == ShapeType::kMap, shape.key != nullptr);
      EXPECT_EQ(shape.type == ShapeType::kMap, shape.value != nullptr);
      if (shape.member != nullptr) {
        EXPECT_TRUE(InTable(*service, shape.member));
      }
      if (shape.key != nullptr) {
        EXPECT_TRUE(InTable(*service, shape.key));
        EXPECT_EQ(shape.key->type, ShapeType::kString);
      }
      if (shape.value != nullptr) {
        EXPECT_TRUE(InTable(*service, shape.value));
      }
      if (shape.pattern != nullptr || !shape.enum_values.empty()) {
        EXPECT_EQ(shape.type, ShapeType::kString);
      }
      if (!shape.members.empty()) {
        EXPECT_EQ(shape.type, ShapeType::kStructure);
      }
      EXPECT_EQ(service->FindShape(shape.name), &shape);
    }
  }
}

// Only shapes reachable from an operation's input, output or errors are
// emitted, and all of those are.
TEST(ServiceModelTest, EveryShapeIsReachableFromAnOperation) {
  for (const ServiceModel* service : kAllModels) {
    std::set<const ShapeModel*> seen;
    std::vector<const ShapeModel*> stack;
    for (const OperationModel& op : service->operations) {
      stack.push_back(op.input);
      stack.push_back(op.output);
      for (std::string_view error : op.errors) {
        stack.push_back(service->FindShape(error));
      }
    }
    while (!stack.empty()) {
      const ShapeModel* shape = stack.back();
      stack.pop_back();
      if (shape == nullptr || !seen.insert(shape).second) continue;
      for (const MemberModel& m : shape->members) stack.push_back(m.target);
      stack.push_back(shape->member);
      stack.push_back(shape->key);
      stack.push_back(shape->value);
    }
    EXPECT_EQ(seen.size(), service->shapes.size()) << service->service_id;
  }
}

TEST(ServiceModelTest, EveryPatternCompiles) {
  std::size_t count = 0;
  for (const ServiceModel* service : kAllModels) {
    for (const PatternModel& pattern : service->patterns) {
      SCOPED_TRACE(std::string(pattern.source));
      EXPECT_NO_THROW({ (void)MatchesPattern(pattern, "x"); });
      EXPECT_NO_THROW(std::regex(std::string(pattern.ecmascript), std::regex::ECMAScript));
      EXPECT_EQ(pattern.ecmascript.find("\\p"), std::string_view::npos);
      ++count;
    }
  }
  EXPECT_EQ(count,
            EcsModel().patterns.size() + EcrModel().patterns.size() + LogsModel().patterns.size());
  EXPECT_GT(count, 0U);
}

// Java reads '-' after a class escape as a literal; the generator escapes it
// so that std::regex does not read a range.
TEST(ServiceModelTest, HyphenAfterAClassEscapeStaysLiteral) {
  const ShapeModel& type = Shape(LogsModel(), "ResourceType");
  ASSERT_NE(type.pattern, nullptr);
  EXPECT_EQ(type.pattern->source, "[\\w-_]*");
  EXPECT_EQ(type.pattern->ecmascript, "[\\w\\-_]*");
  EXPECT_TRUE(MatchesPattern(*type.pattern, "log-group_1"));
  EXPECT_FALSE(MatchesPattern(*type.pattern, "log group"));
}

// Event-stream responses (StartLiveTail) are in the tables like any output.
TEST(ServiceModelTest, EventStreamOutputsAreKept) {
  const OperationModel* live_tail = LogsModel().FindOperation("StartLiveTail");
  ASSERT_NE(live_tail, nullptr);
  ASSERT_NE(live_tail->output, nullptr);
  EXPECT_NE(live_tail->output->FindMember("responseStream"), nullptr);
  EXPECT_NE(LogsModel().FindShape("LiveTailSessionUpdate"), nullptr);
}

TEST(ServiceModelTest, EveryShapePatternIsInItsServicePatternTable) {
  for (const ServiceModel* service : kAllModels) {
    for (const ShapeModel& shape : service->shapes) {
      if (shape.pattern == nullptr) continue;
      bool found = false;
      for (const PatternModel& p : service->patterns) {
        found = found || &p == shape.pattern;
      }
      EXPECT_TRUE(found) << shape.name;
    }
  }
}

TEST(ServiceModelTest, ShapesCarryTheirConstraints) {
  const ShapeModel& name = Shape(EcrModel(), "RepositoryName");
  EXPECT_EQ(name.type, ShapeType::kString);
  EXPECT_EQ(name.min, 2);
  EXPECT_EQ(name.max, 256);
  ASSERT_NE(name.pattern, nullptr);
  EXPECT_EQ(name.pattern->source,
            R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)");
  EXPECT_FALSE(name.pattern->fold_non_ascii);

  const ShapeModel& blob = Shape(EcrModel(), "LayerPartBlob");
  EXPECT_EQ(blob.type, ShapeType::kBlob);
  EXPECT_EQ(blob.min, 0);
  EXPECT_EQ(blob.max, 20971520);

  const ShapeModel& status = Shape(EcsModel(), "TaskDefinitionStatus");
  std::vector<std::string_view> values(status.enum_values.begin(), status.enum_values.end());
  EXPECT_EQ(values, (std::vector<std::string_view>{"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"}));

  const ShapeModel& drain = Shape(EcsModel(), "DaemonDrainPercent");
  EXPECT_EQ(drain.type, ShapeType::kDouble);
  EXPECT_EQ(drain.min, 0);
  EXPECT_EQ(drain.max, 100);

  const ShapeModel& tags = Shape(EcsModel(), "Tags");
  EXPECT_EQ(tags.type, ShapeType::kList);
  EXPECT_EQ(tags.max, 50);
  EXPECT_EQ(tags.member->name, "Tag");

  const ShapeModel& labels = Shape(EcsModel(), "DockerLabelsMap");
  EXPECT_EQ(labels.type, ShapeType::kMap);
  EXPECT_EQ(labels.key->name, "String");
  EXPECT_EQ(labels.value->name, "String");

  const ShapeModel& string = Shape(EcsModel(), "String");
  EXPECT_FALSE(string.min.has_value());
  EXPECT_FALSE(string.max.has_value());
  EXPECT_EQ(string.pattern, nullptr);

  EXPECT_EQ(Shape(EcsModel(), "Timestamp").type, ShapeType::kTimestamp);
  EXPECT_EQ(Shape(EcsModel(), "Long").type, ShapeType::kLong);
  EXPECT_EQ(Shape(EcsModel(), "BoxedBoolean").type, ShapeType::kBoolean);
  EXPECT_EQ(Shape(EcrModel(), "ImageSizeInBytes").type, ShapeType::kLong);
}

TEST(ServiceModelTest, UnicodeTagPatternIsRewrittenAndMarked) {
  const ShapeModel& key = Shape(EcsModel(), "TagKey");
  ASSERT_NE(key.pattern, nullptr);
  EXPECT_EQ(key.pattern->source, R"(([\p{L}\p{Z}\p{N}_.:/=+\-@]*))");
  EXPECT_EQ(key.pattern->ecmascript, R"(([A-Za-z 0-9_.:/=+\-@]*))");
  EXPECT_TRUE(key.pattern->fold_non_ascii);
  EXPECT_EQ(Shape(EcsModel(), "TagValue").pattern, key.pattern);
}

TEST(ServiceModelTest, MembersKeepModelOrderAndFlags) {
  const ShapeModel& request = Shape(EcsModel(), "RegisterTaskDefinitionRequest");
  ASSERT_GE(request.members.size(), 5U);
  EXPECT_EQ(request.members[0].name, "family");
  EXPECT_TRUE(request.members[0].required);
  EXPECT_EQ(request.members[4].name, "containerDefinitions");
  EXPECT_TRUE(request.members[4].required);
  EXPECT_FALSE(request.members[1].required);

  const MemberModel* accelerators = request.FindMember("inferenceAccelerators");
  ASSERT_NE(accelerators, nullptr);
  EXPECT_TRUE(accelerators->deprecated);
  EXPECT_TRUE(accelerators->target->deprecated);
  EXPECT_EQ(request.FindMember("bogus"), nullptr);

  const MemberModel* token = Shape(EcsModel(), "RunTaskRequest").FindMember("clientToken");
  ASSERT_NE(token, nullptr);
  EXPECT_TRUE(token->idempotency_token);

  const MemberModel* registry_ids =
      Shape(EcrModel(), "GetAuthorizationTokenRequest").FindMember("registryIds");
  ASSERT_NE(registry_ids, nullptr);
  EXPECT_TRUE(registry_ids->deprecated);
}

TEST(ServiceModelTest, DocumentAndSensitiveTraitsAreKept) {
  EXPECT_TRUE(Shape(EcsModel(), "HookDetails").document);
  EXPECT_TRUE(Shape(EcsModel(), "EnvironmentVariables").sensitive);
  EXPECT_TRUE(Shape(EcsModel(), "RepositoryCredentials").sensitive);
  EXPECT_FALSE(Shape(EcsModel(), "String").sensitive);
  // The validator does not check unions; the only ones are in Logs
  // shapes of Logs operations Berth does not emulate (PutIntegration and its
  // output).
  std::vector<std::string_view> unions;
  for (const ServiceModel* service : kAllModels) {
    for (const ShapeModel& shape : service->shapes) {
      if (shape.is_union) unions.push_back(shape.name);
    }
  }
  EXPECT_EQ(unions, (std::vector<std::string_view>{"IntegrationDetails", "ResourceConfig"}));
}

TEST(ServiceModelTest, ShapeTypeNamesAreBotocoreSpellings) {
  EXPECT_EQ(ShapeTypeName(ShapeType::kStructure), "structure");
  EXPECT_EQ(ShapeTypeName(ShapeType::kList), "list");
  EXPECT_EQ(ShapeTypeName(ShapeType::kMap), "map");
  EXPECT_EQ(ShapeTypeName(ShapeType::kString), "string");
  EXPECT_EQ(ShapeTypeName(ShapeType::kInteger), "integer");
  EXPECT_EQ(ShapeTypeName(ShapeType::kLong), "long");
  EXPECT_EQ(ShapeTypeName(ShapeType::kBoolean), "boolean");
  EXPECT_EQ(ShapeTypeName(ShapeType::kTimestamp), "timestamp");
  EXPECT_EQ(ShapeTypeName(ShapeType::kBlob), "blob");
  EXPECT_EQ(ShapeTypeName(ShapeType::kDouble), "double");
  EXPECT_EQ(ShapeTypeName(ShapeType::kFloat), "float");
}

}  // namespace
}  // namespace berth::aws::model
