#pragma once

// ECR lifecycle evaluation as a pure function: given a policy's rules, the
// images of one repository and "now", which images each rule acts on
// (expire, or transition to the archive storage class). No storage, no
// clock of its own: LifecycleService feeds it and applies the result, and
// the preview reports it.
//
// The rules, as the ECR user guide states them:
//  * Rules are applied by priority (lower rulePriority first). A rule's
//    candidates are the images of its storage class (standard: ACTIVE;
//    archive: ARCHIVED/ACTIVATING) that match its tagStatus and every entry
//    of its tagPrefixList / tagPatternList (each entry must match one tag).
//  * Every candidate of a rule is claimed by it, acted on or not: a
//    lower-priority rule still counts it (imageCountMoreThan ordering) but
//    never acts on it. So each image is acted on by at most one rule.
//  * imageCountMoreThan N: candidates newest first (push time; a restored
//    image's activation time; an archived image's archive time); all after
//    the first N. sinceImagePushed N: pushed more than N days ago.
//    sinceImagePulled N: last pull (else activation, else push) more than N
//    days ago. sinceImageTransitioned N: archived more than N days ago.
//  * An image an index of the repository refers to is never acted on, and a
//    lifecycle rule never expires an image archived less than 90 days ago.
//
// Thread-safety: a pure function; call from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/ecr/lifecycle_policy.h"
#include "storage/lifecycle_store.h"

namespace berth::ecr {

constexpr double kSecondsPerDay = 86400;
// The minimum archive residency before a lifecycle rule may expire an image.
constexpr double kArchiveMinimumDays = 90;

// What one rule does to one image.
struct LifecycleAction {
  size_t image = 0;  // index into the images given
  int64_t rule_priority = 0;
  bool transition = false;  // to ARCHIVE; otherwise expire
};

// The actions of `rules` (sorted by priority, as ParseLifecyclePolicy
// returns them) on `images` at `now`, ordered oldest image first.
std::vector<LifecycleAction> EvaluateLifecycle(
    const std::vector<LifecycleRule>& rules, const std::vector<storage::LifecycleCandidate>& images,
    double now);

}  // namespace berth::ecr
