// LogService's tagging: the generic API by group ARN (TagResource & co.) and
// the deprecated one by group name (TagLogGroup & co.), over one tag set.

#include <set>

#include "server/aws/arn.h"
#include "server/logs/log_service.h"
#include "server/logs/logs_errors.h"
#include "storage/tag_store.h"

namespace berth::logs {
namespace {

// The group a tagging ARN names: ValidationException for anything but a
// log-group ARN without ":*"; ResourceNotFoundException when it does not
// exist (destinations, which Berth has none of, included).
LogGroup TaggableGroup(storage::Db& db, const std::string& arn) {
  const auto ref = ParseTaggableArn(arn);
  if (!ref) {
    const auto parsed = aws::Arn::Parse(arn);
    if (parsed && parsed->service == "logs" && parsed->resource.starts_with("destination:")) {
      throw TaggedResourceNotFound();
    }
    throw InvalidResourceArn();
  }
  auto group = storage::LogStore(db).FindGroup(ref->partition, ref->name);
  if (!group) throw TaggedResourceNotFound();
  return {ref->partition, std::move(*group)};
}

Tags ListOf(storage::Db& db, const LogGroup& group) {
  Tags tags;
  for (auto& tag : storage::TagStore(db).List(LogGroupArn(group.partition, group.record.name))) {
    tags.emplace(std::move(tag.key), std::move(tag.value));
  }
  return tags;
}

// Adds `tags` (new keys added, existing ones overwritten) unless the group
// would then have more than kMaxTags; returns false then, changing nothing.
bool AddTags(storage::Db& db, const LogGroup& group, const Tags& tags) {
  const std::string arn = LogGroupArn(group.partition, group.record.name);
  std::set<std::string> keys;
  for (const auto& tag : storage::TagStore(db).List(arn)) keys.insert(tag.key);
  std::vector<storage::Tag> list;
  for (const auto& [key, value] : tags) {
    keys.insert(key);
    list.push_back({key, value});
  }
  if (keys.size() > kMaxTags) return false;
  storage::Tx tx(db);
  storage::TagStore(db).Put(arn, list);
  tx.Commit();
  return true;
}

void RemoveTags(storage::Db& db, const LogGroup& group, const std::vector<std::string>& keys) {
  storage::Tx tx(db);
  storage::TagStore(db).Remove(LogGroupArn(group.partition, group.record.name), keys);
  tx.Commit();
}

GroupRef NamedGroup(const Context& context, const std::string& name) {
  return {{context.account_id, context.region}, name};
}

}  // namespace

Tags LogService::ListTagsForResource(const Context& context, const std::string& arn) {
  (void)context;
  auto lease = database_.Acquire();
  return ListOf(lease.db(), TaggableGroup(lease.db(), arn));
}

void LogService::TagResource(const Context& context, const std::string& arn, const Tags& tags) {
  (void)context;
  auto lease = database_.Acquire();
  if (!AddTags(lease.db(), TaggableGroup(lease.db(), arn), tags)) throw TooManyTagsException(arn);
}

void LogService::UntagResource(const Context& context, const std::string& arn,
                               const std::vector<std::string>& keys) {
  (void)context;
  auto lease = database_.Acquire();
  RemoveTags(lease.db(), TaggableGroup(lease.db(), arn), keys);
}

Tags LogService::ListTagsLogGroup(const Context& context, const std::string& group) {
  auto lease = database_.Acquire();
  return ListOf(lease.db(), RequireGroup(lease.db(), NamedGroup(context, group)));
}

void LogService::TagLogGroup(const Context& context, const std::string& group, const Tags& tags) {
  auto lease = database_.Acquire();
  if (!AddTags(lease.db(), RequireGroup(lease.db(), NamedGroup(context, group)), tags)) {
    throw InvalidParameterException("A log group can have no more than 50 tags.");
  }
}

void LogService::UntagLogGroup(const Context& context, const std::string& group,
                               const std::vector<std::string>& keys) {
  auto lease = database_.Acquire();
  RemoveTags(lease.db(), RequireGroup(lease.db(), NamedGroup(context, group)), keys);
}

}  // namespace berth::logs
