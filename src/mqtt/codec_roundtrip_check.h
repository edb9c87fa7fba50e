// The property the fuzzer and the corpus test check on every input: FrameSize and
// Decode never crash, errors carry an error reason and a message, and whatever
// decodes re-encodes to bytes that decode to the same packet. Header-only, used by
// codec_fuzz.cc and codec_corpus_test.cc; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "mqtt/codec.h"

namespace tributary::mqtt {

// Returns a description of the first violation, or nullopt. `decoded` (optional)
// is set to whether the input decoded in `version`.
inline std::optional<std::string> CheckDecodeRoundTrip(std::span<const uint8_t> input,
                                                       Version version, bool* decoded = nullptr) {
  const char* vname = version == Version::kV5 ? "v5" : "v3.1.1";
  FrameInfo frame = FrameSize(input, 0xFFFFFFFFu);
  if (frame.complete && !frame.error && frame.size > input.size()) {
    return std::string("FrameSize reported a frame longer than the input");
  }
  if (frame.error && (!IsError(frame.error->reason) || frame.error->message.empty())) {
    return std::string("FrameSize error without an error reason or a message");
  }
  auto result = Decode(input, version);
  if (decoded) *decoded = std::holds_alternative<Packet>(result);
  if (const auto* err = std::get_if<DecodeError>(&result)) {
    if (!IsError(err->reason) || err->message.empty()) {
      return std::string(vname) + ": DecodeError without an error reason or a message";
    }
    return std::nullopt;
  }
  // A packet decoded, so the whole input is one frame.
  if (!frame.complete || frame.error || frame.size != input.size()) {
    return std::string(vname) + ": Decode accepted bytes that FrameSize does not see as one frame";
  }
  const Packet& packet = std::get<Packet>(result);
  Version encode_version = version;
  if (const auto* c = std::get_if<Connect>(&packet)) encode_version = c->version;
  std::string bytes;
  Encode(packet, encode_version, &bytes);
  if (bytes.size() != EncodedSize(packet, encode_version)) {
    return std::string(vname) + ": EncodedSize differs from the size of Encode's output";
  }
  std::span<const uint8_t> again(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto redecoded = Decode(again, encode_version);
  if (const auto* err = std::get_if<DecodeError>(&redecoded)) {
    return std::string(vname) + ": re-encoded " + PacketTypeName(TypeOf(packet)) +
           " does not decode: " + err->message;
  }
  if (std::get<Packet>(redecoded) != packet) {
    return std::string(vname) + ": re-encoded " + PacketTypeName(TypeOf(packet)) +
           " decodes to a different packet";
  }
  return std::nullopt;
}

}  // namespace tributary::mqtt
