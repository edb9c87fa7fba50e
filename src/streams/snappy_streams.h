// The two Snappy streams Firehose writes objects in (CompressionFormat "Snappy" and
// "HADOOP_SNAPPY"), both named .snappy. Thread-safe.
//
//   Snappy (snappy-java's, Xerial's): the header 82 "SNAPPY" 00, version 1 and
//     compatible version 1 (32-bit big-endian each), then for each block of at most
//     32 KiB of input its raw Snappy compression's length (32-bit big-endian) and bytes.
//     What snappy-java's SnappyInputStream and Kafka's Snappy codecs read.
//   HADOOP_SNAPPY (Hadoop's BlockCompressorStream): for each block of at most 256 KiB of
//     input, its length, then its raw Snappy compression's length and bytes (32-bit
//     big-endian lengths, no header). What Hadoop's SnappyCodec, Hive and Athena read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::streams {

// snappy-java's stream header, for telling such an object by its content.
inline constexpr std::string_view kXerialSnappyMagic{"\x82SNAPPY\x00", 8};

std::string XerialSnappyCompress(std::string_view data);
std::string HadoopSnappyCompress(std::string_view data);

// The bytes `data` holds. DataLoss naming the byte where it goes wrong (no header, a
// block cut short or that is not Snappy, lengths that disagree); past `max_output`
// bytes, ResourceExhausted.
Result<std::string> XerialSnappyDecompress(std::string_view data, size_t max_output = SIZE_MAX);
Result<std::string> HadoopSnappyDecompress(std::string_view data, size_t max_output = SIZE_MAX);

}  // namespace tributary::streams
