// Page compression codecs: none, snappy (raw snappy blocks, not framed), gzip
// (deflate with a gzip header, as Parquet's GZIP codec specifies) and zstd (one
// frame). Decompression is told the expected size (from the page header), never
// produces more, and fails if the data decodes to a different size.
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "parquet/format.h"

namespace tributary::parquet {

// "uncompressed", "snappy", "gzip", "zstd" (also accepts "none").
Result<Codec> ParseCodec(std::string_view name);
std::string_view CodecName(Codec codec);

// Appends the compressed form of `in` to `out` (cleared first).
Status Compress(Codec codec, std::string_view in, std::string* out);

// Decompresses into `out` (resized to exactly `uncompressed_size`).
Status Decompress(Codec codec, std::string_view in, size_t uncompressed_size, std::string* out);

}  // namespace tributary::parquet
