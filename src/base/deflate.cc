#include "base/deflate.h"

#include <fmt/format.h>
#include <libdeflate.h>

#include <memory>
#include <mutex>
#include <vector>

namespace tributary {
namespace {

using CompressorPtr = std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)>;

// libdeflate compressors at zlib's default level (6), kept between calls: one is 656 KiB
// to allocate (and, under ASan, a millisecond). At most kKept wait here for the next
// object or page, whichever thread it is on.
class Compressors {
 public:
  static constexpr int kLevel = 6;
  static constexpr size_t kKept = 4;

  static CompressorPtr Take() {
    {
      std::lock_guard<std::mutex> lock(mu());
      if (!kept().empty()) {
        CompressorPtr c = std::move(kept().back());
        kept().pop_back();
        return c;
      }
    }
    return CompressorPtr(libdeflate_alloc_compressor(kLevel), &libdeflate_free_compressor);
  }
  static void Give(CompressorPtr c) {
    std::lock_guard<std::mutex> lock(mu());
    if (c && kept().size() < kKept) kept().push_back(std::move(c));
  }

 private:
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::vector<CompressorPtr>& kept() {
    static std::vector<CompressorPtr> v;
    return v;
  }
};

// libdeflate's one-shot compression of `data` by `compress` (gzip or raw deflate): about
// twice as fast as zlib's at the same level, for a few per cent more bytes (BENCHMARKS.md,
// "Compressing a stream's objects").
template <typename Bound, typename Compress>
Result<std::string> Deflate(std::string_view data, Bound bound, Compress compress,
                            std::string_view what) {
  CompressorPtr c = Compressors::Take();
  if (!c) return Internal(fmt::format("{}: libdeflate_alloc_compressor failed", what));
  std::string out(bound(c.get(), data.size()), '\0');
  const size_t produced = compress(c.get(), data.data(), data.size(), out.data(), out.size());
  Compressors::Give(std::move(c));
  if (produced == 0) {
    return Internal(fmt::format("{}: the compressed data did not fit its bound", what));
  }
  out.resize(produced);
  return out;
}

}  // namespace

Result<std::string> GzipCompress(std::string_view data) {
  return Deflate(data, &libdeflate_gzip_compress_bound, &libdeflate_gzip_compress, "gzip");
}

Result<std::string> RawDeflateCompress(std::string_view data) {
  return Deflate(data, &libdeflate_deflate_compress_bound, &libdeflate_deflate_compress, "deflate");
}

uint32_t Crc32(std::string_view data, uint32_t crc) {
  return static_cast<uint32_t>(libdeflate_crc32(crc, data.data(), data.size()));
}

}  // namespace tributary
