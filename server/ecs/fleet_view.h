#pragma once

// What placement knows of a cluster's container instances, read once and
// kept in memory: its ACTIVE instances (oldest registration first), each
// with its ARN, registered resources, whether its agent is connected, and
// its attributes (registered ones and those set with PutAttributes, which
// replace them), as one column per attribute name so that a memberOf
// expression or a spread on an attribute reads integers, not JSON. RunTask
// and the service scheduler read a cluster's view instead of parsing every
// instance's registration for every placement (10,000 instances take tens
// of milliseconds to read; a placement should take under one).
//
// Consistency: a view is built at the cluster's fleet stamp
// (ContainerInstanceStore::FleetStamp), a random number that SQLite triggers
// replace in the same transaction as every write to the cluster's instances
// or attributes: RegisterContainerInstance, DeregisterContainerInstance,
// UpdateContainerInstancesState, PutAttributes, DeleteAttributes, the
// reconciler's SetEngineConnected, a reset, and any write added later. Each
// FleetViews::Get reads the stamp (one indexed row) and rebuilds the view
// when it differs from the one its view was built at. A rollback restores
// the old stamp with the old rows, so a view built from a rolled-back write
// is never matched again; a restart starts with no views. The stamp is read
// before the rows, under the caller's lease (the connection is exclusive),
// so a view always holds the rows its stamp stands for.
//
// Thread-safety: a FleetView is immutable and shared (std::shared_ptr);
// FleetViews may be called from any thread, each call with its own Db.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "server/aws/request_context.h"
#include "server/ecs/cluster_query.h"
#include "server/ecs/container_instance_service.h"
#include "storage/sqlite/db.h"

namespace berth::ecs {

class FleetView {
 public:
  struct Instance {
    std::string arn;
    std::string ec2_instance_id;
    HostResources resources;
    bool agent_connected = true;
  };
  // One attribute's values: per instance, 0 when it has no such attribute,
  // else an index into `values` (values[1] is "": an attribute without a
  // value).
  struct Column {
    std::vector<std::string> values;
    std::vector<uint32_t> of_instance;
    std::optional<std::string_view> ValueOf(size_t instance) const {
      const uint32_t id = of_instance[instance];
      if (id == 0) return std::nullopt;
      return values[id];
    }
  };

  // Reads the cluster's ACTIVE instances and their custom attributes.
  FleetView(storage::Db& db, const aws::RequestContext& context, const std::string& cluster);

  // The ACTIVE instances, oldest registration first (ties by instance id).
  const std::vector<Instance>& instances() const { return instances_; }
  // The index of the instance with that ARN, or nullopt.
  std::optional<size_t> IndexOf(const std::string& arn) const;
  // The column of an attribute name; null when no instance has it.
  const Column* ColumnOf(std::string_view name) const;
  // Whether each instance matches `query` (one flag per instance, in order).
  std::vector<bool> Matching(const ClusterQuery& query) const;

 private:
  std::vector<Instance> instances_;
  std::unordered_map<std::string, size_t> by_arn_;
  std::map<std::string, Column, std::less<>> columns_;
};

// The views of the clusters placement asked about lately, each rebuilt when
// its cluster's fleet stamp moved (see FleetView). One per process
// (Shared()), keyed by connection, partition and cluster; it keeps the most
// recently used few.
class FleetViews {
 public:
  static FleetViews& Shared();

  // The view of `cluster` as `db` holds it now (including the caller's own
  // uncommitted writes). Throws StorageError, and what reading an
  // instance's registration throws.
  std::shared_ptr<const FleetView> Get(storage::Db& db, const aws::RequestContext& context,
                                       const std::string& cluster);

  // How many views Get built (for tests and the bench).
  int64_t builds() const;

  // How many clusters' views are kept.
  static constexpr size_t kMaxViews = 16;

 private:
  using Key = std::tuple<const storage::Db*, std::string, std::string, std::string>;
  struct Entry {
    std::optional<int64_t> stamp;
    std::shared_ptr<const FleetView> view;
    uint64_t last_used = 0;
  };
  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;  // guarded by mutex_
  uint64_t uses_ = 0;             // guarded by mutex_
  int64_t builds_ = 0;            // guarded by mutex_
};

}  // namespace berth::ecs
