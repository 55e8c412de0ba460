#include "storage/image_store.h"

namespace berth::storage {
namespace {

constexpr std::string_view kImageColumns =
    "repository_id, digest, media_type, artifact_media_type, artifact_type, manifest_size, "
    "image_size, subject_digest, annotations, pushed_at, last_pulled_at, scanned_at, image_status, "
    "last_archived_at, last_activated_at";

ImageRecord ReadImage(const Stmt& stmt) {
  ImageRecord r;
  r.repository_id = stmt.ColumnInt(0);
  r.digest = stmt.ColumnText(1);
  r.media_type = stmt.ColumnText(2);
  r.artifact_media_type = stmt.ColumnOptionalText(3);
  r.artifact_type = stmt.ColumnOptionalText(4);
  r.manifest_size = stmt.ColumnInt(5);
  r.image_size = stmt.ColumnInt(6);
  r.subject_digest = stmt.ColumnOptionalText(7);
  r.annotations = stmt.ColumnOptionalText(8);
  r.pushed_at = stmt.ColumnDouble(9);
  if (!stmt.IsNull(10)) r.last_pulled_at = stmt.ColumnDouble(10);
  if (!stmt.IsNull(11)) r.scanned_at = stmt.ColumnDouble(11);
  r.image_status = stmt.ColumnText(12);
  if (!stmt.IsNull(13)) r.last_archived_at = stmt.ColumnDouble(13);
  if (!stmt.IsNull(14)) r.last_activated_at = stmt.ColumnDouble(14);
  return r;
}

std::string SelectImages(std::string_view rest) {
  return "SELECT " + std::string(kImageColumns) + " FROM ecr_images " + std::string(rest);
}

}  // namespace

void ImageStore::AddBlob(std::string_view digest, int64_t size, double now) {
  Stmt stmt(db_, R"sql(
    INSERT INTO blobs (digest, size, created_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (digest) DO NOTHING)sql");
  stmt.Bind(1, digest).Bind(2, size).Bind(3, now);
  stmt.Run();
}

std::optional<int64_t> ImageStore::BlobSize(std::string_view digest) {
  Stmt stmt(db_, "SELECT size FROM blobs WHERE digest = ?1");
  stmt.Bind(1, digest);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnInt(0);
}

void ImageStore::LinkBlob(int64_t repository_id, std::string_view digest, double now) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_repository_blobs (repository_id, digest, added_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (repository_id, digest) DO UPDATE SET added_at = excluded.added_at,
        unreferenced_at = NULL)sql");
  stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, now);
  stmt.Run();
}

std::optional<int64_t> ImageStore::RepositoryBlobSize(int64_t repository_id,
                                                      std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT b.size FROM ecr_repository_blobs l JOIN blobs b ON b.digest = l.digest
    WHERE l.repository_id = ?1 AND l.digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnInt(0);
}

void ImageStore::UnlinkBlob(int64_t repository_id, std::string_view digest) {
  Stmt stmt(db_, "DELETE FROM ecr_repository_blobs WHERE repository_id = ?1 AND digest = ?2");
  stmt.Bind(1, repository_id).Bind(2, digest);
  stmt.Run();
}

bool ImageStore::BlobInUse(std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT EXISTS (SELECT 1 FROM ecr_repository_blobs WHERE digest = ?1)
        OR EXISTS (SELECT 1 FROM ecr_image_references WHERE child_digest = ?1)
        OR EXISTS (SELECT 1 FROM ecr_images WHERE digest = ?1))sql");
  stmt.Bind(1, digest);
  return stmt.Step() && stmt.ColumnBool(0);
}

void ImageStore::DeleteBlob(std::string_view digest) {
  Stmt stmt(db_, "DELETE FROM blobs WHERE digest = ?1");
  stmt.Bind(1, digest);
  stmt.Run();
}

std::vector<std::string> ImageStore::OrphanBlobs(double before) {
  Stmt stmt(db_, R"sql(
    SELECT b.digest FROM blobs b
    WHERE b.created_at < ?1
      AND NOT EXISTS (SELECT 1 FROM ecr_repository_blobs l WHERE l.digest = b.digest)
      AND NOT EXISTS (SELECT 1 FROM ecr_image_references r WHERE r.child_digest = b.digest)
      AND NOT EXISTS (SELECT 1 FROM ecr_images i WHERE i.digest = b.digest))sql");
  stmt.Bind(1, before);
  std::vector<std::string> out;
  while (stmt.Step()) out.push_back(stmt.ColumnText(0));
  return out;
}

