#include "streams/gzip.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <zlib.h>

#include <memory>
#include <optional>

namespace tributary::streams {

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

namespace {

// Deflate cannot shrink data more than about 1032 to 1: a trailer claiming more is not
// believed (nor allocated for).
constexpr size_t kMaxDeflateRatio = 1032;

// `data` as one gzip member in one call of libdeflate (about twice zlib's speed), when its
// trailer's size (ISIZE, the size modulo 2^32) is within `max_output` and believable and
// the member is all of `data`; nullopt otherwise, for zlib to go through a piece at a time
// (several members, a bigger size, corrupt data, which zlib names).
std::optional<std::string> OneMemberAtOnce(std::string_view data, size_t max_output) {
  constexpr size_t kSmallestMember = 18;  // header 10, empty deflate 2, trailer 8
  if (data.size() < kSmallestMember) return std::nullopt;
  const auto* tail = reinterpret_cast<const uint8_t*>(data.data() + data.size() - 4);
  const size_t size = uint32_t{tail[0]} | uint32_t{tail[1]} << 8 | uint32_t{tail[2]} << 16 |
                      uint32_t{tail[3]} << 24;
  if (size > max_output || size > data.size() * kMaxDeflateRatio) return std::nullopt;
  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> d(
      libdeflate_alloc_decompressor(), &libdeflate_free_decompressor);
  if (!d) return std::nullopt;
  std::string out(size, '\0');
  size_t used = 0;
  size_t produced = 0;
  if (libdeflate_gzip_decompress_ex(d.get(), data.data(), data.size(), out.data(), out.size(),
                                    &used, &produced) != LIBDEFLATE_SUCCESS ||
      used != data.size() || produced != size) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

Result<std::string> GzipDecompress(std::string_view data, size_t max_output) {
  if (auto out = OneMemberAtOnce(data, max_output)) return std::move(*out);
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
