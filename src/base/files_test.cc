#include "base/files.h"

#include <gtest/gtest.h>

#include <string>

#include "base/testing/temp_dir.h"

namespace tributary {
namespace {

TEST(ReadFileTest, ReadsTheWholeFile) {
  testing_support::TempDir dir;
  const std::string path = dir.path() + "/f.json";
  std::string big(200'000, 'x');  // several reads
  ASSERT_TRUE(WriteFileAtomic(path, big).ok());
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, big);
}

// Each refusal names the path and says why, so that every command reading a file given
// on its command line (rule create --payload, stream put --file, ...) says so too.
TEST(ReadFileTest, SaysWhyAFileCannotBeRead) {
  testing_support::TempDir dir;
  auto missing = ReadFile(dir.path() + "/nonexistent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "cannot open '" + dir.path() + "/nonexistent': No such file or directory");

  auto directory = ReadFile(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(directory.status().message(), "'" + dir.path() + "' is a directory, not a file");
}

}  // namespace
}  // namespace tributary
