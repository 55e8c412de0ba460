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
  // A page of the cluster's instances in instance id order, those with an id
  // after `after`, at most `limit`: with `status`, those in it (INACTIVE ones
  // only when deregistered after `inactive_since`); without, all but the
  // INACTIVE ones. Reads the primary key's order: no sort, no full scan.
  std::vector<ContainerInstanceRecord> ListPage(std::string_view cluster, double inactive_since,
                                                const std::optional<std::string>& status,
                                                std::string_view after, int64_t limit);
  void Insert(const ContainerInstanceRecord& record);
  void Update(const ContainerInstanceRecord& record);
  // ACTIVE and DRAINING instances of the cluster.
  int64_t CountRegistered(std::string_view cluster);
  // The cluster's fleet stamp: a random number that every write to the
  // cluster's instances or their attributes (ecs_attributes) replaces, in
  // the same transaction (triggers, schema step 11), whichever code writes;
  // a rollback restores it with the rows. Equal stamps mean the same
  // instances and attributes, with overwhelming likelihood (64 random bits,
  // not a counter: the stamp of a rolled-back write is never issued again
  // for different rows). nullopt: the cluster never had an instance or
  // attribute.
  std::optional<int64_t> FleetStamp(std::string_view cluster);

 private:
  Db& db_;
  Partition partition_;
};

// Every instance of every partition that stands for an engine other than
// the local one (whatever its status: a deregistered instance's tasks still
// stop on its engine), oldest registration first.
std::vector<ContainerInstanceRecord> InstancesOfOtherEngines(Db& db);
// Records in the document of every instance of `engine` whether Berth
// reaches that engine (its `agentConnected`); returns how many changed.
int64_t SetEngineConnected(Db& db, std::string_view engine, bool connected);

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
