// The write-ahead log's frame format (README.md, "WAL format", is the reference):
//
//   offset  size  field
//   0       4     body length N, little-endian (>= 24)
//   4       4     CRC-32 (zlib's, ISO-HDLC) of the body, little-endian
//   8       8     stream epoch, little-endian     (body: N bytes from here)
//   16      8     sequence number, little-endian
//   24      8     arrival time, Unix ms, little-endian
//   32      N-24  the record's bytes
//
// A segment is frames back to back, then possibly a padding frame (sequence number 0, to
// the end of a 4 KiB block: WalDirectWriter) and zeros (a preallocated segment's unused
// tail) or a reused segment's old frames. Zero bytes decode as a frame of length 0, which
// is invalid; it is Wal's recovery that tells a tail of only zeros (a normal end) from
// damage. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::streams {

inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr size_t kFrameFixedBodyBytes = 24;
// A frame longer than this is taken for garbage (records are at most a few MiB).
inline constexpr uint32_t kMaxFrameBodyBytes = (64u << 20) + kFrameFixedBodyBytes;

struct WalFrame {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  int64_t arrival_ms = 0;
  std::string_view data;  // points into the decoded buffer
};

// Appends one frame to `out`.
void EncodeFrame(uint64_t epoch, uint64_t seq, int64_t arrival_ms, std::string_view data,
                 std::string* out);

enum class DecodeResult { kOk, kEnd, kTruncated, kBadLength, kBadCrc };
std::string_view DecodeResultName(DecodeResult r);

// Decodes the frame at `*offset` in `buf`, advancing `*offset` past it on kOk. kEnd when
// `*offset` is exactly the end of `buf`.
DecodeResult DecodeFrame(std::string_view buf, size_t* offset, WalFrame* frame);

// Resynchronizes after a frame that did not decode at `from`: the first offset after
// `from` where a whole frame decodes (its CRC valid) with a sequence number above
// `after_seq` and not implausibly far above it (no more than the frames the bytes skipped
// could have held, plus the numbers refused commits may have left unused: 2^24). The
// length and the sequence number are checked before the CRC, so random bytes cost little.
// npos if there is none: the damage runs to the end. On success `*frame` is that frame.
size_t FindNextFrame(std::string_view buf, size_t from, uint64_t after_seq, WalFrame* frame);

// "<epoch hex16><seq hex16>": the record id users see.
std::string RecordId(uint64_t epoch, uint64_t seq);

}  // namespace tributary::streams
