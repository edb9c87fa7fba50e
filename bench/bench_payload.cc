#include "bench/bench_payload.h"

#include <charconv>
#include <cstdio>

#include "base/clock.h"

namespace tributary::bench {

namespace {

// The wall-clock timestamp changes once a millisecond; format it only then.
const std::string& CurrentTimestamp() {
  thread_local int64_t cached_ms = -1;
  thread_local std::string cached;
  int64_t now = WallMillis();
  if (now != cached_ms) {
    cached_ms = now;
    cached = FormatIso8601Millis(now);
  }
  return cached;
}

// A sensor value 0..100 that varies from message to message without a random
// generator (the broker must not be able to tell the payloads are synthetic).
int Reading(const PayloadFields& f, int salt) {
  return static_cast<int>((f.seq * 31 + f.pub * 17 + static_cast<uint64_t>(salt) * 7) % 101);
}

std::optional<uint64_t> NumberAfter(std::string_view payload, std::string_view key) {
  size_t at = payload.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const char* begin = payload.data() + at + key.size();
  const char* end = payload.data() + payload.size();
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin) return std::nullopt;
  return value;
}

}  // namespace

bool MakePayload(const PayloadFields& f, size_t size, std::string* out) {
  char head[320];
  int n = std::snprintf(head, sizeof(head),
                        "{\"ozone\":%d,\"particulate_matter\":%d,\"carbon_monoxide\":%d,"
                        "\"sulfur_dioxide\":%d,\"nitrogen_dioxide\":%d,"
                        "\"longitude\":10.250786139881143,\"latitude\":56.20251117218925,"
                        "\"timestamp\":\"%s\",\"p\":%u,\"s\":%llu,\"t\":%lld,\"x\":\"",
                        Reading(f, 1), Reading(f, 2), Reading(f, 3), Reading(f, 4), Reading(f, 5),
                        CurrentTimestamp().c_str(), f.pub, static_cast<unsigned long long>(f.seq),
                        static_cast<long long>(f.sent_ns));
  if (n < 0 || static_cast<size_t>(n) >= sizeof(head)) return false;
  constexpr size_t kTail = 2;  // "}
  if (static_cast<size_t>(n) + kTail > size) return false;
  out->assign(head, static_cast<size_t>(n));
  out->append(size - static_cast<size_t>(n) - kTail, 'x');
  out->append("\"}");
  return true;
}

std::optional<PayloadFields> ParsePayload(std::string_view payload) {
  auto pub = NumberAfter(payload, "\"p\":");
  auto seq = NumberAfter(payload, "\"s\":");
  auto sent = NumberAfter(payload, "\"t\":");
  if (!pub || !seq || !sent) return std::nullopt;
  return PayloadFields{static_cast<uint32_t>(*pub), *seq, static_cast<int64_t>(*sent)};
}

}  // namespace tributary::bench
