// libFuzzer target for the MQTT codec: every input goes through FrameSize and Decode
// for both protocol versions, and anything that decodes must survive an
// Encode/Decode round trip unchanged. Built with clang when TRIBUTARY_FUZZ is ON;
// run it with scripts/run-fuzz SECONDS.
#include <cstdio>
#include <cstdlib>

#include "mqtt/codec_roundtrip_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tributary::mqtt::CheckDecodeRoundTrip;
  using tributary::mqtt::Version;
  std::span<const uint8_t> input(data, size);
  for (Version v : {Version::kV311, Version::kV5}) {
    if (auto problem = CheckDecodeRoundTrip(input, v)) {
      std::fprintf(stderr, "mqtt_codec_fuzz: %s\n", problem->c_str());
      std::abort();
    }
  }
  // The input as a stream: cut it into frames as a connection does and check each.
  std::span<const uint8_t> rest = input;
  while (!rest.empty()) {
    auto frame = tributary::mqtt::FrameSize(rest, 1 << 20);
    if (!frame.complete || frame.error) break;
    if (frame.size > rest.size() || frame.size < 2) {
      std::fprintf(stderr, "mqtt_codec_fuzz: FrameSize returned %zu of %zu bytes\n", frame.size,
                   rest.size());
      std::abort();
    }
    if (frame.size != input.size()) {
      for (Version v : {Version::kV311, Version::kV5}) {
        if (auto problem = CheckDecodeRoundTrip(rest.first(frame.size), v)) {
          std::fprintf(stderr, "mqtt_codec_fuzz: in a stream: %s\n", problem->c_str());
          std::abort();
        }
      }
    }
    rest = rest.subspan(frame.size);
  }
  // Small maximum packet sizes exercise the kPacketTooLarge path.
  if (size > 0) (void)tributary::mqtt::FrameSize(input, data[0]);
  return 0;
}
