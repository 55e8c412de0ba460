#include "server/logs/logs_api.h"

#include "server/aws/json_params.h"
#include "server/logs/logs_errors.h"

namespace berth::logs {
namespace {

using aws::Has;
using aws::OptionalBool;
using aws::OptionalInt;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;

// DescribeLogGroups, DescribeLogStreams and ListLogGroups page size when the
// caller gives no limit; GetLogEvents and FilterLogEvents return up to 10,000
// events (and 1 MB).
constexpr size_t kDefaultPageSize = 50;
// The one operation whose output is an event stream.
constexpr std::string_view kStartLiveTail = "StartLiveTail";
constexpr size_t kDefaultEventLimit = 10'000;

size_t LimitOf(const json& in, size_t fallback) {
  const auto limit = OptionalInt(in, "limit");
  return limit ? static_cast<size_t>(*limit) : fallback;
}

Tags ReadTags(const json& in, const char* key) {
  Tags tags;
  if (!Has(in, key)) return tags;
  for (const auto& [k, v] : in.at(key).items()) tags[k] = v.get<std::string>();
  return tags;
}

json TagsJson(const Tags& tags) {
  json out = json::object();
  for (const auto& [k, v] : tags) out[k] = v;
  return out;
}

// The group of an operation that takes logGroupName or logGroupIdentifier
// (exactly one of them).
GroupRef GroupOf(const json& in, const aws::RequestContext& context) {
  const auto name = OptionalString(in, "logGroupName");
  const auto identifier = OptionalString(in, "logGroupIdentifier");
  if (name.has_value() == identifier.has_value()) {
    throw InvalidParameterException(
        "Exactly one of logGroupName and logGroupIdentifier must be specified.");
  }
  if (name) return {{context.account_id, context.region}, *name};
  auto ref = ParseGroupIdentifier(*identifier, context);
  if (ref) return std::move(*ref);
  if (identifier->starts_with("arn:")) {
    throw InvalidParameterException("Invalid log group identifier: " + *identifier);
  }
  throw LogGroupNotFound();  // no group can have such a name
}

json GroupJson(const LogGroup& group, bool summary) {
  const auto& r = group.record;
  const std::string arn = LogGroupArn(group.partition, r.name);
  json out = {{"logGroupName", r.name}, {"creationTime", r.created_at}, {"arn", arn + ":*"}};
  if (summary) return out;
  if (r.retention_days) out["retentionInDays"] = *r.retention_days;
  out["metricFilterCount"] = 0;
  out["storedBytes"] = r.stored_bytes;
  if (r.kms_key_id) out["kmsKeyId"] = *r.kms_key_id;
  out["logGroupClass"] = r.log_group_class;
  out["logGroupArn"] = arn;
  out["deletionProtectionEnabled"] = r.deletion_protection;
  return out;
}

json StreamJson(const GroupRef& group, const storage::LogStreamRecord& s) {
  json out = {{"logStreamName", s.name}, {"creationTime", s.created_at}};
  if (s.first_event_at) out["firstEventTimestamp"] = *s.first_event_at;
  if (s.last_event_at) out["lastEventTimestamp"] = *s.last_event_at;
  if (s.last_ingestion_at) out["lastIngestionTime"] = *s.last_ingestion_at;
  if (s.sequence_token) out["uploadSequenceToken"] = *s.sequence_token;
  out["arn"] = LogStreamArn(group.partition, group.name, s.name);
  out["storedBytes"] = 0;  // deprecated: always 0 for streams
  return out;
}

}  // namespace

const std::array<aws::OperationRow<LogsApi>, 18> LogsApi::kOperations = {{
    {"CreateLogGroup", &LogsApi::CreateLogGroup},
    {"CreateLogStream", &LogsApi::CreateLogStream},
    {"DeleteLogGroup", &LogsApi::DeleteLogGroup},
    {"DeleteLogStream", &LogsApi::DeleteLogStream},
    {"DeleteRetentionPolicy", &LogsApi::DeleteRetentionPolicy},
    {"DescribeLogGroups", &LogsApi::DescribeLogGroups},
    {"DescribeLogStreams", &LogsApi::DescribeLogStreams},
    {"FilterLogEvents", &LogsApi::FilterLogEvents},
    {"GetLogEvents", &LogsApi::GetLogEvents},
    {"ListLogGroups", &LogsApi::ListLogGroups},
    {"ListTagsForResource", &LogsApi::ListTagsForResource},
    {"ListTagsLogGroup", &LogsApi::ListTagsLogGroup},
    {"PutLogEvents", &LogsApi::PutLogEvents},
    {"PutRetentionPolicy", &LogsApi::PutRetentionPolicy},
    {"TagLogGroup", &LogsApi::TagLogGroup},
    {"TagResource", &LogsApi::TagResource},
    {"UntagLogGroup", &LogsApi::UntagLogGroup},
    {"UntagResource", &LogsApi::UntagResource},
}};

const aws::ServiceModel& LogsApi::Model() const { return aws::model::LogsModel(); }

bool LogsApi::Implements(std::string_view operation) const {
  return aws::FindOperationRow(kOperations, operation) != nullptr || operation == kStartLiveTail;
}

std::vector<std::string_view> LogsApi::OperationNames() {
  std::vector<std::string_view> names;
  for (const auto& row : kOperations) names.push_back(row.name);
  names.push_back(kStartLiveTail);
  return names;
}

bool LogsApi::StreamsOutput(std::string_view operation) const {
  return operation == kStartLiveTail;
}

std::unique_ptr<aws::EventSource> LogsApi::OpenEventStream(std::string_view operation,
                                                           const json& input,
                                                           const Context& context) {
  (void)operation;  // StartLiveTail, the only one
  LiveTailQuery query;
  query.group_identifiers = aws::StringList(input, "logGroupIdentifiers");
  query.stream_names = aws::StringList(input, "logStreamNames");
  query.stream_prefixes = aws::StringList(input, "logStreamNamePrefixes");
  query.filter_pattern = OptionalString(input, "logEventFilterPattern");
  return service_.StartLiveTail(context, query);
}

json LogsApi::Invoke(std::string_view operation, const json& input, const Context& context) {
  const auto* row = aws::FindOperationRow(kOperations, operation);
  return (this->*(row->handler))(input, context);
}

aws::AwsError LogsApi::ValidationError(const aws::OperationModel& operation,
                                       const aws::ValidationIssue& issue) const {
  (void)operation;
  return InvalidParameterException(aws::CoralValidationMessage(issue));
}

void LogsApi::BeforeValidation(const aws::OperationModel& operation, json& input) const {
  constexpr std::string_view kAllStreams = ":*";
  const auto strip = [&](json& value) {
    if (!value.is_string()) return;
    const auto& text = value.get_ref<const std::string&>();
    if (text.starts_with("arn:") && text.ends_with(kAllStreams)) {
      value = text.substr(0, text.size() - kAllStreams.size());
    }
  };
  if (const auto it = input.find("logGroupIdentifier"); it != input.end()) strip(*it);
  if (const auto it = input.find("logGroupIdentifiers");
      it != input.end() && it->is_array() && operation.name != kStartLiveTail) {
    for (auto& identifier : *it) strip(identifier);
  }
  if (const auto it = input.find("resourceArn");
      it != input.end() && it->is_string() &&
      it->get_ref<const std::string&>().ends_with(kAllStreams)) {
    throw InvalidResourceArn();
  }
}

// --- Groups -----------------------------------------------------------------------

json LogsApi::CreateLogGroup(const json& in, const Context& context) {
  GroupSpec spec;
  spec.name = RequiredString(in, "logGroupName");
  spec.kms_key_id = OptionalString(in, "kmsKeyId");
  spec.log_group_class = OptionalString(in, "logGroupClass").value_or("STANDARD");
  spec.deletion_protection = OptionalBool(in, "deletionProtectionEnabled").value_or(false);
  spec.tags = ReadTags(in, "tags");
  service_.CreateLogGroup(context, spec);
  return json::object();
}

json LogsApi::DeleteLogGroup(const json& in, const Context& context) {
  service_.DeleteLogGroup(context, RequiredString(in, "logGroupName"));
  return json::object();
}

json LogsApi::DescribeLogGroups(const json& in, const Context& context) {
  DescribeGroupsQuery query;
  query.prefix = OptionalString(in, "logGroupNamePrefix");
  query.pattern = OptionalString(in, "logGroupNamePattern");
  query.identifiers = aws::StringList(in, "logGroupIdentifiers");
  query.log_group_class = OptionalString(in, "logGroupClass");
  query.limit = LimitOf(in, kDefaultPageSize);
  query.next_token = OptionalString(in, "nextToken");
  const auto page = service_.DescribeLogGroups(context, query);
  json groups = json::array();
  for (const auto& group : page.items)
    groups.push_back(GroupJson(group, query.pattern.has_value()));
  json out = {{"logGroups", std::move(groups)}};
  if (page.next_token) out["nextToken"] = *page.next_token;
  return out;
}

json LogsApi::ListLogGroups(const json& in, const Context& context) {
  ListGroupsQuery query;
  query.pattern = OptionalString(in, "logGroupNamePattern");
  query.log_group_class = OptionalString(in, "logGroupClass");
  for (const auto& filter : aws::Member(in, "logGroupTags")) {
    query.tag_filters.emplace_back(RequiredString(filter, "key"),
                                   aws::StringList(filter, "values"));
  }
  query.requires_data_source_or_index = Has(in, "dataSources") || Has(in, "fieldIndexNames");
  query.limit = LimitOf(in, kDefaultPageSize);
  query.next_token = OptionalString(in, "nextToken");
  const auto page = service_.ListLogGroups(context, query);
  json groups = json::array();
  for (const auto& group : page.items) {
    groups.push_back({{"logGroupName", group.record.name},
                      {"logGroupArn", LogGroupArn(group.partition, group.record.name)},
                      {"logGroupClass", group.record.log_group_class}});
  }
  json out = {{"logGroups", std::move(groups)}};
  if (page.next_token) out["nextToken"] = *page.next_token;
  return out;
}

json LogsApi::PutRetentionPolicy(const json& in, const Context& context) {
  service_.PutRetentionPolicy(context, RequiredString(in, "logGroupName"),
                              in.at("retentionInDays").get<int64_t>());
  return json::object();
}

json LogsApi::DeleteRetentionPolicy(const json& in, const Context& context) {
  service_.DeleteRetentionPolicy(context, RequiredString(in, "logGroupName"));
  return json::object();
}

// --- Streams ------------------------------------------------------------------------

json LogsApi::CreateLogStream(const json& in, const Context& context) {
  service_.CreateLogStream(context, RequiredString(in, "logGroupName"),
                           RequiredString(in, "logStreamName"));
  return json::object();
}

json LogsApi::DeleteLogStream(const json& in, const Context& context) {
  service_.DeleteLogStream(context, RequiredString(in, "logGroupName"),
                           RequiredString(in, "logStreamName"));
  return json::object();
}

json LogsApi::DescribeLogStreams(const json& in, const Context& context) {
  DescribeStreamsQuery query;
  query.group = GroupOf(in, context);
  query.prefix = OptionalString(in, "logStreamNamePrefix");
  if (OptionalString(in, "orderBy").value_or("LogStreamName") == "LastEventTime") {
    query.order = storage::StreamOrder::kLastEventTime;
  }
  query.descending = OptionalBool(in, "descending").value_or(false);
  query.limit = LimitOf(in, kDefaultPageSize);
  query.next_token = OptionalString(in, "nextToken");
  const auto page = service_.DescribeLogStreams(context, query);
  json streams = json::array();
  for (const auto& stream : page.items) streams.push_back(StreamJson(query.group, stream));
  json out = {{"logStreams", std::move(streams)}};
  if (page.next_token) out["nextToken"] = *page.next_token;
  return out;
}

// --- Events -------------------------------------------------------------------------

json LogsApi::PutLogEvents(const json& in, const Context& context) {
  std::vector<InputEvent> events;
  for (const auto& event : in.at("logEvents")) {
    events.push_back({event.at("timestamp").get<int64_t>(), RequiredString(event, "message")});
  }
  const PutResult result = service_.PutLogEvents(context, RequiredString(in, "logGroupName"),
                                                 RequiredString(in, "logStreamName"), events);
  json out = {{"nextSequenceToken", result.next_sequence_token}};
  json rejected = json::object();
  if (result.too_new_start) rejected["tooNewLogEventStartIndex"] = *result.too_new_start;
  if (result.too_old_end) rejected["tooOldLogEventEndIndex"] = *result.too_old_end;
  if (result.expired_end) rejected["expiredLogEventEndIndex"] = *result.expired_end;
  if (!rejected.empty()) out["rejectedLogEventsInfo"] = std::move(rejected);
  return out;
}

json LogsApi::GetLogEvents(const json& in, const Context& context) {
  GetEventsQuery query;
  query.group = GroupOf(in, context);
  query.stream = RequiredString(in, "logStreamName");
  query.start_time = OptionalInt(in, "startTime");
  query.end_time = OptionalInt(in, "endTime");
  query.limit = LimitOf(in, kDefaultEventLimit);
  query.start_from_head = OptionalBool(in, "startFromHead").value_or(false);
  query.next_token = OptionalString(in, "nextToken");
  const GetEventsPage page = service_.GetLogEvents(context, query);
  json events = json::array();
  for (const auto& e : page.events) {
    events.push_back(
        {{"timestamp", e.timestamp}, {"message", e.message}, {"ingestionTime", e.ingestion_time}});
  }
  return {{"events", std::move(events)},
          {"nextForwardToken", page.next_forward_token},
          {"nextBackwardToken", page.next_backward_token}};
}

json LogsApi::FilterLogEvents(const json& in, const Context& context) {
  FilterEventsQuery query;
  query.group = GroupOf(in, context);
  query.stream_names = aws::StringList(in, "logStreamNames");
  query.stream_prefix = OptionalString(in, "logStreamNamePrefix");
  query.start_time = OptionalInt(in, "startTime");
  query.end_time = OptionalInt(in, "endTime");
  query.filter_pattern = OptionalString(in, "filterPattern").value_or("");
  query.limit = LimitOf(in, kDefaultEventLimit);
  query.next_token = OptionalString(in, "nextToken");
  const auto page = service_.FilterLogEvents(context, query);
  json events = json::array();
  for (const auto& [stream, e] : page.items) {
    events.push_back({{"logStreamName", stream},
                      {"timestamp", e.timestamp},
                      {"message", e.message},
                      {"ingestionTime", e.ingestion_time},
                      {"eventId", EventId(e.timestamp, e.seq)}});
  }
  json out = {{"events", std::move(events)}, {"searchedLogStreams", json::array()}};
  if (page.next_token) out["nextToken"] = *page.next_token;
  return out;
}

// --- Tags ---------------------------------------------------------------------------

json LogsApi::ListTagsForResource(const json& in, const Context& context) {
  return {
      {"tags", TagsJson(service_.ListTagsForResource(context, RequiredString(in, "resourceArn")))}};
}

json LogsApi::TagResource(const json& in, const Context& context) {
  service_.TagResource(context, RequiredString(in, "resourceArn"), ReadTags(in, "tags"));
  return json::object();
}

json LogsApi::UntagResource(const json& in, const Context& context) {
  service_.UntagResource(context, RequiredString(in, "resourceArn"),
                         aws::StringList(in, "tagKeys"));
  return json::object();
}

json LogsApi::ListTagsLogGroup(const json& in, const Context& context) {
  return {
      {"tags", TagsJson(service_.ListTagsLogGroup(context, RequiredString(in, "logGroupName")))}};
}

json LogsApi::TagLogGroup(const json& in, const Context& context) {
  service_.TagLogGroup(context, RequiredString(in, "logGroupName"), ReadTags(in, "tags"));
  return json::object();
}

json LogsApi::UntagLogGroup(const json& in, const Context& context) {
  service_.UntagLogGroup(context, RequiredString(in, "logGroupName"), aws::StringList(in, "tags"));
  return json::object();
}

}  // namespace berth::logs
