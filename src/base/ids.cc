#include "base/ids.h"

#include <atomic>

#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "base/hex.h"

namespace tributary {
namespace {

void Fill(uint8_t* out, size_t n) {
  // RAND_bytes fails only when the OS has no entropy source: nothing can go on.
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("no entropy source");
}

}  // namespace

std::string NewUuid() {
  uint8_t b[16];
  Fill(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string RandomHex(size_t bytes) {
  std::vector<uint8_t> b(bytes);
  Fill(b.data(), bytes);
  return HexEncode(b.data(), bytes);
}

uint64_t NextProcessUniqueId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tributary
