#include "server/logs/log_service.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <set>

#include "server/aws/pagination.h"
#include "server/logs/logs_errors.h"
#include "storage/tag_store.h"

namespace berth::logs {
namespace {

using storage::LogStore;
using storage::Partition;

constexpr std::string_view kDescribeGroupsListing = "logs.describe-log-groups";
constexpr std::string_view kListGroupsListing = "logs.list-log-groups";
// Groups read per step while a filtered listing fills its page.
constexpr size_t kGroupChunk = 200;

Partition PartitionOf(const Context& context) { return {context.account_id, context.region}; }

// Where a listing resumes, from its token; "" without one.
std::string ResumeAfter(std::string_view listing, const std::optional<std::string>& token) {
  if (!token) return "";
  auto key = aws::DecodePageToken(listing, *token);
  if (!key) throw InvalidNextToken();
  return *key;
}

// Groups of `partition` in name order after `after` whose names start with
// `prefix` and that `keep`, one page of `limit` (nextToken when more match).
Page<LogGroup> ScanGroups(storage::Db& db, const Partition& partition, std::string_view listing,
                          std::string_view prefix, std::string after, size_t limit,
                          const std::function<bool(const storage::LogGroupRecord&)>& keep) {
  Page<LogGroup> page;
  LogStore store(db);
  while (true) {
    auto chunk = store.ListGroups(partition, prefix, after, kGroupChunk);
    for (auto& group : chunk) {
      if (!keep(group)) continue;
      if (page.items.size() == limit) {
        page.next_token = aws::EncodePageToken(listing, page.items.back().record.name);
        return page;
      }
      page.items.push_back({partition, std::move(group)});
    }
    if (chunk.size() < kGroupChunk) return page;
    after = chunk.back().name;
  }
}

std::string RetentionValues() {
  std::string values;
  for (const int64_t days : kRetentionDays) {
    if (!values.empty()) values += ", ";
    values += std::to_string(days);
  }
  return values;
}

// What DeleteLogGroup and DeleteLogStream answer for a protected group.
void RefuseIfProtected(const storage::LogGroupRecord& group) {
  if (group.deletion_protection) {
    throw ValidationException("Log group " + group.name +
                              " has deletion protection enabled; disable it before deleting.");
  }
}

std::string StreamListing(const DescribeStreamsQuery& query, int64_t group_id) {
  return "logs.streams/" + std::to_string(group_id) +
         (query.order == storage::StreamOrder::kName ? "/name" : "/time") +
         (query.descending ? "/desc" : "/asc");
}

// A stream listing's resume key: the name, and for LastEventTime order the
// last event time first ("<ms or -1>/<name>").
std::string StreamKey(const DescribeStreamsQuery& query, const storage::LogStreamRecord& stream) {
  if (query.order == storage::StreamOrder::kName) return stream.name;
  return std::to_string(stream.last_event_at.value_or(-1)) + "/" + stream.name;
}

storage::StreamCursor ParseStreamKey(const DescribeStreamsQuery& query, const std::string& key) {
  if (query.order == storage::StreamOrder::kName) return {std::nullopt, key};
  const auto slash = key.find('/');
  int64_t time = 0;
  const auto [end, ec] =
      std::from_chars(key.data(), key.data() + std::min(slash, key.size()), time);
  if (slash == std::string::npos || ec != std::errc() || end != key.data() + slash) {
    throw InvalidNextToken();
  }
  return {time < 0 ? std::nullopt : std::optional<int64_t>(time), key.substr(slash + 1)};
}

}  // namespace

LogService::LogService(storage::Database& database, const Clock& clock)
    : database_(database), clock_(clock) {}

int64_t LogService::Millis(double seconds) { return std::llround(seconds * 1000.0); }

LogGroup RequireGroup(storage::Db& db, const GroupRef& ref) {
  auto group = LogStore(db).FindGroup(ref.partition, ref.name);
  if (!group) throw LogGroupNotFound();
  return {ref.partition, std::move(*group)};
}

int64_t RetentionCutoff(const storage::LogGroupRecord& group, int64_t now) {
  if (!group.retention_days) return 0;
  return now - *group.retention_days * kMillisPerDay;
}

// --- Groups -------------------------------------------------------------------

void LogService::CreateLogGroup(const Context& context, const GroupSpec& spec) {
  if (spec.name.starts_with("aws/")) {
    throw InvalidParameterException("Log group names cannot start with 'aws/'.");
  }
  const Partition partition = PartitionOf(context);
  storage::LogGroupRecord record;
  record.name = spec.name;
  record.created_at = Millis(context.now);
  record.kms_key_id = spec.kms_key_id;
  record.log_group_class = spec.log_group_class;
  record.deletion_protection = spec.deletion_protection;
  std::vector<storage::Tag> tags;
  for (const auto& [key, value] : spec.tags) tags.push_back({key, value});

  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  if (!LogStore(lease.db()).InsertGroup(partition, record)) throw LogGroupAlreadyExists();
  storage::TagStore(lease.db()).Put(LogGroupArn(partition, spec.name), tags);
  tx.Commit();
}

void LogService::DeleteLogGroup(const Context& context, const std::string& name) {
  auto lease = database_.Acquire();
  const LogGroup group = RequireGroup(lease.db(), {PartitionOf(context), name});
  RefuseIfProtected(group.record);
  storage::Tx tx(lease.db());
  LogStore(lease.db()).DeleteGroup(group.record.id);
  storage::TagStore(lease.db()).RemoveAll(LogGroupArn(group.partition, name));
  tx.Commit();
}

Page<LogGroup> LogService::DescribeLogGroups(const Context& context,
                                             const DescribeGroupsQuery& query) {
  if (query.prefix && query.pattern) {
    throw InvalidParameterException(
        "logGroupNamePrefix and logGroupNamePattern are mutually exclusive.");
  }
  if (!query.identifiers.empty() && (query.prefix || query.pattern)) {
    throw InvalidParameterException(
        "logGroupIdentifiers cannot be used with logGroupNamePrefix or logGroupNamePattern.");
  }
  const Partition partition = PartitionOf(context);
  std::set<std::string> names;
  for (const auto& identifier : query.identifiers) {
    const auto ref = ParseGroupIdentifier(identifier, context);
    if (!ref) {
      throw InvalidParameterException("Invalid log group identifier: " + identifier);
    }
    if (ref->partition.account_id == partition.account_id &&
        ref->partition.region == partition.region) {
      names.insert(ref->name);
    }
  }
  const std::string after = ResumeAfter(kDescribeGroupsListing, query.next_token);
  auto lease = database_.Acquire();
  return ScanGroups(
      lease.db(), partition, kDescribeGroupsListing, query.prefix.value_or(""), after, query.limit,
      [&](const storage::LogGroupRecord& group) {
        if (query.pattern && group.name.find(*query.pattern) == std::string::npos) {
          return false;
        }
        if (query.log_group_class && group.log_group_class != *query.log_group_class) {
          return false;
        }
        return query.identifiers.empty() || names.contains(group.name);
      });
}

Page<LogGroup> LogService::ListLogGroups(const Context& context, const ListGroupsQuery& query) {
  // "^abc|def": names starting with abc or containing def.
  std::vector<std::string> alternatives;
  if (query.pattern) {
    size_t start = 0;
    while (start <= query.pattern->size()) {
      const size_t bar = std::min(query.pattern->find('|', start), query.pattern->size());
      alternatives.push_back(query.pattern->substr(start, bar - start));
      start = bar + 1;
    }
  }
  const Partition partition = PartitionOf(context);
  const std::string after = ResumeAfter(kListGroupsListing, query.next_token);
  auto lease = database_.Acquire();
  storage::TagStore tag_store(lease.db());
  return ScanGroups(
      lease.db(), partition, kListGroupsListing, "", after, query.limit,
      [&](const storage::LogGroupRecord& group) {
        if (query.requires_data_source_or_index) return false;
        if (query.log_group_class && group.log_group_class != *query.log_group_class) return false;
        if (!alternatives.empty()) {
          const bool any = std::any_of(alternatives.begin(), alternatives.end(), [&](auto& alt) {
            return alt.starts_with('^') ? group.name.starts_with(alt.substr(1))
                                        : group.name.find(alt) != std::string::npos;
          });
          if (!any) return false;
        }
        if (query.tag_filters.empty()) return true;
        const auto tags = tag_store.List(LogGroupArn(partition, group.name));
        for (const auto& filter : query.tag_filters) {
          // Not a structured binding: clang 14 cannot capture one in the lambda.
          const std::string& key = filter.first;
          const auto& values = filter.second;
          const auto it = std::find_if(tags.begin(), tags.end(),
                                       [&](const storage::Tag& t) { return t.key == key; });
          if (it == tags.end()) return false;
          if (!values.empty() &&
              std::find(values.begin(), values.end(), it->value) == values.end()) {
            return false;
          }
        }
        return true;
      });
}

void LogService::PutRetentionPolicy(const Context& context, const std::string& name, int64_t days) {
  if (std::find(kRetentionDays.begin(), kRetentionDays.end(), days) == kRetentionDays.end()) {
    throw InvalidParameterException("1 validation error detected: Value '" + std::to_string(days) +
                                    "' at 'retentionInDays' failed to satisfy constraint: Member "
                                    "must satisfy enum value set: [" +
                                    RetentionValues() + "]");
  }
  auto lease = database_.Acquire();
  const LogGroup group = RequireGroup(lease.db(), {PartitionOf(context), name});
  LogStore(lease.db()).SetRetention(group.record.id, days);
}

void LogService::DeleteRetentionPolicy(const Context& context, const std::string& name) {
  auto lease = database_.Acquire();
  const LogGroup group = RequireGroup(lease.db(), {PartitionOf(context), name});
  LogStore(lease.db()).SetRetention(group.record.id, std::nullopt);
}

int64_t LogService::PurgeExpired() {
  const int64_t now = Millis(clock_.Now());
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const int64_t purged = LogStore(lease.db()).PurgeExpiredEvents(now);
  tx.Commit();
  return purged;
}

// --- Streams ------------------------------------------------------------------

void LogService::CreateLogStream(const Context& context, const std::string& group,
                                 const std::string& stream) {
  auto lease = database_.Acquire();
  const LogGroup found = RequireGroup(lease.db(), {PartitionOf(context), group});
  if (!LogStore(lease.db()).InsertStream(found.record.id, stream, Millis(context.now))) {
    throw LogStreamAlreadyExists();
  }
}

void LogService::DeleteLogStream(const Context& context, const std::string& group,
                                 const std::string& stream) {
  auto lease = database_.Acquire();
  const LogGroup found = RequireGroup(lease.db(), {PartitionOf(context), group});
  LogStore store(lease.db());
  const auto record = store.FindStream(found.record.id, stream);
  if (!record) throw LogStreamNotFound();
  RefuseIfProtected(found.record);
  storage::Tx tx(lease.db());
  store.DeleteStream(found.record.id, record->id);
  tx.Commit();
}

Page<storage::LogStreamRecord> LogService::DescribeLogStreams(const Context& context,
                                                              const DescribeStreamsQuery& query) {
  (void)context;
  if (query.prefix && query.order == storage::StreamOrder::kLastEventTime) {
    throw InvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  auto lease = database_.Acquire();
  const LogGroup group = RequireGroup(lease.db(), query.group);
  const std::string listing = StreamListing(query, group.record.id);
  std::optional<storage::StreamCursor> after;
  if (query.next_token) after = ParseStreamKey(query, ResumeAfter(listing, query.next_token));
  Page<storage::LogStreamRecord> page;
  page.items = LogStore(lease.db())
                   .ListStreams(group.record.id, query.order, query.descending,
                                query.prefix.value_or(""), after, query.limit + 1);
  if (page.items.size() > query.limit) {
    page.items.pop_back();
    page.next_token = aws::EncodePageToken(listing, StreamKey(query, page.items.back()));
  }
  return page;
}

}  // namespace berth::logs
