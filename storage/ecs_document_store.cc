#include "storage/ecs_document_store.h"

namespace berth::storage {
namespace {

EcsDocument Read(const Stmt& stmt) {
  EcsDocument o;
  o.partition = {stmt.ColumnText(0), stmt.ColumnText(1)};
  o.kind = stmt.ColumnText(2);
  o.name = stmt.ColumnText(3);
  o.id = stmt.ColumnText(4);
  o.created_at = stmt.ColumnDouble(5);
  o.document = stmt.ColumnText(6);
  return o;
}

constexpr const char* kDocumentColumns = "account_id, region, kind, name, id, created_at, document";

}  // namespace

std::string EcsDocumentStore::RevisionKey(int64_t revision) {
  std::string digits = std::to_string(revision);
  if (digits.size() < 10) digits.insert(0, 10 - digits.size(), '0');
  return digits;
}

void EcsDocumentStore::Put(std::string_view kind, std::string_view name, std::string_view id,
                           double created_at, std::string_view document) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_documents (account_id, region, kind, name, id, created_at, document)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (account_id, region, kind, name, id) DO UPDATE SET
        document = excluded.document)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, kind).Bind(4, name);
  stmt.Bind(5, id).Bind(6, created_at).Bind(7, document);
  stmt.Run();
}

std::optional<EcsDocument> EcsDocumentStore::Find(std::string_view kind, std::string_view name,
                                                  std::string_view id) {
  Stmt stmt(db_, std::string("SELECT ") + kDocumentColumns + R"sql( FROM ecs_documents
    WHERE account_id = ?1 AND region = ?2 AND kind = ?3 AND name = ?4 AND id = ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, kind).Bind(4, name);
  stmt.Bind(5, id);
  if (!stmt.Step()) return std::nullopt;
  return Read(stmt);
}

std::vector<EcsDocument> EcsDocumentStore::List(std::string_view kind,
                                                const std::optional<std::string>& name,
                                                std::string_view prefix) {
  Stmt stmt(db_, std::string("SELECT ") + kDocumentColumns + R"sql( FROM ecs_documents
    WHERE account_id = ?1 AND region = ?2 AND kind = ?3
      AND (?4 IS NULL OR name = ?4) AND substr(name, 1, length(?5)) = ?5
    ORDER BY name, id)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, kind);
  if (name) {
    stmt.Bind(4, *name);
  } else {
    stmt.Bind(4, std::nullopt);
  }
  stmt.Bind(5, prefix);
  std::vector<EcsDocument> out;
  while (stmt.Step()) out.push_back(Read(stmt));
  return out;
}

void EcsDocumentStore::Remove(std::string_view kind, std::string_view name, std::string_view id) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecs_documents
    WHERE account_id = ?1 AND region = ?2 AND kind = ?3 AND name = ?4 AND id = ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, kind).Bind(4, name);
  stmt.Bind(5, id);
  stmt.Run();
}

std::vector<EcsDocument> EcsDocumentStore::AllOfKind(Db& db, std::string_view kind) {
  Stmt stmt(db, std::string("SELECT ") + kDocumentColumns + R"sql( FROM ecs_documents
    WHERE kind = ?1 ORDER BY account_id, region, name, id)sql");
  stmt.Bind(1, kind);
  std::vector<EcsDocument> out;
  while (stmt.Step()) out.push_back(Read(stmt));
  return out;
}

}  // namespace berth::storage
