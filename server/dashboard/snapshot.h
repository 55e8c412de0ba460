#pragma once

// One account and region's dashboard snapshot, kept in parts so that a page
// which already has an older snapshot can be sent only what changed:
//   - `members`: the top-level members except the tasks (account, region,
//     limits, truncated, repositories, clusters, services, errors, ...), each
//     as JSON text, in name order;
//   - `tasks`: the task rows in display order, each as JSON text shared with
//     the row cache (an unchanged row is the same string in every snapshot
//     that holds it, so comparing two snapshots is mostly pointer checks).
//
// Full() is the whole snapshot as one JSON object (the members, then
// "tasks": [rows]). DeltaFrom(base, base_tag) is what turns the page's copy
// of `base` into this snapshot:
//   {"base": base_tag,            the ETag the page must hold
//    "members": {name: value},    members whose text changed (or are new)
//    "rows": [row...],            task rows that are new or changed
//    "order": ["id"...]}          the task ids in order, only when the ids
//                                 or their order changed
// A member never disappears from a snapshot, so there is no removal list;
// rows that leave the list are the ones missing from "order".
//
// Thread-safety: immutable once built; share it through shared_ptr<const>.

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace berth::dashboard {

// One task row: its id and its JSON text.
struct TaskRowText {
  std::string id;
  std::shared_ptr<const std::string> json;
};

struct Snapshot {
  std::vector<std::pair<std::string, std::string>> members;  // name -> JSON text
  std::vector<TaskRowText> tasks;

  std::string Full() const;
  std::string DeltaFrom(const Snapshot& base, const std::string& base_tag) const;
  // A hash of the content: equal snapshots hash equally.
  size_t ContentHash() const;
};

}  // namespace berth::dashboard
