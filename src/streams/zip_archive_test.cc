// Firehose's ZIP compression as streams write it (compression zip: one deflated entry) and
// the lake reads it back, together with archives Info-ZIP's zip made (stored and deflated
// entries, a directory); what does not follow the format is an error naming the entry or
// the byte.
#include "streams/zip_archive.h"

#include <gtest/gtest.h>

#include <string>

#include "streams/testing/sample_bytes.h"

namespace tributary::streams {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

uint32_t Le32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(in[at + i]);
  return v;
}

uint16_t Le16(std::string_view in, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(in[at]) | static_cast<uint8_t>(in[at + 1])
                                                                  << 8);
}

// `zip -X -n .txt t.zip d/ d/a.txt d/b.json` (Info-ZIP 3.0), the files dated
// 2026-11-29 01:02:03 UTC: the directory d/, d/a.txt stored ("plain\n"), d/b.json deflated
// (forty lines {"seq":1} .. {"seq":40}).
const std::string& InfoZipArchive() {
  static const std::string bytes = FromHex(
      "504b03040a000000000042087d5d00000000000000000000000002000000642f504b03040a000000"
      "000042087d5dd0f91539060000000600000007000000642f612e747874706c61696e0a504b030414"
      "000000080042087d5d36aa2f2261000000af01000008000000642f622e6a736f6e4dd0cb09805014"
      "03d1bd65588149fcf76301e2f261ef0ac21d77b33b24adbf8eb3df7577ed2b57a56aac9aaae6aaa5"
      "6aaddaaa34902882118e8084242861094c6846f36f139ad18c6634a319cd68460b5ad0f2bb102d68"
      "410b5ad08216b4f1d51e504b01021e030a000000000042087d5d0000000000000000000000000200"
      "00000000000000001000ed4100000000642f504b01021e030a000000000042087d5dd0f915390600"
      "000006000000070000000000000000000000a48120000000642f612e747874504b01021e03140000"
      "00080042087d5d36aa2f2261000000af010000080000000000000001000000a4814b000000642f62"
      "2e6a736f6e504b050600000000030003009b000000d20000000000");
  return bytes;
}

std::string SeqLines() {
  std::string out;
  for (int i = 1; i <= 40; ++i) out += "{\"seq\":" + std::to_string(i) + "}\n";
  return out;
}

class ZipArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    noise_ = testing::NoiseBytes(200000, 11);  // does not compress
    records_ = testing::PmReadings(5000);
  }
  std::string noise_;
  std::string records_;
};

TEST_F(ZipArchiveTest, RoundTrip) {
  for (const std::string& data : {std::string(), std::string("a"), records_, noise_}) {
    auto zip = ZipOneEntry(data, "0b7a4f4e-9b43-4a55-8d0e-3f4b1c2d5e6f", 1'796'000'000'000);
    ASSERT_TRUE(zip.ok()) << zip.status().ToString();
    auto back = ZipExtract(*zip);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
  auto zip = ZipOneEntry(records_, "x", 0);
  ASSERT_TRUE(zip.ok());
  EXPECT_LT(zip->size(), records_.size() / 10);  // deflated
}

// The headers as APPNOTE lays them out: one local header with the CRC and sizes, the
// data, one central record pointing back to it, the end record pointing at that.
TEST_F(ZipArchiveTest, LayoutOfOneEntry) {
  const std::string name = "6f1c-uuid";
  // 2026-11-29 01:02:03 UTC: MS-DOS time 01:02:02 (two-second steps).
  auto zip = ZipOneEntry("plain\n", name, 1'795'914'123'000);
  ASSERT_TRUE(zip.ok());
  const std::string& z = *zip;
  EXPECT_EQ(z.substr(0, 4), kZipMagic);
  EXPECT_EQ(Le16(z, 6), 0);  // flags: no data descriptor, not encrypted
  EXPECT_EQ(Le16(z, 8), 8);  // deflated
  EXPECT_EQ(Le16(z, 10), (1 << 11) | (2 << 5) | 1);
  EXPECT_EQ(Le16(z, 12), ((2026 - 1980) << 9) | (11 << 5) | 29);
  EXPECT_EQ(Le32(z, 14), 0x3915f9d0u);  // CRC-32 of "plain\n", as Info-ZIP wrote it above
  const uint32_t compressed = Le32(z, 18);
  EXPECT_EQ(Le32(z, 22), 6u);
  EXPECT_EQ(Le16(z, 26), name.size());
  EXPECT_EQ(z.substr(30, name.size()), name);
  const size_t central = 30 + name.size() + compressed;
  EXPECT_EQ(Le32(z, central), 0x02014b50u);
  EXPECT_EQ(Le32(z, central + 16), 0x3915f9d0u);
  EXPECT_EQ(Le32(z, central + 42), 0u);  // the local header's offset
  const size_t end = central + 46 + name.size();
  ASSERT_EQ(z.size(), end + 22);
  EXPECT_EQ(Le32(z, end), 0x06054b50u);
  EXPECT_EQ(Le16(z, end + 10), 1);
  EXPECT_EQ(Le32(z, end + 12), 46 + name.size());
  EXPECT_EQ(Le32(z, end + 16), central);
}

TEST_F(ZipArchiveTest, ReadsInfoZipsArchiveInOrderSkippingTheDirectory) {
  auto text = ZipExtract(InfoZipArchive());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "plain\n" + SeqLines());
}