std::optional<ImageRecord> ImageStore::FindImage(int64_t repository_id, std::string_view digest) {
  auto image = FindImageUntagged(repository_id, digest);
  if (image) image->tags = TagsOf(repository_id, digest);
  return image;
}

std::optional<ImageRecord> ImageStore::FindImageUntagged(int64_t repository_id,
                                                         std::string_view digest) {
  Stmt stmt(db_, SelectImages("WHERE repository_id = ?1 AND digest = ?2"));
  stmt.Bind(1, repository_id).Bind(2, digest);
  if (!stmt.Step()) return std::nullopt;
  return ReadImage(stmt);
}

std::optional<std::string> ImageStore::FindTag(int64_t repository_id, std::string_view tag) {
  Stmt stmt(db_, "SELECT digest FROM ecr_image_tags WHERE repository_id = ?1 AND tag = ?2");
  stmt.Bind(1, repository_id).Bind(2, tag);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnText(0);
}

void ImageStore::UpsertImage(const ImageRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_images (repository_id, digest, media_type, artifact_media_type,
        artifact_type, manifest_size, image_size, subject_digest, annotations, pushed_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
    ON CONFLICT (repository_id, digest) DO UPDATE SET pushed_at = excluded.pushed_at,
        image_status = 'ACTIVE', activating_until = NULL,
        last_activated_at = CASE WHEN image_status = 'ACTIVE' THEN last_activated_at
                                 ELSE excluded.pushed_at END)sql");
  stmt.Bind(1, r.repository_id).Bind(2, r.digest).Bind(3, r.media_type);
  stmt.Bind(4, r.artifact_media_type).Bind(5, r.artifact_type).Bind(6, r.manifest_size);
  stmt.Bind(7, r.image_size).Bind(8, r.subject_digest).Bind(9, r.annotations);
  stmt.Bind(10, r.pushed_at);
  stmt.Run();
}

void ImageStore::AddReferences(int64_t repository_id, std::string_view digest,
                               const std::vector<ImageReference>& references) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_image_references (repository_id, digest, child_digest, kind)
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING)sql");
  for (const auto& reference : references) {
    stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, reference.child_digest);
    stmt.Bind(4, reference.kind);
    stmt.Run();
    stmt.Reset();
  }
}

std::vector<ImageReference> ImageStore::References(int64_t repository_id, std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT child_digest, kind FROM ecr_image_references
    WHERE repository_id = ?1 AND digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest);
  std::vector<ImageReference> out;
  while (stmt.Step()) out.push_back({stmt.ColumnText(0), stmt.ColumnText(1)});
  return out;
}

std::vector<std::string> ImageStore::Parents(int64_t repository_id, std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT digest FROM ecr_image_references
    WHERE child_digest = ?2 AND repository_id = ?1 AND kind = 'manifest' ORDER BY digest)sql");
  stmt.Bind(1, repository_id).Bind(2, digest);
  std::vector<std::string> out;
  while (stmt.Step()) out.push_back(stmt.ColumnText(0));
  return out;
}

bool ImageStore::IsReferenced(int64_t repository_id, std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT EXISTS (SELECT 1 FROM ecr_image_references
                   WHERE child_digest = ?2 AND repository_id = ?1))sql");
  stmt.Bind(1, repository_id).Bind(2, digest);
  return stmt.Step() && stmt.ColumnBool(0);
}

void ImageStore::SetTag(int64_t repository_id, std::string_view tag, std::string_view digest) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_image_tags (repository_id, tag, digest) VALUES (?1, ?2, ?3)
    ON CONFLICT (repository_id, tag) DO UPDATE SET digest = excluded.digest)sql");
  stmt.Bind(1, repository_id).Bind(2, tag).Bind(3, digest);
  stmt.Run();
}

