#include "streams/snappy_streams.h"

#include <fmt/format.h>
#include <snappy.h>

namespace tributary::streams {
namespace {

constexpr size_t kXerialBlock = 32 * 1024;   // snappy-java's default block
constexpr size_t kHadoopBlock = 256 * 1024;  // Hadoop's io.compression.codec.snappy.buffersize
constexpr size_t kXerialHeader = 16;         // the magic, the two versions

void AppendBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t ReadBe32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

// The raw Snappy block at `at` of `length` bytes, appended to `out` unless that would take
// it past `max_output` (ResourceExhausted) or it is not one (DataLoss).
Status AppendBlock(std::string_view in, size_t at, size_t length, size_t max_output,
                   std::string* out, std::string* scratch) {
  if (in.size() - at < length) {
    return DataLoss(fmt::format("snappy: the block at byte {} holds {} bytes, {} are left", at,
                                length, in.size() - at));
  }
  std::string_view block = in.substr(at, length);
  size_t size = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &size)) {
    return DataLoss(fmt::format("snappy: the block at byte {} is not Snappy", at));
  }
  if (size > max_output - out->size()) {
    return ResourceExhausted(
        fmt::format("snappy: the data uncompresses past {} bytes", max_output));
  }
  if (!snappy::Uncompress(block.data(), block.size(), scratch)) {
    return DataLoss(fmt::format("snappy: the block at byte {} does not uncompress", at));
  }
  out->append(*scratch);
  return Status::Ok();
}

}  // namespace

std::string XerialSnappyCompress(std::string_view data) {
  std::string out(kXerialSnappyMagic);
  AppendBe32(&out, 1);  // version
  AppendBe32(&out, 1);  // compatible version
  std::string block;
  for (size_t at = 0; at < data.size(); at += kXerialBlock) {
    std::string_view piece = data.substr(at, kXerialBlock);
    snappy::Compress(piece.data(), piece.size(), &block);
    AppendBe32(&out, static_cast<uint32_t>(block.size()));
    out.append(block);
  }
  return out;
}

std::string HadoopSnappyCompress(std::string_view data) {
  std::string out;
  std::string block;
  for (size_t at = 0; at < data.size(); at += kHadoopBlock) {
    std::string_view piece = data.substr(at, kHadoopBlock);
    snappy::Compress(piece.data(), piece.size(), &block);
    AppendBe32(&out, static_cast<uint32_t>(piece.size()));
    AppendBe32(&out, static_cast<uint32_t>(block.size()));
    out.append(block);
  }
  return out;
}

Result<std::string> XerialSnappyDecompress(std::string_view data, size_t max_output) {
  if (data.substr(0, kXerialSnappyMagic.size()) != kXerialSnappyMagic) {
    return DataLoss("snappy: no snappy-java header (82 SNAPPY 00) at byte 0");
  }
  if (data.size() < kXerialHeader) return DataLoss("snappy: the snappy-java header is cut short");
  std::string out;
  std::string scratch;
  size_t at = kXerialHeader;
  while (at < data.size()) {
    if (data.size() - at < 4) {
      return DataLoss(fmt::format("snappy: a block's length cut short at byte {}", at));
    }
    const size_t length = ReadBe32(data, at);
    TRY(AppendBlock(data, at + 4, length, max_output, &out, &scratch));
    at += 4 + length;
  }
  return out;
}

Result<std::string> HadoopSnappyDecompress(std::string_view data, size_t max_output) {
  std::string out;
  std::string scratch;
  size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 8) {
      return DataLoss(fmt::format("snappy: a Hadoop block's lengths cut short at byte {}", at));
    }
    const size_t want = ReadBe32(data, at);
    const size_t start = out.size();
    at += 4;
    // A block's input may have been compressed in more than one piece.
    while (out.size() - start < want) {
      if (data.size() - at < 4) {
        return DataLoss(fmt::format("snappy: a Hadoop block's length cut short at byte {}", at));
      }
      const size_t length = ReadBe32(data, at);
      TRY(AppendBlock(data, at + 4, length, max_output, &out, &scratch));
      at += 4 + length;  // each piece takes bytes: the loop ends
    }
    if (out.size() - start != want) {
      return DataLoss(
          fmt::format("snappy: a Hadoop block of {} bytes where {} were announced, "
                      "ending at byte {}",
                      out.size() - start, want, at));
    }
  }
  return out;
}

}  // namespace tributary::streams
