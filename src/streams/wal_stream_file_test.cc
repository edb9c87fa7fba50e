// The configuration kept beside a stream's WAL (stream.json): read back as saved; a file
// whose fields no longer match its CRC-32 (a bucket one letter off) is refused naming the
// file, and one an older version wrote, without a CRC, is read as ever.
#include "streams/wal_stream_file.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary::streams {
namespace {

using testing_support::TempDir;

WalStreamFile Saved() {
  WalStreamFile f;
  f.config.name = "telemetry";
  f.config.bucket = "iot-lake";
  f.config.prefix = "raw/";
  f.epoch = 0x5a5a00000000beefULL;
  f.created_ms = 1796047331500;
  return f;
}

std::string PathIn(const TempDir& dir) { return dir.path() + "/" + kWalStreamFileName; }

TEST(WalStreamFileTest, ReadsBackWhatWasSaved) {
  TempDir dir;
  ASSERT_TRUE(SaveWalStreamFile(dir.path(), Saved()).ok());
  auto read = LoadWalStreamFile(dir.path());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->config.name, "telemetry");
  EXPECT_EQ(read->config.bucket, "iot-lake");
  EXPECT_EQ(read->config.prefix, "raw/");
  EXPECT_EQ(read->epoch, 0x5a5a00000000beefULL);
  EXPECT_EQ(read->created_ms, 1796047331500);
  EXPECT_EQ(LoadWalStreamFile(dir.path() + "/none").status().code(), ErrorCode::kNotFound);
}

TEST(WalStreamFileTest, AFieldChangedAfterSavingIsRefused) {
  TempDir dir;
  ASSERT_TRUE(SaveWalStreamFile(dir.path(), Saved()).ok());
  auto text = ReadFile(PathIn(dir));
  ASSERT_TRUE(text.ok());
  // Still valid JSON and a valid configuration: only the CRC can tell.
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"iot-lake", "iot-lako"},
                                 {"5a5a00000000beef", "5a5a00000000beee"},
                                 {"1796047331500", "1796047331501"}}) {
    std::string changed = *text;
    const size_t at = changed.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in " << changed;
    changed.replace(at, from.size(), to);
    ASSERT_TRUE(WriteFileAtomic(PathIn(dir), changed).ok());
    auto read = LoadWalStreamFile(dir.path());
    ASSERT_FALSE(read.ok()) << "read with " << to;
    EXPECT_EQ(read.status().code(), ErrorCode::kDataLoss);
    EXPECT_NE(read.status().message().find(PathIn(dir)), std::string::npos)
        << read.status().message();
    EXPECT_NE(read.status().message().find("damaged"), std::string::npos)
        << read.status().message();
  }
}

TEST(WalStreamFileTest, AFileWithoutACrcIsReadAsEver) {
  TempDir dir;
  ASSERT_TRUE(SaveWalStreamFile(dir.path(), Saved()).ok());
  auto text = ReadFile(PathIn(dir));
  ASSERT_TRUE(text.ok());
  auto j = nlohmann::json::parse(*text);
  ASSERT_TRUE(j.contains("crc32")) << *text;
  j.erase("crc32");
  ASSERT_TRUE(WriteFileAtomic(PathIn(dir), j.dump() + "\n").ok());
  auto read = LoadWalStreamFile(dir.path());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->config.bucket, "iot-lake");
}

}  // namespace
}  // namespace tributary::streams
