#include "streams/snappy_frames.h"

#include <fmt/format.h>
#include <snappy.h>

#include "base/crc32c.h"

namespace tributary::streams {
namespace {

constexpr size_t kMaxChunkInput = 65536;
constexpr unsigned char kCompressed = 0x00;
constexpr unsigned char kUncompressed = 0x01;
constexpr unsigned char kStreamIdentifier = 0xff;

uint32_t MaskedCrc(std::string_view data) {
  uint32_t crc = Crc32c(0, data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void AppendLe(std::string* out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t ReadLe(std::string_view in, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint32_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  return v;
}

}  // namespace

std::string SnappyFramesCompress(std::string_view data) {
  std::string out(kSnappyFramesMagic);
  std::string block;
  for (size_t at = 0; at < data.size(); at += kMaxChunkInput) {
    std::string_view piece = data.substr(at, kMaxChunkInput);
    snappy::Compress(piece.data(), piece.size(), &block);
    bool stored = block.size() >= piece.size();  // incompressible: keep the bytes as they are
    std::string_view body = stored ? piece : std::string_view(block);
    out.push_back(static_cast<char>(stored ? kUncompressed : kCompressed));
    AppendLe(&out, static_cast<uint32_t>(4 + body.size()), 3);
    AppendLe(&out, MaskedCrc(piece), 4);
    out.append(body);
  }
  return out;
}

Result<std::string> SnappyFramesDecompress(std::string_view data, size_t max_output) {
  if (data.substr(0, kSnappyFramesMagic.size()) != kSnappyFramesMagic) {
    return DataLoss("snappy: no stream identifier (ff 06 00 00 sNaPpY) at byte 0");
  }
  std::string out;
  std::string piece;
  size_t at = kSnappyFramesMagic.size();
  while (at < data.size()) {
    if (data.size() - at < 4)
      return DataLoss(fmt::format("snappy: chunk header cut short at byte {}", at));
    const unsigned char type = static_cast<unsigned char>(data[at]);
    const size_t length = ReadLe(data, at + 1, 3);
    if (data.size() - at - 4 < length) {
      return DataLoss(fmt::format("snappy: the chunk at byte {} holds {} bytes, {} are left", at,
                                  length, data.size() - at - 4));
    }
    std::string_view body = data.substr(at + 4, length);
    if (type == kCompressed || type == kUncompressed) {
      if (length < 4) return DataLoss(fmt::format("snappy: the chunk at byte {} has no CRC", at));
      std::string_view payload = body.substr(4);
      std::string_view bytes = payload;
      if (type == kCompressed) {
        size_t size = 0;
        if (!snappy::GetUncompressedLength(payload.data(), payload.size(), &size) ||
            size > kMaxChunkInput) {
          return DataLoss(fmt::format("snappy: the chunk at byte {} is not a snappy block", at));
        }
        if (size > max_output - out.size()) break;  // past max_output: said below
        if (!snappy::Uncompress(payload.data(), payload.size(), &piece)) {
          return DataLoss(fmt::format("snappy: the chunk at byte {} does not uncompress", at));
        }
        bytes = piece;
      }
      if (bytes.size() > max_output - out.size()) break;
      if (MaskedCrc(bytes) != ReadLe(body, 0, 4)) {
        return DataLoss(fmt::format("snappy: the CRC of the chunk at byte {} does not match", at));
      }
      out.append(bytes);
    } else if (type == kStreamIdentifier) {
      if (body != kSnappyFramesMagic.substr(4)) {
        return DataLoss(fmt::format("snappy: a bad stream identifier at byte {}", at));
      }
    } else if (type < 0x80) {
      return DataLoss(fmt::format(
          "snappy: chunk type {:#04x} at byte {} is reserved and cannot be skipped", type, at));
    }  // padding (0xfe) and the reserved skippable types (0x80..0xfd): skipped
    at += 4 + length;
  }
  if (at < data.size()) {
    return ResourceExhausted(
        fmt::format("snappy: the data uncompresses past {} bytes", max_output));
  }
  return out;
}

}  // namespace tributary::streams
