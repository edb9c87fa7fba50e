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

Result<std::string> GzipDecompress(std::string_view data, size_t max_output) {
  std::string out;
  size_t offset = 0;
  while (offset < data.size()) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return Internal("gzip: inflateInit2 failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
    z.avail_in = static_cast<uInt>(data.size() - offset);
    char chunk[16384];
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(chunk);
      z.avail_out = sizeof(chunk);
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&z);
        return DataLoss(fmt::format("gzip: corrupt data at byte {} of the input ({})",
                                    offset + z.total_in, z.msg ? z.msg : "inflate error"));
      }
      const size_t got = sizeof(chunk) - z.avail_out;
      if (got > max_output - out.size()) {
        inflateEnd(&z);
        return ResourceExhausted(fmt::format("gzip: the data inflates past {} bytes", max_output));
      }
      out.append(chunk, got);
    } while (rc != Z_STREAM_END);
    offset += z.total_in;
    inflateEnd(&z);
  }
  return out;
}

}  // namespace tributary::streams
