// FrameSize: finds where a packet ends in a stream of bytes.
#include <string>

#include "mqtt/codec.h"

namespace tributary::mqtt {

FrameInfo FrameSize(std::span<const uint8_t> buf, uint32_t max_packet_size) {
  FrameInfo info;
  if (buf.size() < 2) return info;
  uint32_t remaining = 0;
  size_t n = 0;  // bytes of the remaining length
  while (true) {
    if (n == 4) {
      info.complete = true;
      info.error = DecodeError{ReasonCode::kMalformedPacket,
                               "fixed header: remaining length is longer than 4 bytes at byte 1"};
      return info;
    }
    if (1 + n >= buf.size()) return info;  // wait for more bytes
    uint8_t b = buf[1 + n];
    remaining |= uint32_t{static_cast<uint8_t>(b & 0x7F)} << (7 * n);
    ++n;
    if ((b & 0x80) == 0) {
      if (n > 1 && b == 0) {
        info.complete = true;
        info.error =
            DecodeError{ReasonCode::kMalformedPacket,
                        "fixed header: remaining length is not in its shortest form at byte 1"};
        return info;
      }
      break;
    }
  }
  uint64_t size = 1 + n + uint64_t{remaining};
  if (size > max_packet_size) {
    info.complete = true;
    info.error =
        DecodeError{ReasonCode::kPacketTooLarge, "fixed header: packet of " + std::to_string(size) +
                                                     " bytes exceeds the maximum packet size of " +
                                                     std::to_string(max_packet_size) + " bytes"};
    return info;
  }
  if (buf.size() < size) return info;
  info.complete = true;
  info.size = static_cast<size_t>(size);
  return info;
}

}  // namespace tributary::mqtt
