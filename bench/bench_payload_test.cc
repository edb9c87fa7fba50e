#include "bench/bench_payload.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

namespace tributary::bench {
namespace {

TEST(BenchPayload, HasExactSizeAndIsJsonWithTheReadingFields) {
  std::string out;
  PayloadFields f{7, 123456, 987654321};
  ASSERT_TRUE(MakePayload(f, 250, &out));
  EXPECT_EQ(out.size(), 250u);
  auto j = nlohmann::json::parse(out);  // throws, and fails the test, if not JSON
  for (const char* key : {"ozone", "particulate_matter", "carbon_monoxide", "sulfur_dioxide",
                          "nitrogen_dioxide", "longitude", "latitude", "timestamp"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing from " << out;
  }
  EXPECT_EQ(j["p"], 7);
  EXPECT_EQ(j["s"], 123456);
  EXPECT_EQ(j["t"], 987654321);
}

TEST(BenchPayload, IsTheDocumentedLayoutByteForByte) {
  std::string out;
  ASSERT_TRUE(MakePayload(PayloadFields{3, 1207, 8123456789}, 250, &out));
  // Readings: (1207 * 31 + 3 * 17 + 7 * salt) % 101 for salts 1..5.
  static const std::regex kLayout(
      R"(\{"ozone":4,"particulate_matter":11,"carbon_monoxide":18,"sulfur_dioxide":25,)"
      R"("nitrogen_dioxide":32,"longitude":10\.250786139881143,"latitude":56\.20251117218925,)"
      R"("timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","p":3,"s":1207,"t":8123456789,)"
      R"("x":"x+"\})");
  EXPECT_TRUE(std::regex_match(out, kLayout)) << out;
}

TEST(BenchPayload, RoundTripsTheDeliveryFields) {
  std::string out;
  PayloadFields f{99, 1'000'000'000, 999'000'000'000};
  ASSERT_TRUE(MakePayload(f, 250, &out));
  auto back = ParsePayload(out);
  ASSERT_TRUE(back.has_value()) << out;
  EXPECT_EQ(back->pub, 99u);
  EXPECT_EQ(back->seq, 1'000'000'000u);
  EXPECT_EQ(back->sent_ns, 999'000'000'000);
}

TEST(BenchPayload, LargerSizesArePadded) {
  std::string out;
  ASSERT_TRUE(MakePayload(PayloadFields{0, 0, 0}, 4096, &out));
  EXPECT_EQ(out.size(), 4096u);
  EXPECT_NO_THROW(nlohmann::json::parse(out));
}

TEST(BenchPayload, RefusesSizesTooSmallForTheFields) {
  std::string out;
  EXPECT_FALSE(MakePayload(PayloadFields{0, 0, 0}, 100, &out));
}

TEST(BenchPayload, ParseRejectsForeignPayloads) {
  EXPECT_FALSE(ParsePayload("{\"ozone\":3}").has_value());
  EXPECT_FALSE(ParsePayload("{\"p\":1,\"s\":2,\"t\":\"x\"}").has_value());
  EXPECT_FALSE(ParsePayload("").has_value());
}

}  // namespace
}  // namespace tributary::bench
