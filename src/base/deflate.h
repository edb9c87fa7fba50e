// Deflate compression in one call with libdeflate at zlib's default level: about twice
// zlib's speed for a few per cent more bytes (BENCHMARKS.md, "Compressing a stream's
// objects"). For the streams' gzip and ZIP objects and Parquet's gzip pages; reading them
// back is theirs (streams/gzip.h, parquet/compression.h). And the CRC-32 those formats and
// the WAL carry. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary {

// A gzip member (RFC 1952) holding `data`.
Result<std::string> GzipCompress(std::string_view data);
// Raw deflate data (RFC 1951, no wrapper), as a ZIP entry holds it.
Result<std::string> RawDeflateCompress(std::string_view data);

// zlib's CRC-32 (ISO-HDLC, as gzip and ZIP have it), computed by libdeflate: several times
// faster than zlib's own (carry-less multiply on x86), the same value. The WAL frames every
// record with one on the broker's hot path. `crc` is the value of the bytes before `data`
// when a body is checked piece by piece (S3's x-amz-checksum-crc32), 0 at the start.
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

}  // namespace tributary
