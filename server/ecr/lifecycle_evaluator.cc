#include "server/ecr/lifecycle_evaluator.h"

#include <algorithm>

#include "server/ecr/image_service.h"

namespace berth::ecr {
namespace {

using storage::LifecycleCandidate;

bool IsArchived(const LifecycleCandidate& image) { return image.image_status != "ACTIVE"; }

// Whether every entry of the rule's prefix or pattern list matches one tag.
bool MatchesTags(const LifecycleRule& rule, const LifecycleCandidate& image) {
  if (rule.tag_status == "untagged") return image.tags.empty();
  if (rule.tag_status == "any") return true;
  if (image.tags.empty()) return false;
  for (const auto& prefix : rule.tag_prefixes) {
    if (std::none_of(image.tags.begin(), image.tags.end(),
                     [&](const std::string& tag) { return tag.starts_with(prefix); })) {
      return false;
    }
  }
  for (const auto& pattern : rule.tag_patterns) {
    if (std::none_of(image.tags.begin(), image.tags.end(),
                     [&](const std::string& tag) { return WildcardMatch(pattern, tag); })) {
      return false;
    }
  }
  return true;
}

// The time that orders images for imageCountMoreThan and expiry order:
// archive time for archived images, else push time (a restore counts as a
// push).
double AgeKey(const LifecycleCandidate& image) {
  if (IsArchived(image)) return image.last_archived_at.value_or(image.pushed_at);
  return std::max(image.pushed_at, image.last_activated_at.value_or(0));
}

// sinceImagePulled's reference: the last pull, else activation, else push.
double PullKey(const LifecycleCandidate& image) {
  return std::max(
      {image.pushed_at, image.last_pulled_at.value_or(0), image.last_activated_at.value_or(0)});
}

}  // namespace

std::vector<LifecycleAction> EvaluateLifecycle(const std::vector<LifecycleRule>& rules,
                                               const std::vector<LifecycleCandidate>& images,
                                               double now) {
  std::vector<bool> claimed(images.size(), false);
  std::vector<LifecycleAction> actions;
  std::vector<size_t> candidates;
  candidates.reserve(images.size());
  for (const LifecycleRule& rule : rules) {
    const bool archive_rule = rule.storage_class == "archive";
    candidates.clear();
    for (size_t i = 0; i < images.size(); ++i) {
      if (IsArchived(images[i]) == archive_rule && MatchesTags(rule, images[i])) {
        candidates.push_back(i);
      }
    }
    const double cutoff = now - static_cast<double>(rule.count_number) * kSecondsPerDay;
    const auto act = [&](size_t i) {
      if (claimed[i] || images[i].in_index) return;
      const bool transition = rule.action_type == "transition";
      if (!transition && IsArchived(images[i]) &&
          images[i].last_archived_at.value_or(now) > now - kArchiveMinimumDays * kSecondsPerDay) {
        return;  // the 90-day archive floor
      }
      actions.push_back({i, rule.priority, transition});
    };
    if (rule.count_type == "imageCountMoreThan") {
      std::sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
        const double ka = AgeKey(images[a]);
        const double kb = AgeKey(images[b]);
        return ka != kb ? ka > kb : images[a].digest < images[b].digest;
      });
      const auto keep = static_cast<size_t>(rule.count_number);
      for (size_t n = keep; n < candidates.size(); ++n) act(candidates[n]);
    } else {
      for (const size_t i : candidates) {
        const LifecycleCandidate& image = images[i];
        double reference = 0;
        if (rule.count_type == "sinceImagePushed") {
          reference = AgeKey(image);
        } else if (rule.count_type == "sinceImagePulled") {
          reference = PullKey(image);
        } else {  // sinceImageTransitioned
          if (!image.last_archived_at) continue;
          reference = *image.last_archived_at;
        }
        if (reference < cutoff) act(i);
      }
    }
    for (const size_t i : candidates) claimed[i] = true;
  }
  std::sort(actions.begin(), actions.end(),
            [&](const LifecycleAction& a, const LifecycleAction& b) {
              const double ka = AgeKey(images[a.image]);
              const double kb = AgeKey(images[b.image]);
              return ka != kb ? ka < kb : images[a.image].digest < images[b.image].digest;
            });
  return actions;
}

}  // namespace berth::ecr