void ImageStore::RemoveTag(int64_t repository_id, std::string_view tag) {
  Stmt stmt(db_, "DELETE FROM ecr_image_tags WHERE repository_id = ?1 AND tag = ?2");
  stmt.Bind(1, repository_id).Bind(2, tag);
  stmt.Run();
}

std::vector<std::string> ImageStore::TagsOf(int64_t repository_id, std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT tag FROM ecr_image_tags WHERE repository_id = ?1 AND digest = ?2 ORDER BY tag)sql");
  stmt.Bind(1, repository_id).Bind(2, digest);
  std::vector<std::string> out;
  while (stmt.Step()) out.push_back(stmt.ColumnText(0));
  return out;
}

void ImageStore::DeleteImage(int64_t repository_id, std::string_view digest) {
  Stmt stmt(db_, "DELETE FROM ecr_images WHERE repository_id = ?1 AND digest = ?2");
  stmt.Bind(1, repository_id).Bind(2, digest);
  stmt.Run();
}

int64_t ImageStore::CountImages(int64_t repository_id) {
  Stmt stmt(db_, "SELECT COUNT(*) FROM ecr_images WHERE repository_id = ?1");
  stmt.Bind(1, repository_id);
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

std::vector<ImageRecord> ImageStore::ListImages(int64_t repository_id,
                                                std::string_view after_digest,
                                                std::optional<bool> tagged, size_t limit,
                                                const std::optional<std::string>& status) {
  std::string where = "WHERE repository_id = ?1 AND digest > ?2";
  if (status) where += " AND image_status = ?4";
  constexpr std::string_view kHasTag =
      "EXISTS (SELECT 1 FROM ecr_image_tags t WHERE t.repository_id = ecr_images.repository_id "
      "AND t.digest = ecr_images.digest)";
  if (tagged) where += std::string(*tagged ? " AND " : " AND NOT ") + std::string(kHasTag);
  Stmt stmt(db_, SelectImages(where + " ORDER BY digest LIMIT ?3"));
  stmt.Bind(1, repository_id).Bind(2, after_digest).Bind(3, static_cast<int64_t>(limit));
  if (status) stmt.Bind(4, *status);
  std::vector<ImageRecord> out;
  while (stmt.Step()) out.push_back(ReadImage(stmt));
  for (auto& image : out) image.tags = TagsOf(repository_id, image.digest);
  return out;
}

std::vector<std::string> ImageStore::ListTags(int64_t repository_id, std::string_view after,
                                              size_t limit) {
  Stmt stmt(db_, R"sql(
    SELECT tag FROM ecr_image_tags WHERE repository_id = ?1 AND tag > ?2
    ORDER BY tag LIMIT ?3)sql");
  stmt.Bind(1, repository_id).Bind(2, after).Bind(3, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  while (stmt.Step()) out.push_back(stmt.ColumnText(0));
  return out;
}

std::vector<ImageRecord> ImageStore::Referrers(int64_t repository_id,
                                               std::string_view subject_digest) {
  Stmt stmt(db_, SelectImages("WHERE repository_id = ?1 AND subject_digest = ?2 ORDER BY digest"));
  stmt.Bind(1, repository_id).Bind(2, subject_digest);
  std::vector<ImageRecord> out;
  while (stmt.Step()) out.push_back(ReadImage(stmt));
  return out;
}

void ImageStore::TouchPulled(int64_t repository_id, std::string_view digest, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_images SET last_pulled_at = ?3 WHERE repository_id = ?1 AND digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, now);
  try {
    stmt.Run();
  } catch (const StorageError& e) {
    // Bookkeeping of a read: a full disk must not fail the pull.
    if (!e.IsFull()) throw;
  }
}

void ImageStore::SetScanned(int64_t repository_id, std::string_view digest, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_images SET scanned_at = ?3 WHERE repository_id = ?1 AND digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, now);
  stmt.Run();
}

void ImageStore::ArchiveImage(int64_t repository_id, std::string_view digest, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_images SET image_status = 'ARCHIVED', last_archived_at = ?3,
        activating_until = NULL
    WHERE repository_id = ?1 AND digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, now);
  stmt.Run();
}

void ImageStore::StartActivation(int64_t repository_id, std::string_view digest, double until) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_images SET image_status = 'ACTIVATING', activating_until = ?3
    WHERE repository_id = ?1 AND digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, until);
  stmt.Run();
}

