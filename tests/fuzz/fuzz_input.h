#pragma once

// How the fuzz targets read their inputs: a first line (an operation, a
// content type, a request line) and the rest. Plain text, so that seeds are
// readable and easy to write by hand.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace berth::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// {first line, rest}; the whole input is the first line when it has no '\n'.
inline std::pair<std::string_view, std::string_view> SplitFirstLine(std::string_view input) {
  const size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return {input, {}};
  return {input.substr(0, nl), input.substr(nl + 1)};
}

// A broken promise of Berth's: reported by libFuzzer as a crash, with the input.
[[noreturn]] inline void Violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "berth fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace berth::fuzz
