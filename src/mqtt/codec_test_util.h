// Helpers for the codec tests: building packets byte by byte and running them
// through Encode/FrameSize/Decode. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mqtt/codec.h"

namespace tributary::mqtt::testing {

// "10 0f 00 04" -> bytes; spaces are ignored.
inline std::string Hex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// Two-byte length then the bytes (MQTT string or binary data).
inline std::string Str(std::string_view s) {
  std::string out;
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size() & 0xFF));
  out.append(s);
  return out;
}

inline std::string VarInt(uint32_t v) {
  std::string out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v);
  return out;
}

// Fixed header byte, remaining length computed from `body`, then `body`.
inline std::string Frame(uint8_t first, std::string_view body) {
  std::string out(1, static_cast<char>(first));
  out += VarInt(static_cast<uint32_t>(body.size()));
  out.append(body);
  return out;
}

// A v5 property block: length then the properties.
inline std::string Props(std::string_view props) {
  return VarInt(static_cast<uint32_t>(props.size())) + std::string(props);
}

inline std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string ToHex(std::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out += ' ';
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

inline std::string EncodeToString(const Packet& p, Version v) {
  std::string out;
  Encode(p, v, &out);
  return out;
}

// Encodes, checks EncodedSize and FrameSize agree, decodes. Fails the test (and
// returns a Pingreq) when decoding fails.
inline Packet RoundTrip(const Packet& p, Version v) {
  std::string bytes = EncodeToString(p, v);
  EXPECT_EQ(bytes.size(), EncodedSize(p, v)) << PacketTypeName(TypeOf(p));
  FrameInfo frame = FrameSize(Span(bytes), 0xFFFFFFFFu);
  EXPECT_TRUE(frame.complete);
  EXPECT_FALSE(frame.error.has_value()) << (frame.error ? frame.error->message : "");
  EXPECT_EQ(frame.size, bytes.size());
  auto decoded = Decode(Span(bytes), v);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    ADD_FAILURE() << "decoding our own " << PacketTypeName(TypeOf(p)) << " failed: " << err->message
                  << " (" << ReasonCodeName(err->reason)
                  << ")\nbytes: " << ToHex(bytes.substr(0, 200));
    return Pingreq{};
  }
  return std::get<Packet>(std::move(decoded));
}

}  // namespace tributary::mqtt::testing
