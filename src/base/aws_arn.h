// The AWS account and region Tributary answers AWS's APIs as: one account,
// "000000000000", in region "local". Every ARN the server gives is
// "arn:aws:<service>:local:000000000000:<resource>" (LocalArn), Glue's CatalogId is the
// account, and so is the rules' accountid().
#pragma once

#include <string>
#include <string_view>

namespace tributary {

inline constexpr std::string_view kAwsAccountId = "000000000000";

// LocalArn("iot", "thing/pump-1") == "arn:aws:iot:local:000000000000:thing/pump-1".
inline std::string LocalArn(std::string_view service, std::string_view resource) {
  std::string arn = "arn:aws:";
  arn.append(service).append(":local:").append(kAwsAccountId).append(":").append(resource);
  return arn;
}

}  // namespace tributary
