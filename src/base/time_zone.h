// Time zones for the rules' time functions (parse_time, time_to_epoch) and the delivery
// streams' object keys: UTC, fixed offsets ("+05:30", "-0800", "UTC+01:00", "GMT-3") and
// IANA names ("Europe/Paris") read from the system's TZif files (/usr/share/zoneinfo,
// Debian's tzdata). Zones are loaded once and cached.
// Thread-safe.
//
// Known limit: past the last transition in the file (2037 with Debian's "fat" files)
// the last offset is used; the POSIX rule at the end of the file is not applied.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary {

class TimeZone {
 public:
  struct Period {
    int32_t utc_offset_seconds;
    bool is_dst;
    std::string abbreviation;  // "CET", "EST"; may be "+03" for zones without one
  };

  // The zone named `name`, or an error saying which names are understood.
  static Result<std::shared_ptr<const TimeZone>> Find(std::string_view name);
  static std::shared_ptr<const TimeZone> Utc();

  const std::string& name() const { return name_; }
  // The offset and abbreviation in force at `unix_seconds`.
  const Period& PeriodAt(int64_t unix_seconds) const;

  // Builds a zone (used by the loader and by tests).
  TimeZone(std::string name, std::vector<int64_t> transitions,
           std::vector<uint8_t> transition_types, std::vector<Period> types);

 private:
  std::string name_;
  std::vector<int64_t> transitions_;      // ascending unix seconds
  std::vector<uint8_t> transition_types_;  // index into types_, one per transition
  std::vector<Period> types_;              // types_[0] applies before the first transition
};

}  // namespace tributary