TEST_F(ZipArchiveTest, TimesBefore1980AreItsFirstDay) {
  auto zip = ZipOneEntry("x", "e", 0);
  ASSERT_TRUE(zip.ok());
  EXPECT_EQ(Le16(*zip, 10), 0);
  EXPECT_EQ(Le16(*zip, 12), (1 << 5) | 1);
}

TEST_F(ZipArchiveTest, ANameIsNeeded) {
  auto zip = ZipOneEntry("x", "", 0);
  ASSERT_FALSE(zip.ok());
  EXPECT_EQ(zip.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ZipArchiveTest, CorruptionIsNamed) {
  const std::string good = InfoZipArchive();
  struct Case {
    std::string what;
    std::string bytes;
    ErrorCode code;
    std::string message;
  };
  std::string crc = good;
  crc[0x80] ^= 1;  // in d/b.json's deflate data: its CRC-32 or its deflate stream breaks
  std::string cut = good.substr(0, good.size() - 1);
  std::string offset = good;
  offset[good.size() - 6] ^= 0x40;  // the central directory's offset
  const std::string central_signature("PK\x01\x02", 4);
  const size_t a_central = good.find(central_signature, good.find(central_signature) + 4);
  std::string method = good;
  method[a_central + 10] = 12;  // d/a.txt's central header says bzip2
  std::string encrypted = good;
  encrypted[a_central + 8] |= 1;
  std::string size = good;
  size[a_central + 24] ^= 1;  // d/a.txt's size in its central header
  std::string bomb = ZipOneEntry(std::string(1 << 20, 'a'), "big", 0).value();
  for (const Case& c : std::vector<Case>{
           {"empty", "", ErrorCode::kDataLoss, "too short"},
           {"not a zip", std::string(100, 'x'), ErrorCode::kDataLoss,
            "no end of central directory"},
           {"cut short", cut, ErrorCode::kDataLoss, "no end of central directory"},
           {"central directory moved", offset, ErrorCode::kDataLoss, "central directory"},
           {"bzip2", method, ErrorCode::kUnimplemented, "method 12"},
           {"encrypted", encrypted, ErrorCode::kUnimplemented, "'d/a.txt' is encrypted"},
           {"size", size, ErrorCode::kDataLoss, "'d/a.txt'"},
           {"flipped bit", crc, ErrorCode::kDataLoss, "'d/b.json'"},
       }) {
    auto got = ZipExtract(c.bytes);
    ASSERT_FALSE(got.ok()) << c.what;
    EXPECT_EQ(got.status().code(), c.code) << c.what << ": " << got.status().ToString();
    EXPECT_NE(got.status().message().find(c.message), std::string::npos)
        << c.what << ": " << got.status().message();
  }
  auto capped = ZipExtract(bomb, 1000);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.status().code(), ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace tributary::streams
