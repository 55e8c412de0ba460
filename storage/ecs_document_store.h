#pragma once

// ECS resources kept as documents, of one partition: daemon task
// definitions, daemons, their deployments and revisions (ECS Managed
// Daemons), and Express gateway service configurations, each kept as the
// AWS document it is described with (JSON text) under a kind and a key:
//   kTaskDefinition  name = family,            id = revision (10 digits)
//   kDaemon          name = <cluster>/<name>,  id = ""
//   kDeployment      name = <cluster>/<name>,  id = deployment id
//   kRevision        name = <cluster>/<name>,  id = revision id
//   kRunnable        name = family,            id = revision (10 digits):
//                    the task definition the reconciler runs a daemon's
//                    tasks from
//   kExpressService  name = <cluster>/<name>,  id = ""
// Storage never interprets the documents.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

struct EcsDocument {
  Partition partition;
  std::string kind;
  std::string name;
  std::string id;
  double created_at = 0;
  std::string document;
};

class EcsDocumentStore {
 public:
  static constexpr std::string_view kTaskDefinition = "task-definition";
  static constexpr std::string_view kDaemon = "daemon";
  static constexpr std::string_view kDeployment = "deployment";
  static constexpr std::string_view kRevision = "revision";
  static constexpr std::string_view kRunnable = "runnable";
  static constexpr std::string_view kExpressService = "express-service";

  // A task definition revision as the store keys it (10 digits).
  static std::string RevisionKey(int64_t revision);

  EcsDocumentStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  // Inserts or replaces the object (its created_at is kept on replace).
  void Put(std::string_view kind, std::string_view name, std::string_view id, double created_at,
           std::string_view document);
  std::optional<EcsDocument> Find(std::string_view kind, std::string_view name,
                                  std::string_view id);
  // Objects of a kind, by name then id; of one name when `name` is set, else
  // those whose name starts with `prefix`.
  std::vector<EcsDocument> List(std::string_view kind, const std::optional<std::string>& name,
                                std::string_view prefix = "");
  void Remove(std::string_view kind, std::string_view name, std::string_view id);
  // Every object of a kind in every partition (the daemon scheduler's view).
  static std::vector<EcsDocument> AllOfKind(Db& db, std::string_view kind);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
