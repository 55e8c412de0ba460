#pragma once

// ECS container instances and user capacity providers of one partition, one
// typed function per query. An instance names the Docker engine it stands
// for (`engine`: "local" for the Docker host Berth runs on); its document is
// what it registered with (resources, attributes, versionInfo, ...).
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

struct ContainerInstanceRecord {
  std::string cluster;
  std::string instance_id;  // 32 hex
  std::string status;       // ACTIVE, DRAINING, INACTIVE
  std::string engine;       // "local": the Docker engine Berth runs on
  double registered_at = 0;
  std::optional<double> deregistered_at;
  std::string document;  // the registered ContainerInstance members
};

class ContainerInstanceStore {
 public:
  ContainerInstanceStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<ContainerInstanceRecord> Find(std::string_view cluster, std::string_view id);
  // The cluster's instances, oldest registration first; INACTIVE ones only
  // when deregistered after `inactive_since`.
  std::vector<ContainerInstanceRecord> List(std::string_view cluster, double inactive_since);
  void Insert(const ContainerInstanceRecord& record);
  void Update(const ContainerInstanceRecord& record);
  // ACTIVE and DRAINING instances of the cluster.
  int64_t CountRegistered(std::string_view cluster);

 private:
  Db& db_;
  Partition partition_;
};

struct CapacityProviderRecord {
  std::string name;
  std::string status;  // ACTIVE, INACTIVE
  double created_at = 0;
  std::string document;  // the CapacityProvider shape (without tags)
};

class CapacityProviderStore {
 public:
  CapacityProviderStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<CapacityProviderRecord> Find(std::string_view name);
  // Every provider of the partition, by name.
  std::vector<CapacityProviderRecord> List();
  // Inserts, replacing an INACTIVE provider of the same name.
  void Upsert(const CapacityProviderRecord& record);
  void Remove(std::string_view name);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
