#include "streams/fsync_policy.h"

#include <charconv>

#include <fmt/format.h>

namespace tributary::streams {

Result<FsyncPolicy> FsyncPolicy::Parse(std::string_view text) {
  FsyncPolicy p;
  if (text == "always") return p;
  if (text == "never") {
    p.mode = Mode::kNever;
    return p;
  }
  constexpr std::string_view kInterval = "interval:";
  if (text.substr(0, kInterval.size()) == kInterval) {
    std::string_view ms = text.substr(kInterval.size());
    int64_t v = 0;
    auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), v);
    if (ec == std::errc() && end == ms.data() + ms.size() && v >= 1 && v <= 3'600'000) {
      p.mode = Mode::kInterval;
      p.interval_ms = v;
      return p;
    }
  }
  return InvalidArgument(fmt::format(
      "wal_fsync: '{}' is not one of always, never, interval:<ms> (ms in 1..3600000)", text));
}

std::string FsyncPolicy::ToString() const {
  switch (mode) {
    case Mode::kAlways:
      return "always";
    case Mode::kNever:
      return "never";
    case Mode::kInterval:
      return fmt::format("interval:{}", interval_ms);
  }
  return "always";
}

}  // namespace tributary::streams
