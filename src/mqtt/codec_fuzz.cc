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
  // Small maximum packet sizes exercise the kPacketTooLarge path.
  if (size > 0) (void)tributary::mqtt::FrameSize(input, data[0]);
  return 0;
}
