// A bucket's lifecycle configuration: S3's expiration rules, so that a lake on one
// machine does not grow until the disk is full. A rule names a key prefix and a number
// of days; an object under the prefix expires, as in S3, at the first midnight UTC at
// least that many days after it was last modified, and is then deleted
// (lifecycle_sweeper.h). Read and written in S3's two forms: the XML of
// PutBucketLifecycleConfiguration and the JSON the AWS CLI and SDKs use
// ({"Rules": [{"ID": "raw-30d", "Status": "Enabled", "Filter": {"Prefix": "2026/"},
// "Expiration": {"Days": 30}}]}).
//
// What S3 has and the lake does not is refused by name rather than kept and ignored:
// transitions (one storage class), noncurrent versions (no versioning), expiry on a date,
// tag and size filters, aborting incomplete multipart uploads. Value types.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::lake {

struct LifecycleRule {
  static constexpr int kMaxDays = 365 * 1000;

  std::string id;       // 1..255 characters, unique in the configuration
  bool enabled = true;  // Status "Enabled" / "Disabled"
  std::string prefix;   // "" = the whole bucket
  int days = 0;         // Expiration.Days, 1..kMaxDays

  bool operator==(const LifecycleRule&) const = default;
};

struct LifecycleConfiguration {
  static constexpr size_t kMaxRules = 1000;  // S3's limit
  std::vector<LifecycleRule> rules;

  bool operator==(const LifecycleConfiguration&) const = default;
};

// The AWS CLI's and SDKs' JSON form. InvalidArgument naming the rule and the member.
Result<LifecycleConfiguration> LifecycleFromJson(const nlohmann::json& doc);
nlohmann::json LifecycleToJson(const LifecycleConfiguration& config);

// PutBucketLifecycleConfiguration's body and GetBucketLifecycleConfiguration's answer.
Result<LifecycleConfiguration> LifecycleFromXml(std::string_view xml);
std::string LifecycleToXml(const LifecycleConfiguration& config);

// When an object last modified at `modified_ms` (Unix ms) expires under a rule of `days`
// days: the first midnight UTC at or after modified + days.
int64_t ExpiresAtMs(int64_t modified_ms, int days);

// The enabled rule under whose prefix `key` expires first, or nullptr.
const LifecycleRule* RuleFor(const LifecycleConfiguration& config, std::string_view key);

}  // namespace tributary::lake
