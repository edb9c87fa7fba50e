// The long names of time zones that Joda's `zzzz` writes ("Pacific Standard Time"),
// which tzdata does not hold: they are CLDR's, read through ICU in American English,
// as the JDK (9 and later) gives them to Joda. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::expr {

// The long name of the zone with IANA id `zone_id` at `unix_ms`, in its standard time
// or, when `daylight`, its daylight saving time: "Central European Summer Time" for
// Europe/Paris in July. Empty where CLDR gives no name: fixed offsets ("+05:30") and
// the few zones known only by their offset.
std::string LongZoneName(std::string_view zone_id, bool daylight, int64_t unix_ms);

}  // namespace tributary::expr
