#pragma once

// Structural checks of an IAM resource policy (repository and registry
// policies). Berth stores policies and returns them; it does not enforce them.

#include <string_view>

namespace berth::ecr {

// True when `text` is a JSON policy document: an object whose Statement is a
// statement or a non-empty list of them, each with Effect Allow|Deny, a
// Principal or NotPrincipal, and an Action or NotAction; Version, when given,
// is 2012-10-17 or 2008-10-17.
bool IsValidResourcePolicy(std::string_view text);

}  // namespace berth::ecr
