// libFuzzer target for buckets' lifecycle configurations (lifecycle.h): the XML comes from
// any S3 client over HTTP (PutBucketLifecycleConfiguration). Reading must give a
// configuration or an error with a message (never a crash or a hang); a configuration must
// hold 1..1000 rules with unique non-empty IDs and days of at least 1, read back the same
// from the XML and the JSON it is written as, and expire no object before its days have
// passed. Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "lake/lifecycle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::lake;
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto config = LifecycleFromXml(xml);
  if (!config.ok()) {
    if (config.status().message().empty()) std::abort();
    return 0;
  }
  if (config->rules.empty() || config->rules.size() > LifecycleConfiguration::kMaxRules)
    std::abort();
  std::set<std::string> ids;
  for (const LifecycleRule& r : config->rules) {
    if (r.id.empty() || !ids.insert(r.id).second || r.days < 1) std::abort();
    const int64_t modified = 1'796'119'200'000;
    if (ExpiresAtMs(modified, r.days) < modified + int64_t{r.days} * 86'400'000) std::abort();
  }
  auto again = LifecycleFromXml(LifecycleToXml(*config));
  if (!again.ok() || !(*again == *config)) std::abort();
  auto from_json = LifecycleFromJson(LifecycleToJson(*config));
  if (!from_json.ok() || !(*from_json == *config)) std::abort();
  return 0;
}
