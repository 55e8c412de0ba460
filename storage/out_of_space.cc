#include "storage/out_of_space.h"

#include <cerrno>
#include <system_error>

#include "storage/sqlite/db.h"

namespace berth::storage {

std::optional<std::string> OutOfSpaceMessage(const std::exception& error) {
  bool full = false;
  if (const auto* storage = dynamic_cast<const StorageError*>(&error)) {
    full = storage->IsFull();
  } else if (const auto* system = dynamic_cast<const std::system_error*>(&error)) {
    // std::filesystem::filesystem_error is a system_error too.
    const std::error_code code = system->code();
    full =
        (code.category() == std::generic_category() || code.category() == std::system_category()) &&
        (code.value() == ENOSPC || code.value() == EDQUOT);
  }
  if (!full) return std::nullopt;
  return std::string(kNoSpaceLeft) +
         ": Berth's data directory is full, so the request was not carried out; "
         "free space there and retry";
}

}  // namespace berth::storage
