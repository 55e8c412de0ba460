#pragma once

// The schema of Berth's SQLite database, as one ordered list of migration
// scripts. PRAGMA user_version records how many have been applied. Only ever
// append to the list; a script that has shipped is never edited.

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/sqlite/db.h"

namespace berth::storage {

// All migrations, oldest first. The schema version is the list's length.
std::span<const std::string_view> Migrations();
int64_t LatestSchemaVersion();

// Applies every pending migration, each in its own transaction together with
// the bump of user_version. Throws StorageError, or std::runtime_error when
// the database was written by a newer Berth (its version is above ours).
void Migrate(Db& db);

}  // namespace berth::storage
