#include "lake/timestamp_format.h"

#include <gtest/gtest.h>

namespace tributary::lake {
namespace {

// 2026-12-04T09:15:00Z in microseconds.
constexpr int64_t kMorning = 1796375700LL * 1'000'000;

TEST(TimestampFormatTest, PatternsReadTheirTexts) {
  struct Case {
    const char* pattern;
    const char* text;
    std::optional<int64_t> micros;
  } cases[] = {
      {"yyyy-MM-dd'T'HH:mm:ss", "2026-12-04T09:15:00", kMorning},
      {"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2026-12-04T10:15:00.250+0100", kMorning + 250'000},
      {"yyyy-MM-dd'T'HH:mm:ssZZ", "2026-12-04T04:15:00-05:00", kMorning},
      {"yyyy-MM-dd'T'HH:mm:ssX", "2026-12-04T09:15:00Z", kMorning},
      {"yyyyMMddHHmmss", "20261204091500", kMorning},
      {"dd/MM/yyyy H:mm", "04/12/2026 9:15", kMorning},
      {"yyyy-MM-dd HH:mm:ss.SSSSSS", "2026-12-04 09:15:00.000001", kMorning + 1},
      {"''yyyy''", "'2026'", 1767225600LL * 1'000'000},
      {"yyyy-MM-dd", "2026-02-30", std::nullopt},   // no such day
      {"yyyy-MM-dd", "2026-12-04x", std::nullopt},  // text left over
      {"HH:mm", "25:00", std::nullopt},
      {"yyyy-MM-dd'T'HH:mm:ssZ", "2026-12-04T09:15:00", std::nullopt},  // offset missing
  };
  for (const Case& c : cases) {
    auto f = TimestampFormat::Parse(c.pattern);
    ASSERT_TRUE(f.ok()) << c.pattern << ": " << f.status().ToString();
    EXPECT_EQ(f->ParseMicros(c.text), c.micros) << c.pattern << " on " << c.text;
  }
}

TEST(TimestampFormatTest, Millis) {
  auto f = TimestampFormat::Parse("millis");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->is_millis());
  EXPECT_EQ(f->ParseMicros("1796375700000"), kMorning);
  EXPECT_EQ(f->ParseMicros("-1000"), -1'000'000);
  EXPECT_EQ(f->ParseMicros("12ab"), std::nullopt);
  EXPECT_EQ(f->ParseMicros(""), std::nullopt);
}

TEST(TimestampFormatTest, UnknownLettersAreRefusedWithTheirPosition) {
  struct Case {
    const char* pattern;
    const char* message_part;
  } cases[] = {
      {"yyyy-MM-dd a", "pattern letter 'a' at position 11"},
      {"dd MMM yyyy", "month names (MMM) at position 3"},
      {"yyyy 'T", "quote at position 5 is not closed"},
      {"ss.SSSSSSSSSS", "more than 9 fraction digits at position 3"},
      {"", "empty"},
  };
  for (const Case& c : cases) {
    auto f = TimestampFormat::Parse(c.pattern);
    ASSERT_FALSE(f.ok()) << c.pattern;
    EXPECT_EQ(f.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.message_part), std::string::npos)
        << f.status().message() << "\n  wanted: " << c.message_part;
  }
}

}  // namespace
}  // namespace tributary::lake
