// Time helpers. Wall-clock time is for timestamps users see; steady time is for
// measuring durations and timeouts. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace tributary {

int64_t WallMicros();    // microseconds since the Unix epoch, UTC
int64_t WallMillis();
int64_t SteadyNanos();   // monotonic, arbitrary origin

// "2026-11-29T21:53:27.123Z"
std::string FormatIso8601Millis(int64_t unix_millis);

}  // namespace tributary
