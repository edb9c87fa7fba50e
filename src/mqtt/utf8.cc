#include "mqtt/utf8.h"

#include <cstdint>
#include <cstring>

namespace tributary::mqtt {

namespace {
constexpr uint64_t kHighBits = 0x8080808080808080ull;
constexpr uint64_t kLowBits = 0x0101010101010101ull;

// True when all eight bytes are ASCII and none is NUL.
inline bool AsciiNoNul(uint64_t w) {
  bool has_zero = ((w - kLowBits) & ~w & kHighBits) != 0;
  return (w & kHighBits) == 0 && !has_zero;
}

inline bool Cont(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

bool IsValidMqttUtf8(std::string_view s) {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    // Topics and identifiers are mostly ASCII: check eight bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (!AsciiNoNul(w)) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned c = *p;
    if (c < 0x80) {
      if (c == 0) return false;
      ++p;
      continue;
    }
    if (c < 0xC2) return false;  // stray continuation byte or overlong 2-byte form
    if (c < 0xE0) {
      if (end - p < 2 || !Cont(p[1])) return false;
      p += 2;
      continue;
    }
    if (c < 0xF0) {
      if (end - p < 3) return false;
      unsigned c1 = p[1];
      unsigned lo = 0x80, hi = 0xBF;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF
      if (c1 < lo || c1 > hi || !Cont(p[2])) return false;
      p += 3;
      continue;
    }
    if (c < 0xF5) {
      if (end - p < 4) return false;
      unsigned c1 = p[1];
      unsigned lo = 0x80, hi = 0xBF;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
      if (c1 < lo || c1 > hi || !Cont(p[2]) || !Cont(p[3])) return false;
      p += 4;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace tributary::mqtt
