// libFuzzer target for ZIP archives (zip_archive.h): the lake's crawler and table reads
// extract any .zip object or one that starts with a local file header, and objects come
// from any S3 client with a key. Extracting must give text no longer than the bound, or
// an error saying what is wrong (never a crash or a hang); what extracts must archive and
// extract again to itself, and so must the input taken as text. Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streams/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::streams;
  constexpr size_t kBound = 1 << 20;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto text = ZipExtract(input, kBound);
  if (text.ok()) {
    if (text->size() > kBound) std::abort();
    auto archive = ZipOneEntry(*text, "entry", 0);
    if (!archive.ok()) std::abort();
    auto again = ZipExtract(*archive);
    if (!again.ok() || *again != *text) std::abort();
  } else if (text.status().message().rfind("zip: ", 0) != 0) {
    std::abort();
  }
  auto archive = ZipOneEntry(input, "entry", 1'796'000'000'000);
  if (!archive.ok()) std::abort();
  auto round = ZipExtract(*archive);
  if (!round.ok() || *round != input) std::abort();
  return 0;
}
