// Snappy's framing format (github.com/google/snappy, framing_format.txt), Firehose's
// "Snappy" compression: a stream identifier, then chunks of at most 64 KiB of input, each
// compressed (or stored, when that is smaller) with the masked CRC-32C of its bytes. What
// `python3 -m snappy -d`, Hadoop's and Spark's framed readers read. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::streams {

// The framing format's first bytes (the stream identifier chunk), for telling a framed
// object by its content.
inline constexpr std::string_view kSnappyFramesMagic{"\xff\x06\x00\x00sNaPpY", 10};

std::string SnappyFramesCompress(std::string_view data);
// The bytes of every chunk of `data`. DataLoss naming the byte where it goes wrong (no
// stream identifier first, a chunk cut short, a CRC that does not match, a reserved
// chunk type that cannot be skipped); past `max_output` bytes, ResourceExhausted.
Result<std::string> SnappyFramesDecompress(std::string_view data, size_t max_output = SIZE_MAX);

}  // namespace tributary::streams
