#include "base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace tributary {

int64_t WallMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t WallMillis() { return WallMicros() / 1000; }

int64_t SteadyNanos() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string FormatIso8601Millis(int64_t unix_millis) {
  time_t secs = static_cast<time_t>(unix_millis / 1000);
  int millis = static_cast<int>(unix_millis % 1000);
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                millis);
  return buf;
}

}  // namespace tributary
