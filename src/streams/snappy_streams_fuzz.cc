// libFuzzer target for Firehose's two Snappy streams (snappy_streams.h): the lake's crawler
// and table reads decompress any .snappy object or one with snappy-java's header, and
// objects come from any S3 client with a key. Decompressing must give text no longer than
// the bound, or an error saying what is wrong (never a crash or a hang); what decompresses
// must compress and decompress again to itself, and so must the input taken as text. The
// first byte picks the stream. Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streams/snappy_streams.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::streams;
  if (size < 1) return 0;
  constexpr size_t kBound = 1 << 20;
  const bool java = data[0] & 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto compress = java ? &XerialSnappyCompress : &HadoopSnappyCompress;
  auto decompress = [&](std::string_view d, size_t bound) {
    return java ? XerialSnappyDecompress(d, bound) : HadoopSnappyDecompress(d, bound);
  };
  auto text = decompress(input, kBound);
  if (text.ok()) {
    if (text->size() > kBound) std::abort();
    auto again = decompress(compress(*text), SIZE_MAX);
    if (!again.ok() || *again != *text) std::abort();
  } else if (text.status().message().rfind("snappy: ", 0) != 0) {
    std::abort();
  }
  auto round = decompress(compress(input), SIZE_MAX);
  if (!round.ok() || *round != input) std::abort();
  return 0;
}
