#pragma once

// Environment files of a container definition (`environmentFiles`) that
// live on this machine: `value` is an absolute path or a file:// URL of a
// `.env` file, read when the container is created. Lines are VARIABLE=VALUE
// taken literally (no quotes, no interpolation); blank lines, lines starting
// with '#' and lines without '=' are skipped; files are read in order and a
// later file's value of a variable replaces an earlier one. S3 objects (an
// arn:aws:s3 value) cannot be fetched locally: they are reported as not
// honoured by the translation (container_spec.h).
//
// Thread-safety: a pure function over the file system.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::reconciler {

// The path a local environment file value names, or "" when it is not local.
std::string LocalEnvironmentFilePath(const std::string& value);

// The variables of the container's local environment files (the override's
// list, when it has one, replaces the definition's). Returns "" on success,
// else why a file could not be used.
std::string ReadEnvironmentFiles(const nlohmann::json& definition, const nlohmann::json& override,
                                 std::vector<std::pair<std::string, std::string>>& variables);

}  // namespace berth::reconciler
