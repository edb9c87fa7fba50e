// Replays the fuzzing seed corpus (tests/fuzz/mqtt_codec/) through the codec with the
// same checks as the fuzzer, so that the corpus is exercised by the g++ build too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "mqtt/codec_roundtrip_check.h"

namespace tributary::mqtt {
namespace {

TEST(CodecCorpusTest, EveryFileDecodesOrFailsCleanlyAndRoundTrips) {
  std::filesystem::path dir = MQTT_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " is missing";
  int files = 0, decoded_any = 0, rejected_all = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::span<const uint8_t> input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    bool ok3 = false, ok5 = false;
    auto p3 = CheckDecodeRoundTrip(input, Version::kV311, &ok3);
    auto p5 = CheckDecodeRoundTrip(input, Version::kV5, &ok5);
    EXPECT_FALSE(p3) << entry.path().filename() << ": " << *p3;
    EXPECT_FALSE(p5) << entry.path().filename() << ": " << *p5;
    ++files;
    if (ok3 || ok5) ++decoded_any;
    if (!ok3 && !ok5) ++rejected_all;
  }
  // The seed corpus holds valid packets of every type and invalid ones.
  EXPECT_GE(files, 20);
  EXPECT_GE(decoded_any, 10);
  EXPECT_GE(rejected_all, 5);
}

}  // namespace
}  // namespace tributary::mqtt
