#pragma once

// Every ARN Berth writes or reads, built and parsed in one place:
//   arn:<partition>:<service>:<region>:<account>:<resource>

#include <optional>
#include <string>
#include <string_view>

namespace berth::aws {

struct Arn {
  std::string partition;
  std::string service;
  std::string region;
  std::string account_id;
  std::string resource;  // e.g. "cluster/demo", "repository/team/app"

  // nullopt unless `text` has six colon-separated parts with the "arn" prefix.
  static std::optional<Arn> Parse(std::string_view text);
  std::string ToString() const;
};

// "aws", or "aws-cn" / "aws-us-gov" for those regions.
std::string PartitionForRegion(std::string_view region);

// arn:<partition of region>:<service>:<region>:<account>:<resource>
std::string MakeArn(std::string_view service, std::string_view region, std::string_view account_id,
                    std::string_view resource);

}  // namespace berth::aws
