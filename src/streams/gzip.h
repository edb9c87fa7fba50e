// Gzip (RFC 1952) in one call, for objects of gzip-compressed streams, and the inflating
// that ZIP archives share (zip_archive.h). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/deflate.h"
#include "base/status.h"

namespace tributary::streams {

// Compressing is base/deflate.h's (Parquet's gzip pages share it).
using ::tributary::GzipCompress;
using ::tributary::RawDeflateCompress;

// Decompressed by libdeflate in one call when the data is one member whose trailer gives a
// size within the bound; else by zlib a piece at a time, so that the bound holds and
// corruption is named. The concatenation of every gzip member in `data`; past
// `max_output` bytes of it, ResourceExhausted (a few MB can inflate to gigabytes).
Result<std::string> GzipDecompress(std::string_view data, size_t max_output = SIZE_MAX);

// Inflates the one deflate stream at the start of `data` (`window_bits` as zlib's
// inflateInit2 takes them: 15 + 16 gzip, -15 raw deflate) onto `out`, which may hold at
// most `max_output` bytes: the bytes of `data` it used. DataLoss "<what>: corrupt data at
// byte N (zlib's reason)", counting from `data`; past `max_output`, ResourceExhausted.
Result<size_t> InflateOne(std::string_view data, int window_bits, size_t max_output,
                          std::string* out, std::string_view what);

}  // namespace tributary::streams
