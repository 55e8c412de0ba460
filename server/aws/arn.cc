#include "server/aws/arn.h"

namespace berth::aws {

std::optional<Arn> Arn::Parse(std::string_view text) {
  std::string_view parts[5];
  for (auto& part : parts) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    part = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  if (parts[0] != "arn" || parts[1].empty() || parts[2].empty() || text.empty()) {
    return std::nullopt;
  }
  return Arn{std::string(parts[1]), std::string(parts[2]), std::string(parts[3]),
             std::string(parts[4]), std::string(text)};
}

std::string Arn::ToString() const {
  return "arn:" + partition + ":" + service + ":" + region + ":" + account_id + ":" + resource;
}

std::string PartitionForRegion(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

std::string MakeArn(std::string_view service, std::string_view region, std::string_view account_id,
                    std::string_view resource) {
  std::string arn = "arn:" + PartitionForRegion(region) + ":";
  arn += service;
  arn += ':';
  arn += region;
  arn += ':';
  arn += account_id;
  arn += ':';
  arn += resource;
  return arn;
}

}  // namespace berth::aws
