#include "bench/bench_payload.h"

#include <charconv>
#include <cstring>

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

// Appends to a fixed buffer, refusing to run past its end.
class HeadWriter {
 public:
  HeadWriter(char* begin, char* end) : at_(begin), end_(end) {}
  void Text(std::string_view s) {
    if (!ok_ || s.size() > size_t(end_ - at_)) {
      ok_ = false;
      return;
    }
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  template <typename Int>
  void Number(Int v) {
    if (!ok_) return;
    auto [ptr, ec] = std::to_chars(at_, end_, v);
    ok_ = ec == std::errc();
    if (ok_) at_ = ptr;
  }
  bool ok() const { return ok_; }
  char* at() const { return at_; }

 private:
  char* at_;
  char* const end_;
  bool ok_ = true;
};

}  // namespace

// The load generator formats one of these per message, so it is built with memcpy and
// std::to_chars: snprintf was the largest item of the generator's profile.
bool MakePayload(const PayloadFields& f, size_t size, std::string* out) {
  char head[320];
  HeadWriter w(head, head + sizeof(head));
  w.Text("{\"ozone\":");
  w.Number(Reading(f, 1));
  w.Text(",\"particulate_matter\":");
  w.Number(Reading(f, 2));
  w.Text(",\"carbon_monoxide\":");
  w.Number(Reading(f, 3));
  w.Text(",\"sulfur_dioxide\":");
  w.Number(Reading(f, 4));
  w.Text(",\"nitrogen_dioxide\":");
  w.Number(Reading(f, 5));
  w.Text(",\"longitude\":10.250786139881143,\"latitude\":56.20251117218925,\"timestamp\":\"");
  w.Text(CurrentTimestamp());
  w.Text("\",\"p\":");
  w.Number(f.pub);
  w.Text(",\"s\":");
  w.Number(f.seq);
  w.Text(",\"t\":");
  w.Number(f.sent_ns);
  w.Text(",\"x\":\"");
  if (!w.ok()) return false;
  const size_t n = size_t(w.at() - head);
  constexpr size_t kTail = 2;  // "}
  if (n + kTail > size) return false;
  out->assign(head, n);
  out->append(size - n - kTail, 'x');
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