int64_t ImageStore::FinishActivations(double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_images SET image_status = 'ACTIVE', last_activated_at = activating_until,
        activating_until = NULL
    WHERE image_status = 'ACTIVATING' AND activating_until <= ?1)sql");
  stmt.Bind(1, now);
  stmt.Run();
  return db_.Changes();
}

std::optional<double> ImageStore::NextActivation() {
  Stmt stmt(db_, R"sql(
    SELECT MIN(activating_until) FROM ecr_images WHERE image_status = 'ACTIVATING')sql");
  if (!stmt.Step() || stmt.IsNull(0)) return std::nullopt;
  return stmt.ColumnDouble(0);
}

void ImageStore::MarkUnreferenced(int64_t repository_id, std::string_view digest, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_repository_blobs SET unreferenced_at = ?3
    WHERE repository_id = ?1 AND digest = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, digest).Bind(3, now);
  stmt.Run();
}

std::vector<std::pair<int64_t, std::string>> ImageStore::StaleLinks(double before) {
  Stmt stmt(db_, R"sql(
    SELECT l.repository_id, l.digest FROM ecr_repository_blobs l
    WHERE COALESCE(l.unreferenced_at, l.added_at) < ?1
      AND NOT EXISTS (SELECT 1 FROM ecr_image_references r
                      WHERE r.child_digest = l.digest AND r.repository_id = l.repository_id)
      AND NOT EXISTS (SELECT 1 FROM ecr_images i
                      WHERE i.repository_id = l.repository_id AND i.digest = l.digest))sql");
  stmt.Bind(1, before);
  std::vector<std::pair<int64_t, std::string>> out;
  while (stmt.Step()) out.emplace_back(stmt.ColumnInt(0), stmt.ColumnText(1));
  return out;
}

std::vector<std::string> ImageStore::RepositoryDigests(int64_t repository_id) {
  Stmt stmt(db_, R"sql(
    SELECT digest FROM ecr_images WHERE repository_id = ?1
    UNION SELECT child_digest FROM ecr_image_references WHERE repository_id = ?1
    UNION SELECT digest FROM ecr_repository_blobs WHERE repository_id = ?1)sql");
  stmt.Bind(1, repository_id);
  std::vector<std::string> out;
  while (stmt.Step()) out.push_back(stmt.ColumnText(0));
  return out;
}

void ImageStore::InsertUpload(const UploadRecord& u) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_uploads (uuid, repository_id, started_at, updated_at) VALUES (?1, ?2, ?3, ?4))sql");
  stmt.Bind(1, u.uuid).Bind(2, u.repository_id).Bind(3, u.started_at).Bind(4, u.updated_at);
  stmt.Run();
}

std::optional<UploadRecord> ImageStore::FindUpload(std::string_view uuid) {
  Stmt stmt(db_, R"sql(
    SELECT uuid, repository_id, started_at, updated_at FROM ecr_uploads WHERE uuid = ?1)sql");
  stmt.Bind(1, uuid);
  if (!stmt.Step()) return std::nullopt;
  return UploadRecord{stmt.ColumnText(0), stmt.ColumnInt(1), stmt.ColumnDouble(2),
                      stmt.ColumnDouble(3)};
}

void ImageStore::TouchUpload(std::string_view uuid, double now) {
  Stmt stmt(db_, "UPDATE ecr_uploads SET updated_at = ?2 WHERE uuid = ?1");
  stmt.Bind(1, uuid).Bind(2, now);
  stmt.Run();
}

void ImageStore::DeleteUpload(std::string_view uuid) {
  Stmt stmt(db_, "DELETE FROM ecr_uploads WHERE uuid = ?1");
  stmt.Bind(1, uuid);
  stmt.Run();
}

std::vector<std::string> ImageStore::StaleUploads(double idle_before) {
  Stmt stmt(db_, "SELECT uuid FROM ecr_uploads WHERE updated_at < ?1");
  stmt.Bind(1, idle_before);
  std::vector<std::string> out;
  while (stmt.Step()) out.push_back(stmt.ColumnText(0));
  return out;
}

}  // namespace berth::storage
