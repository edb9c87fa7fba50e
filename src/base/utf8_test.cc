#include "base/utf8.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(Utf8Test, WellFormedIsCheckedWholly) {
  EXPECT_TRUE(IsWellFormedUtf8(""));
  EXPECT_TRUE(IsWellFormedUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(
      IsWellFormedUtf8("\xff\xfe"
                       "A"));
  EXPECT_FALSE(IsWellFormedUtf8("caf\xc3"));       // cut short
  EXPECT_FALSE(IsWellFormedUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(IsWellFormedUtf8("\xc0\xaf"));      // overlong '/'
}

TEST(Utf8Test, PrintableKeepsUtf8AndShowsEveryOtherByte) {
  EXPECT_EQ(PrintableUtf8("c1o/caf\xc3\xa9"), "c1o/caf\xc3\xa9");
  EXPECT_EQ(PrintableUtf8("c1o/\xff\xfe"
                          "A"),
            "c1o/\\xff\\xfeA");
  EXPECT_EQ(PrintableUtf8("a\nb\tc\x7f"), "a\\x0ab\\x09c\\x7f");
  EXPECT_EQ(PrintableUtf8(std::string_view("nul\0", 4)), "nul\\x00");
  EXPECT_EQ(PrintableUtf8("caf\xc3"), "caf\\xc3");  // a sequence cut short
  EXPECT_TRUE(IsWellFormedUtf8(PrintableUtf8("\xed\xa0\x80\xf4\x90\x80\x80")));
}

}  // namespace
}  // namespace tributary
