#include "streams/gzip.h"

#include <zlib.h>

#include <fmt/format.h>

namespace tributary::streams {

Result<std::string> GzipCompress(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t produced = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Internal(fmt::format("gzip: deflate returned {}", rc));
  out.resize(produced);
  return out;
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
