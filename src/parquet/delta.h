// Decoders for the encodings other engines write with Parquet format v2
// (DuckDB's PARQUET_VERSION V2, Spark, Arrow), per Encodings.md:
//
//   DELTA_BINARY_PACKED (INT32/INT64)
//     header  varint block size (multiple of 128), varint miniblocks per block
//             (values per miniblock a multiple of 32), varint total count,
//             zigzag varint first value
//     block   zigzag varint min delta, one bit-width byte per miniblock, then
//             each miniblock's deltas bit-packed LSB first; value = previous +
//             min delta + packed delta (wrapping). Miniblocks after the last
//             value are absent (their width bytes are still there).
//   DELTA_LENGTH_BYTE_ARRAY  lengths as DELTA_BINARY_PACKED, then all bytes
//   DELTA_BYTE_ARRAY         prefix lengths (DELTA_BINARY_PACKED), then suffixes
//                            (DELTA_LENGTH_BYTE_ARRAY); value = prefix of the
//                            previous value + suffix
//   BYTE_STREAM_SPLIT        K byte streams of n bytes: byte k of value i at k*n+i
//
// All decoders read from a bounded span and fail on malformed input. Stateless;
// thread-safe. The reader only; Tributary writes PLAIN and RLE_DICTIONARY.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::parquet {

// Decodes the first n values (the header's count must be at least n).
Status DeltaBinaryPackedDecode(const uint8_t* data, size_t size, size_t n,
                               std::vector<int64_t>* out, size_t* consumed);

// Views point into `data`.
Status DeltaLengthByteArrayDecode(const uint8_t* data, size_t size, size_t n,
                                  std::vector<std::string_view>* out, size_t* consumed);

// Values are assembled in `*arena` (cleared first; views point into it). Fails
// if they would exceed `max_bytes` in total.
Status DeltaByteArrayDecode(const uint8_t* data, size_t size, size_t n, uint64_t max_bytes,
                            std::string* arena, std::vector<std::string_view>* out);

// Writes n values of `width` bytes to out (n * width bytes).
Status ByteStreamSplitDecode(const uint8_t* data, size_t size, size_t n, size_t width,
                             uint8_t* out);

}  // namespace tributary::parquet
