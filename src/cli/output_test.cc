#include "cli/output.h"

#include <gtest/gtest.h>

#include <string>

namespace tributary::cli {
namespace {

TEST(OneLineTest, ControlCharactersAreWrittenOut) {
  EXPECT_EQ(OneLine("sensor-1"), "sensor-1");
  EXPECT_EQ(OneLine(""), "");
  EXPECT_EQ(OneLine("\n"), "\\n");
  EXPECT_EQ(OneLine("SELECT *\r\n\tFROM 'a'"), "SELECT *\\r\\n\\tFROM 'a'");
  // An escape sequence (ESC [ 2 J clears the screen) and DEL.
  EXPECT_EQ(OneLine("a\x1b[2Jb\x7f"), "a\\u001b[2Jb\\u007f");
  EXPECT_EQ(OneLine(std::string("nul\0end", 7)), "nul\\u0000end");
  // C1 controls in UTF-8 (U+009B, CSI), not the letters beside them (U+00A0.., U+00E9).
  EXPECT_EQ(OneLine("x\xc2\x9b"
                    "1m"),
            "x\\u009b1m");
  EXPECT_EQ(OneLine("caf\xc3\xa9 \xc2\xa0!"), "caf\xc3\xa9 \xc2\xa0!");
  // Bytes that are not UTF-8 pass as they are; a backslash too.
  EXPECT_EQ(OneLine("\xc2"), "\xc2");
  EXPECT_EQ(OneLine("a\\nb"), "a\\nb");
}

TEST(OneLineTest, CellsKeepTheirRowsAndColumns) {
  testing::internal::CaptureStdout();
  PrintTable({"NAME", "SQL"}, {{"a\nb", "x"}, {"c", "y"}});
  PrintObject({{"record_delimiter", "\n"}, {"name", "s"}});
  EXPECT_EQ(testing::internal::GetCapturedStdout(),
            "NAME  SQL\n"
            "a\\nb  x\n"
            "c     y\n"
            "name:             s\n"
            "record_delimiter: \\n\n");
}

}  // namespace
}  // namespace tributary::cli
