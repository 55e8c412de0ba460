#include "server/reconciler/env_files.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace berth::reconciler {
namespace {

using nlohmann::json;

constexpr size_t kMaxFileBytes = 1024 * 1024;

bool IsVariableName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0) return false;
  for (const char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string LocalEnvironmentFilePath(const std::string& value) {
  if (value.starts_with("file://")) return value.substr(7);
  if (value.starts_with("/")) return value;
  return "";
}

std::string ReadEnvironmentFiles(const json& definition, const json& override,
                                 std::vector<std::pair<std::string, std::string>>& variables) {
  const json& files = override.contains("environmentFiles")
                          ? override.at("environmentFiles")
                          : definition.value("environmentFiles", json::array());
  const auto set = [&](const std::string& name, const std::string& value) {
    for (auto& v : variables) {
      if (v.first == name) {
        v.second = value;
        return;
      }
    }
    variables.emplace_back(name, value);
  };
  for (const auto& file : files) {
    const std::string path = LocalEnvironmentFilePath(file.value("value", ""));
    if (path.empty()) continue;  // S3: not fetched (noted by the translation)
    if (!path.ends_with(".env")) return path + ": an environment file must have the .env extension";
    std::ifstream in(path, std::ios::binary);
    if (!in) return path + ": " + std::strerror(errno);
    std::string text(kMaxFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) return path + ": larger than 1 MiB";
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      start = end + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      const std::string name = line.substr(0, eq);
      if (!IsVariableName(name)) return path + ": '" + name + "' is not a variable name";
      set(name, line.substr(eq + 1));
    }
  }
  return "";
}

}  // namespace berth::reconciler
