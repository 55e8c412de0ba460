#include "server/ecr/replication_service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "server/aws/arn.h"
#include "server/util/log.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/tag_store.h"

namespace berth::ecr {
namespace {

using nlohmann::json;
using storage::Partition;

// Pending copies are looked for at least this often even without a push
// (copies left pending by a restart).
constexpr std::chrono::seconds kPollInterval{5};
constexpr size_t kBatch = 64;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A policy member that may be one string or a list of strings.
std::vector<std::string> Strings(const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_array()) {
    for (const auto& v : value) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

bool PrincipalMatches(const json& principal, const std::string& account) {
  if (principal.is_string()) return principal.get<std::string>() == "*";
  if (!principal.is_object() || !principal.contains("AWS")) return false;
  for (const auto& p : Strings(principal.at("AWS"))) {
    if (p == "*" || p == account) return true;
    const auto arn = aws::Arn::Parse(p);
    if (arn && arn->service == "iam" && arn->account_id == account && arn->resource == "root") {
      return true;
    }
  }
  return false;
}

bool ActionMatches(const json& action, const std::string& wanted) {
  for (const auto& a : Strings(action)) {
    if (WildcardMatch(Lower(a), Lower(wanted))) return true;
  }
  return false;
}

// The image `digest` of repository `from` and, for an index, its children,
// copied as rows into repository `to` (children first).
void CopyManifest(storage::ImageStore& store, int64_t from, int64_t to, const std::string& digest,
                  double now, std::set<std::string>& copied) {
  if (!copied.insert(digest).second) return;
  auto image = store.FindImage(from, digest);
  if (!image) return;  // a child the source no longer has: PutManifest never allows it
  const auto references = store.References(from, digest);
  for (const auto& reference : references) {
    if (reference.kind == "manifest") {
      CopyManifest(store, from, to, reference.child_digest, now, copied);
    } else {
      store.LinkBlob(to, reference.child_digest, now);
    }
  }
  store.LinkBlob(to, digest, now);  // the manifest's own bytes
  storage::ImageRecord copy = std::move(*image);
  copy.repository_id = to;
  copy.pushed_at = now;
  copy.last_pulled_at.reset();
  copy.scanned_at.reset();
  copy.tags.clear();
  store.UpsertImage(copy);
  store.AddReferences(to, digest, references);
}

}  // namespace

std::vector<Partition> ReplicationDestinations(const std::string& configuration,
                                               const std::string& repository) {
  std::vector<Partition> out;
  const json document = json::parse(configuration, nullptr, false);
  if (!document.is_object() || !document.contains("rules")) return out;
  for (const auto& rule : document.at("rules")) {
    bool matches = true;
    if (rule.contains("repositoryFilters") && !rule.at("repositoryFilters").empty()) {
      matches = false;
      for (const auto& filter : rule.at("repositoryFilters")) {
        if (filter.value("filterType", "") == "PREFIX_MATCH" &&
            repository.starts_with(filter.value("filter", ""))) {
          matches = true;
        }
      }
    }
    if (!matches) continue;
    for (const auto& d : rule.at("destinations")) {
      Partition destination{d.value("registryId", ""), d.value("region", "")};
      const bool known = std::any_of(out.begin(), out.end(), [&](const Partition& p) {
        return p.account_id == destination.account_id && p.region == destination.region;
      });
      if (!known) out.push_back(std::move(destination));
    }
  }
  return out;
}

bool RegistryPolicyAllows(const std::optional<std::string>& policy_text, const std::string& account,
                          const std::string& action) {
  if (!policy_text) return false;
  const json policy = json::parse(*policy_text, nullptr, false);
  if (!policy.is_object() || !policy.contains("Statement")) return false;
  json statements = policy.at("Statement");
  if (statements.is_object()) statements = json::array({statements});
  bool allowed = false;
  for (const auto& statement : statements) {
    if (!statement.is_object() || !statement.contains("Principal") ||
        !statement.contains("Action")) {
      continue;
    }
    if (!PrincipalMatches(statement.at("Principal"), account) ||
        !ActionMatches(statement.at("Action"), action)) {
      continue;
    }
    const std::string effect = statement.value("Effect", "");
    if (effect == "Deny") return false;
    if (effect == "Allow") allowed = true;
  }
  return allowed;
}

storage::RepositoryRecord CreateReplicaRepository(storage::Db& db, const Partition& destination,
                                                  const std::string& name, double now) {
  storage::RepositoryRecord record;
  record.name = name;
  record.created_at = now;
  record.tag_mutability = "MUTABLE";
  record.scan_on_push = false;
  record.encryption_type = "AES256";
  storage::EcrStore store(db, destination);
  if (const auto id = store.InsertRepository(record)) {
    record.id = *id;
    // A repository of this name may have been deleted before (with tags).
    storage::TagStore(db).RemoveAll(
        aws::MakeArn("ecr", destination.region, destination.account_id, "repository/" + name));
    return record;
  }
  return *store.FindRepository(name);
}

ReplicationService::ReplicationService(storage::Database& database, ImageService& images,
                                       const Clock& clock)
    : database_(database), images_(images), clock_(clock) {
  images_.AddPushListener(this);
}

ReplicationService::~ReplicationService() {
  Stop();
  images_.RemovePushListener(this);
}

void ReplicationService::ManifestPushed(const Partition& registry, const std::string& repository,
                                        const std::string& digest, const std::string& tag,
                                        double now) noexcept {
  try {
    auto lease = database_.Acquire();
    const auto configuration =
        storage::EcrStore(lease.db(), registry).GetRegistry().replication_configuration;
    if (!configuration) return;
    const auto destinations = ReplicationDestinations(*configuration, repository);
    if (destinations.empty()) return;
    storage::Tx tx(lease.db());
    storage::ReplicationStore store(lease.db());
    for (const auto& destination : destinations) {
      store.Enqueue(registry, repository, digest, destination, tag, now);
    }
    tx.Commit();
  } catch (const std::exception& e) {
    log::Error("replication of " + repository + "@" + digest + " not recorded: " + e.what());
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

size_t ReplicationService::ReplicatePending() {
  size_t done = 0;
  while (true) {
    std::vector<storage::ReplicationRecord> batch;
    {
      auto lease = database_.Acquire();
      batch = storage::ReplicationStore(lease.db()).Pending(kBatch);
    }
    if (batch.empty()) return done;
    for (const auto& record : batch) Replicate(record);
    done += batch.size();
  }
}

void ReplicationService::MakeRepositoryFromTemplate(const storage::ReplicationRecord& r,
                                                    double now) {
  if (!repository_maker_) return;
  if (aws::PartitionForRegion(r.destination.region) != aws::PartitionForRegion(r.source.region)) {
    return;
  }
  {
    auto lease = database_.Acquire();
    storage::EcrStore destination(lease.db(), r.destination);
    if (destination.FindRepository(r.repository)) return;
    if (r.destination.account_id != r.source.account_id) {
      const auto policy = destination.GetRegistry().policy_text;
      if (!RegistryPolicyAllows(policy, r.source.account_id, "ecr:ReplicateImage") ||
          !RegistryPolicyAllows(policy, r.source.account_id, "ecr:CreateRepository")) {
        return;  // the copy fails with the reason
      }
    }
  }
  try {
    repository_maker_(r.destination, r.repository, now);
  } catch (const std::exception& e) {
    // The template's settings could not be applied: the copy makes the
    // repository with the defaults instead.
    log::Warn("replication: the creation template for " + r.repository + " in " +
              r.destination.account_id + "/" + r.destination.region + " failed: " + e.what());
  }
}

void ReplicationService::Replicate(const storage::ReplicationRecord& r) {
  const double now = clock_.Now();
  MakeRepositoryFromTemplate(r, now);
  auto lease = database_.Acquire();
  storage::Db& db = lease.db();
  try {
    storage::Tx tx(db);
    const auto finish = [&](std::optional<std::string> code) {
      storage::ReplicationStore(db).Finish(r, code ? "FAILED" : "COMPLETE", code, now);
      tx.Commit();
    };
    if (aws::PartitionForRegion(r.destination.region) != aws::PartitionForRegion(r.source.region)) {
      return finish(kReplicationCrossPartition);
    }
    const auto source = storage::EcrStore(db, r.source).FindRepository(r.repository);
    storage::ImageStore images(db);
    if (!source || !images.FindImage(source->id, r.digest)) {
      return finish(kReplicationImageNotFound);
    }
    storage::EcrStore destination_store(db, r.destination);
    auto destination = destination_store.FindRepository(r.repository);
    if (r.destination.account_id != r.source.account_id) {
      const auto policy = destination_store.GetRegistry().policy_text;
      if (!RegistryPolicyAllows(policy, r.source.account_id, "ecr:ReplicateImage")) {
        return finish(kReplicationAccessDenied);
      }
      if (!destination &&
          !RegistryPolicyAllows(policy, r.source.account_id, "ecr:CreateRepository")) {
        return finish(kReplicationRepositoryNotFound);
      }
    }
    if (!destination) destination = CreateReplicaRepository(db, r.destination, r.repository, now);
    std::set<std::string> copied;
    CopyManifest(images, source->id, destination->id, r.digest, now, copied);
    for (const auto& tag : r.tags) {
      const auto current = images.FindTag(destination->id, tag);
      // A tag the destination holds immutably on another image stays there:
      // the replica arrives without it.
      if (current && *current != r.digest &&
          IsTagImmutable(tag, destination->tag_mutability, destination->mutability_exclusions)) {
        continue;
      }
      images.SetTag(destination->id, tag, r.digest);
    }
    return finish(std::nullopt);
  } catch (const std::exception& e) {
    log::Error("replicating " + r.repository + "@" + r.digest + " to " + r.destination.account_id +
               "/" + r.destination.region + " failed: " + e.what());
  }
  // The copy's transaction rolled back; record the failure on its own.
  storage::ReplicationStore(db).Finish(r, "FAILED", std::string(kReplicationInternalError), now);
}

void ReplicationService::Start() {
  if (worker_.joinable()) return;
  worker_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
}

void ReplicationService::Stop() {
  if (!worker_.joinable()) return;
  worker_.request_stop();
  wake_.notify_all();
  worker_.join();
  worker_ = std::jthread();
}

void ReplicationService::Run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    try {
      ReplicatePending();
    } catch (const std::exception& e) {
      log::Error(std::string("replication worker: ") + e.what());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, kPollInterval, [this] { return poked_; });
    poked_ = false;
  }
}

}  // namespace berth::ecr
