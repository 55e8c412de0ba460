#include "storage/client_token_store.h"

namespace berth::storage {

std::optional<ClientTokenRecord> ClientTokenStore::Find(std::string_view operation,
                                                        std::string_view token) {
  Stmt stmt(db_, R"sql(
    SELECT request_hash, result FROM ecs_client_tokens
    WHERE account_id = ?1 AND region = ?2 AND operation = ?3 AND client_token = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, operation);
  stmt.Bind(4, token);
  if (!stmt.Step()) return std::nullopt;
  return ClientTokenRecord{stmt.ColumnText(0), stmt.ColumnText(1)};
}

void ClientTokenStore::Insert(std::string_view operation, std::string_view token,
                              const ClientTokenRecord& record, double now) {
  Stmt stmt(db_, R"sql(
    INSERT OR REPLACE INTO ecs_client_tokens (account_id, region, operation, client_token,
        request_hash, result, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, operation);
  stmt.Bind(4, token).Bind(5, record.request_hash).Bind(6, record.result).Bind(7, now);
  stmt.Run();
}

}  // namespace berth::storage
