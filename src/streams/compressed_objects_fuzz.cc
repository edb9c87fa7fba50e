// libFuzzer target for the compressed objects the lake reads (zip_archive.h, gzip.h): the
// crawler, table reads and ETL decompress any .zip or .gz object, or one that starts with
// their magic bytes, and objects come from any S3 client with a key. Decompressing must
// give text no longer than the bound, or an error saying what is wrong (never a crash or a
// hang); what decompresses must compress and decompress again to itself, and so must the
// input taken as text. Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streams/gzip.h"
#include "streams/zip_archive.h"

namespace {

using tributary::Result;

// `decompress` on `input` bounded, then the round trips through `compress`.
template <typename Decompress, typename Compress>
void Check(std::string_view input, std::string_view prefix, Decompress decompress,
           Compress compress) {
  constexpr size_t kBound = 1 << 20;
  Result<std::string> text = decompress(input, kBound);
  if (text.ok()) {
    if (text->size() > kBound) std::abort();
    auto packed = compress(*text);
    if (!packed.ok()) std::abort();
    auto again = decompress(*packed, SIZE_MAX);
    if (!again.ok() || *again != *text) std::abort();
  } else if (text.status().message().rfind(prefix, 0) != 0) {
    std::abort();
  }
  auto packed = compress(input);
  if (!packed.ok()) std::abort();
  auto round = decompress(*packed, SIZE_MAX);
  if (!round.ok() || *round != input) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::streams;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(
      input, "zip: ", [](std::string_view d, size_t bound) { return ZipExtract(d, bound); },
      [](std::string_view d) { return ZipOneEntry(d, "entry", 1'796'000'000'000); });
  Check(
      input, "gzip: ", [](std::string_view d, size_t bound) { return GzipDecompress(d, bound); },
      [](std::string_view d) { return GzipCompress(d); });
  return 0;
}
