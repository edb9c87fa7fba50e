// Encoding and decoding of MQTT 3.1.1 and 5.0 packets. Pure functions with no I/O,
// shared by the broker and by test clients; safe to call from any thread. Every
// decoder input is untrusted: any byte sequence yields a packet or a DecodeError,
// never a crash (codec_fuzz.cc checks this).
//
// A connection reads bytes into a buffer, asks FrameSize() whether a whole packet is
// there, and hands exactly that many bytes to Decode():
//
//   while (true) {
//     auto frame = FrameSize(buf, max_packet_size);
//     if (!frame.complete) break;                  // wait for more bytes
//     if (frame.error) { close with frame.error->reason; }
//     auto packet = Decode(buf.first(frame.size), version);
//     ...
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "mqtt/packet.h"

namespace tributary::mqtt {

struct DecodeError {
  ReasonCode reason;    // kMalformedPacket, kProtocolError, kPacketTooLarge, ...
  std::string message;  // what was wrong and where, e.g. "SUBSCRIBE: empty topic filter at byte 7"
};

struct FrameInfo {
  bool complete = false;  // a whole packet (or an error) is available
  size_t size = 0;        // fixed header + remaining length, when complete and no error
  std::optional<DecodeError> error;  // bad remaining length, or packet larger than the limit
};

// Looks at the fixed header at the start of `buf`. `max_packet_size` bounds the
// whole packet (fixed header included); a larger one is an error (kPacketTooLarge).
FrameInfo FrameSize(std::span<const uint8_t> buf, uint32_t max_packet_size);

// Decodes exactly one packet. `version` is the session's protocol version; for a
// CONNECT packet it is ignored and the packet's own protocol level is used
// (Connect::version). An unsupported protocol level in CONNECT is reported as
// kUnsupportedProtocolVersion so that the broker can answer with the right CONNACK.
std::variant<Packet, DecodeError> Decode(std::span<const uint8_t> packet, Version version);

// A PUBLISH's properties as their wire form (property length, then the properties a
// PUBLISH may carry), to carry them outside MQTT (the broker's NATS bridge), and back.
// Decoding takes any bytes: a DecodeError says what was wrong and where.
std::string EncodePublishProperties(const Properties& properties);
std::variant<Properties, DecodeError> DecodePublishProperties(std::string_view block);

// Appends the encoding of `packet` to `out`. Fields that do not exist in `version`
// are left out. A CONNECT is encoded in its own Connect::version (the argument is
// ignored for it, as in Decode). Properties not allowed on the packet are left out.
// Strings must be at most 65535 bytes and the packet at most 268435460 bytes
// (check with EncodedSize).
void Encode(const Packet& packet, Version version, std::string* out);

// Appends everything of a PUBLISH but its payload: the fixed header (whose remaining
// length counts the payload), topic, packet identifier and properties. Appending
// `publish.payload` after it gives exactly Encode()'s bytes, so a broker fanning one
// message out to many subscribers can write the shared payload from one buffer.
void EncodePublishHeader(const Publish& publish, Version version, std::string* out);

// Size in bytes that Encode would append (used to honour a client's maximum packet size).
size_t EncodedSize(const Packet& packet, Version version);

}  // namespace tributary::mqtt
