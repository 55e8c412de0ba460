#pragma once

// The history of ECS services of one partition: service deployments (one
// per deployment-creating change, with its progress) and service revisions
// (an immutable snapshot of what each deployed), one typed function per
// query. Both are deleted with their service.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// A service deployment; `document` is its state beyond the status (JSON).
struct ServiceDeploymentRecord {
  std::string cluster;
  std::string service;
  std::string id;  // 21 characters of [A-Za-z0-9_-]
  std::string status;
  double created_at = 0;
  std::string document = "{}";
};

// A service revision; `document` is the ServiceRevision as described (JSON).
struct ServiceRevisionRecord {
  std::string cluster;
  std::string service;
  std::string id;  // the digits of the deployment that introduced it
  double created_at = 0;
  std::string document = "{}";
};

class ServiceHistoryStore {
 public:
  ServiceHistoryStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  void PutDeployment(const ServiceDeploymentRecord& deployment);
  std::optional<ServiceDeploymentRecord> FindDeployment(std::string_view cluster,
                                                        std::string_view service,
                                                        std::string_view id);
  // A service's deployments, newest first, created in (after, before).
  std::vector<ServiceDeploymentRecord> Deployments(std::string_view cluster,
                                                   std::string_view service, double after,
                                                   double before);

  void PutRevision(const ServiceRevisionRecord& revision);
  std::optional<ServiceRevisionRecord> FindRevision(std::string_view cluster,
                                                    std::string_view service, std::string_view id);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
