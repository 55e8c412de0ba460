// Fuzz target: the documents users hand to ECR. Input: a kind on the first
// line, the document after it:
//   manifest <content type>   an image manifest or index (ParseManifest)
//   lifecycle                 a lifecycle policy, parsed and then evaluated
//                             over a fixed set of images
//   policy                    a repository or registry policy
//   json                      any JSON text, and the raw bytes as a string
// Promise checked: a bad document is refused with the parser's own error;
// nothing else escapes, nothing crashes, and an evaluation acts on each
// image at most once; util::CompactJson writes exactly what nlohmann's dump
// writes (and throws exactly when it throws).

#include <set>
#include <vector>

#include "server/ecr/image_error.h"
#include "server/ecr/lifecycle_evaluator.h"
#include "server/ecr/lifecycle_policy.h"
#include "server/ecr/manifest.h"
#include "server/ecr/policy_document.h"
#include "server/util/compact_json.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using berth::storage::LifecycleCandidate;

const std::vector<LifecycleCandidate>& Images() {
  static const std::vector<LifecycleCandidate> images = [] {
    std::vector<LifecycleCandidate> out;
    const double now = 1795000000;
    const char* tags[][2] = {{"prod", "v1"}, {"dev", ""}, {"", ""},      {"release-1", "latest"},
                             {"v2", ""},     {"", ""},    {"prod-2", ""}};
    for (int i = 0; i < 7; ++i) {
      LifecycleCandidate c;
      c.digest = "sha256:" + std::string(63, 'a') + std::to_string(i);
      for (const char* tag : tags[i]) {
        if (*tag != '\0') c.tags.emplace_back(tag);
      }
      c.pushed_at = now - 86400.0 * (i * 30 + 1);
      if (i % 2 == 1) c.last_pulled_at = now - 86400.0 * i;
      c.image_status = i == 5 ? "ARCHIVED" : "ACTIVE";
      if (i == 5) c.last_archived_at = now - 86400.0 * 100;
      c.in_index = i == 6;
      out.push_back(std::move(c));
    }
    return out;
  }();
  return images;
}

void Lifecycle(std::string_view text) {
  std::vector<berth::ecr::LifecycleRule> rules;
  try {
    rules = berth::ecr::ParseLifecyclePolicy(text);
  } catch (const berth::ecr::LifecyclePolicyError&) {
    return;
  }
  const auto actions = berth::ecr::EvaluateLifecycle(rules, Images(), 1795000000);
  std::set<size_t> acted;
  for (const auto& action : actions) {
    if (action.image >= Images().size()) berth::fuzz::Violation("action on no image", text);
    if (!acted.insert(action.image).second) berth::fuzz::Violation("image acted on twice", text);
    if (Images()[action.image].in_index) berth::fuzz::Violation("acted on an index child", text);
  }
}

void Manifest(std::string_view content_type, std::string_view bytes) {
  try {
    const berth::ecr::Manifest manifest = berth::ecr::ParseManifest(bytes, content_type);
    if (!berth::ecr::IsManifestMediaType(manifest.media_type)) {
      berth::fuzz::Violation("accepted a manifest of an unknown type", manifest.media_type);
    }
  } catch (const berth::ecr::ImageError&) {
  }
}

// CompactJson against dump, both error handlers: the same text, or both
// throwing.
void SameAsDump(const nlohmann::json& value, std::string_view input) {
  for (const bool strict : {true, false}) {
    std::string ours;
    std::string theirs;
    bool ours_threw = false;
    bool theirs_threw = false;
    try {
      ours = berth::util::CompactJson(value, strict);
    } catch (const nlohmann::json::type_error&) {
      ours_threw = true;
    }
    try {
      theirs = value.dump(-1, ' ', false,
                          strict ? nlohmann::json::error_handler_t::strict
                                 : nlohmann::json::error_handler_t::replace);
    } catch (const nlohmann::json::type_error&) {
      theirs_threw = true;
    }
    if (ours_threw != theirs_threw || ours != theirs) {
      berth::fuzz::Violation("CompactJson differs from dump", input);
    }
  }
}

void Json(std::string_view text) {
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) SameAsDump(parsed, text);
  SameAsDump(nlohmann::json(std::string(text)), text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [kind, document] = berth::fuzz::SplitFirstLine(berth::fuzz::AsText(data, size));
  if (kind.starts_with("manifest")) {
    std::string_view content_type = kind.substr(std::string_view("manifest").size());
    if (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
    Manifest(content_type, document);
  } else if (kind == "lifecycle") {
    Lifecycle(document);
  } else if (kind == "policy") {
    (void)berth::ecr::IsValidResourcePolicy(document);
  } else if (kind == "json") {
    Json(document);
  }
  return 0;
}
