#include "storage/task_protection_store.h"

namespace berth::storage {

void TaskProtectionStore::Protect(std::string_view cluster, std::string_view task_id,
                                  double expires_at) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_task_protection (account_id, region, cluster, task_id, expires_at)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (account_id, region, cluster, task_id) DO UPDATE SET
        expires_at = excluded.expires_at)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, task_id).Bind(5, expires_at);
  stmt.Run();
}

void TaskProtectionStore::Unprotect(std::string_view cluster, std::string_view task_id) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecs_task_protection
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND task_id = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, task_id);
  stmt.Run();
}

std::optional<double> TaskProtectionStore::ExpiresAt(std::string_view cluster,
                                                     std::string_view task_id) {
  Stmt stmt(db_, R"sql(
    SELECT expires_at FROM ecs_task_protection
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND task_id = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, task_id);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnDouble(0);
}

}  // namespace berth::storage
