#include "server/dashboard/snapshot.h"

#include <functional>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace berth::dashboard {
namespace {

// A JSON string literal of `text` (ids and names are plain, but quote them
// properly all the same).
std::string Quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool SameText(const std::shared_ptr<const std::string>& a,
              const std::shared_ptr<const std::string>& b) {
  return a == b || (a && b && *a == *b);
}

}  // namespace

std::string Snapshot::Full() const {
  size_t size = 16;
  for (const auto& [name, text] : members) size += name.size() + text.size() + 4;
  for (const auto& row : tasks) size += row.json->size() + 1;
  std::string out;
  out.reserve(size);
  out += '{';
  for (const auto& [name, text] : members) {
    out += Quoted(name);
    out += ':';
    out += text;
    out += ',';
  }
  out += "\"tasks\":[";
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (i > 0) out += ',';
    out += *tasks[i].json;
  }
  out += "]}";
  return out;
}

std::string Snapshot::DeltaFrom(const Snapshot& base, const std::string& base_tag) const {
  std::string out = "{\"base\":" + Quoted(base_tag) + ",\"members\":{";
  bool first = true;
  for (const auto& [name, text] : members) {
    bool same = false;
    for (const auto& [base_name, base_text] : base.members) {
      if (base_name == name) {
        same = base_text == text;
        break;
      }
    }
    if (same) continue;
    if (!first) out += ',';
    first = false;
    out += Quoted(name);
    out += ':';
    out += text;
  }
  out += "},\"rows\":[";
  std::unordered_map<std::string_view, const TaskRowText*> before;
  before.reserve(base.tasks.size());
  for (const auto& row : base.tasks) before.emplace(row.id, &row);
  bool reordered = base.tasks.size() != tasks.size();
  first = true;
  for (size_t i = 0; i < tasks.size(); ++i) {
    const TaskRowText& row = tasks[i];
    if (!reordered && base.tasks[i].id != row.id) reordered = true;
    const auto it = before.find(row.id);
    if (it != before.end() && SameText(it->second->json, row.json)) continue;
    if (!first) out += ',';
    first = false;
    out += *row.json;
  }
  out += ']';
  if (reordered) {
    out += ",\"order\":[";
    for (size_t i = 0; i < tasks.size(); ++i) {
      if (i > 0) out += ',';
      out += Quoted(tasks[i].id);
    }
    out += ']';
  }
  out += '}';
  return out;
}

size_t Snapshot::ContentHash() const {
  const std::hash<std::string_view> hash;
  size_t h = 0;
  const auto mix = [&h](size_t value) { h = h * 1099511628211ULL ^ value; };
  for (const auto& [name, text] : members) {
    mix(hash(name));
    mix(hash(text));
  }
  for (const auto& row : tasks) mix(hash(*row.json));
  return h;
}

}  // namespace berth::dashboard
