#include "streams/gzip.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <zlib.h>

#include <memory>

namespace tributary::streams {

namespace {

// libdeflate's one-shot compression of `data` at zlib's default level (6), by `compress`
// (gzip or raw deflate): about twice as fast as zlib's at that level, for a few per cent
// more bytes (BENCHMARKS.md, "Compressing objects").
template <typename Bound, typename Compress>
Result<std::string> Deflate(std::string_view data, Bound bound, Compress compress,
                            std::string_view what) {
  constexpr int kLevel = 6;
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> c(
      libdeflate_alloc_compressor(kLevel), &libdeflate_free_compressor);
  if (!c) return Internal(fmt::format("{}: libdeflate_alloc_compressor failed", what));
  std::string out(bound(c.get(), data.size()), '\0');
  const size_t produced = compress(c.get(), data.data(), data.size(), out.data(), out.size());
  if (produced == 0)
    return Internal(fmt::format("{}: the compressed data did not fit its bound", what));
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

Result<size_t> InflateOne(std::string_view data, int window_bits, size_t max_output,
                          std::string* out, std::string_view what) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK)
    return Internal(fmt::format("{}: inflateInit2 failed", what));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char chunk[16384];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why =
          z.msg ? z.msg : (rc == Z_BUF_ERROR ? "the data is cut short" : "inflate error");
      const size_t at = z.total_in;
      inflateEnd(&z);
      return DataLoss(fmt::format("{}: corrupt data at byte {} ({})", what, at, why));
    }
    const size_t got = sizeof(chunk) - z.avail_out;
    if (got > max_output - out->size()) {
      inflateEnd(&z);
      return ResourceExhausted(
          fmt::format("{}: the data inflates past {} bytes", what, max_output));
    }
    out->append(chunk, got);
  } while (rc != Z_STREAM_END);
  const size_t used = z.total_in;
  inflateEnd(&z);
  return used;
}

Result<std::string> GzipDecompress(std::string_view data, size_t max_output) {
  std::string out;
  // One member after another: concatenated gzip members are one gzip file.
  for (size_t offset = 0; offset < data.size();) {
    auto used = InflateOne(data.substr(offset), 15 + 16, max_output, &out, "gzip");
    if (!used.ok() && used.status().code() == ErrorCode::kDataLoss && offset > 0) {
      return DataLoss(
          fmt::format("{} (in the member at byte {})", used.status().message(), offset));
    }
    if (!used.ok()) return used.status();
    offset += *used;
  }
  return out;
}

}  // namespace tributary::streams
