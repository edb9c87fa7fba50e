#include "streams/wal_format.h"

#include <fmt/format.h>

#include <cstring>

#include "base/deflate.h"

namespace tributary::streams {
namespace {

uint64_t GetLe(std::string_view buf, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<uint8_t>(buf[at + i])) << (8 * i);
  return v;
}

}  // namespace

void EncodeFrame(uint64_t epoch, uint64_t seq, int64_t arrival_ms, std::string_view data,
                 std::string* out) {
  // One resize and two copies: the header's fields byte by byte, then the record.
  size_t start = out->size();
  uint32_t body_len = static_cast<uint32_t>(kFrameFixedBodyBytes + data.size());
  out->resize(start + kFrameHeaderBytes + body_len);
  char* p = out->data() + start;
  auto put = [](char* at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) at[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put(p, body_len, 4);
  put(p + 8, epoch, 8);
  put(p + 16, seq, 8);
  put(p + 24, static_cast<uint64_t>(arrival_ms), 8);
  if (!data.empty()) std::memcpy(p + kFrameHeaderBytes + kFrameFixedBodyBytes, data.data(), data.size());
  put(p + 4, Crc32(std::string_view(p + kFrameHeaderBytes, body_len)), 4);
}

std::string_view DecodeResultName(DecodeResult r) {
  switch (r) {
    case DecodeResult::kOk: return "ok";
    case DecodeResult::kEnd: return "end";
    case DecodeResult::kTruncated: return "truncated frame";
    case DecodeResult::kBadLength: return "bad frame length";
    case DecodeResult::kBadCrc: return "CRC mismatch";
  }
  return "?";
}

DecodeResult DecodeFrame(std::string_view buf, size_t* offset, WalFrame* frame) {
  size_t at = *offset;
  if (at == buf.size()) return DecodeResult::kEnd;
  if (buf.size() - at < kFrameHeaderBytes) return DecodeResult::kTruncated;
  uint32_t body_len = static_cast<uint32_t>(GetLe(buf, at, 4));
  uint32_t crc = static_cast<uint32_t>(GetLe(buf, at + 4, 4));
  if (body_len < kFrameFixedBodyBytes || body_len > kMaxFrameBodyBytes) {
    return DecodeResult::kBadLength;
  }
  if (buf.size() - at - kFrameHeaderBytes < body_len) return DecodeResult::kTruncated;
  std::string_view body = buf.substr(at + kFrameHeaderBytes, body_len);
  if (Crc32(body) != crc) return DecodeResult::kBadCrc;
  frame->epoch = GetLe(body, 0, 8);
  frame->seq = GetLe(body, 8, 8);
  frame->arrival_ms = static_cast<int64_t>(GetLe(body, 16, 8));
  frame->data = body.substr(kFrameFixedBodyBytes);
  *offset = at + kFrameHeaderBytes + body_len;
  return DecodeResult::kOk;
}

size_t FindNextFrame(std::string_view buf, size_t from, uint64_t after_seq, WalFrame* frame) {
  constexpr size_t kMinFrame = kFrameHeaderBytes + kFrameFixedBodyBytes;
  constexpr uint64_t kMaxSeqGap = uint64_t{1} << 24;
  for (size_t at = from + 1; at + kMinFrame <= buf.size(); ++at) {
    uint64_t body_len = GetLe(buf, at, 4);
    if (body_len < kFrameFixedBodyBytes || body_len > kMaxFrameBodyBytes ||
        body_len > buf.size() - at - kFrameHeaderBytes) {
      continue;
    }
    uint64_t seq = GetLe(buf, at + kFrameHeaderBytes + 8, 8);
    if (seq <= after_seq || seq - after_seq > (at - from) / kMinFrame + kMaxSeqGap) continue;
    size_t offset = at;
    if (DecodeFrame(buf, &offset, frame) == DecodeResult::kOk) return at;
  }
  return std::string_view::npos;
}

std::string RecordId(uint64_t epoch, uint64_t seq) {
  return fmt::format("{:016x}{:016x}", epoch, seq);
}

}  // namespace tributary::streams
