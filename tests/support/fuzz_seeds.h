#pragma once

// Records what the in-process tests send as seeds for the fuzz targets of
// tests/fuzz: when BERTH_FUZZ_SEEDS names a directory, each input is written
// to <dir>/<target>/<hash> in the target's input format. tests/fuzz/
// make_seeds.sh runs the tests so and minimises the result into the corpora.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace berth::testing {

inline void RecordFuzzSeed(const char* target, std::string_view input) {
  const char* dir = std::getenv("BERTH_FUZZ_SEEDS");
  if (dir == nullptr || *dir == '\0') return;
  const std::filesystem::path folder = std::filesystem::path(dir) / target;
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  std::ostringstream name;
  name << std::hex << std::hash<std::string_view>{}(input);
  std::ofstream(folder / name.str(), std::ios::binary) << input;
}

}  // namespace berth::testing
