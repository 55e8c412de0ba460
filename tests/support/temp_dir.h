#pragma once

// A fresh directory under the system's temporary directory for one test,
// removed with everything in it when the TempDir goes away.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace berth::testing {

class TempDir {
 public:
  // "/tmp/<prefix>-XXXXXX", made now. Throws std::runtime_error.
  explicit TempDir(const std::string& prefix)
      : path_((std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string()) {
    if (mkdtemp(path_.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace berth::testing
