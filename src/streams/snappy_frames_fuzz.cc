// libFuzzer target for Snappy's framing format (snappy_frames.h): the lake's crawler and
// table reads decompress any object whose bytes start with the stream identifier, and
// objects come from any S3 client with a key. Decompressing must give text no longer than
// the bound, or an error saying what is wrong (never a crash or a hang); what decompresses
// must compress and decompress again to itself, and so must the input taken as text.
// Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streams/snappy_frames.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::streams;
  constexpr size_t kBound = 1 << 20;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto text = SnappyFramesDecompress(input, kBound);
  if (text.ok()) {
    if (text->size() > kBound) std::abort();
    auto again = SnappyFramesDecompress(SnappyFramesCompress(*text));
    if (!again.ok() || *again != *text) std::abort();
  } else if (text.status().message().rfind("snappy: ", 0) != 0) {
    std::abort();
  }
  auto round = SnappyFramesDecompress(SnappyFramesCompress(input));
  if (!round.ok() || *round != input) std::abort();
  return 0;
}
