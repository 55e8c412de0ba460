#include "storage/partition_store.h"

namespace berth::storage {

std::vector<Partition> PartitionStore::InUse() {
  // Each SELECT reads the leading columns of a key or index only.
  Stmt stmt(db_, R"sql(
    SELECT account_id, region FROM ecr_repositories
    UNION SELECT account_id, region FROM ecs_clusters
    UNION SELECT account_id, region FROM ecs_task_definition_families
    UNION SELECT account_id, region FROM log_groups
    ORDER BY 1, 2)sql");
  std::vector<Partition> out;
  while (stmt.Step()) out.push_back({stmt.ColumnText(0), stmt.ColumnText(1)});
  return out;
}

}  // namespace berth::storage
