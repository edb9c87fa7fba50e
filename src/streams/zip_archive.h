// ZIP archives (PKWARE's APPNOTE.TXT) for Firehose's CompressionFormat "ZIP": each object,
// named .zip, is an archive of one deflated entry that holds the records. Thread-safe.
//
//   Written: a local file header with the entry's CRC-32 and sizes (known before it is
//     written: no data descriptor), the raw deflate data, one central directory record,
//     the end of central directory record. Neither Zip64 nor encryption. Info-ZIP's
//     unzip and Python's zipfile read it (integration_stream_compression).
//   Read: any archive of stored or deflated entries, concatenated in the central
//     directory's order (one a hand put in the lake may hold several), each checked
//     against its CRC-32 and sizes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::streams {

// A local file header's signature: how an archive starts, for telling one by its content.
inline constexpr std::string_view kZipMagic{"PK\x03\x04", 4};

// `data` as the archive's one entry, named `entry_name` and dated `time_ms` (UTC, to the
// two seconds MS-DOS dates hold; 1980-01-01 for earlier times). InvalidArgument for 4 GiB
// or more, which needs Zip64 (a stream's buffers are at most 128 MiB).
Result<std::string> ZipOneEntry(std::string_view data, std::string_view entry_name,
                                int64_t time_ms);

// The bytes of every file entry in `data` (directories are skipped), in the central
// directory's order. DataLoss naming the entry or the byte where it goes wrong (no end of
// central directory record, a header cut short or with the wrong signature, a CRC-32 or
// size that disagrees, corrupt deflate data); Unimplemented for Zip64, encrypted entries
// and methods other than stored and deflated; past `max_output` bytes, ResourceExhausted.
Result<std::string> ZipExtract(std::string_view data, size_t max_output = SIZE_MAX);

}  // namespace tributary::streams
