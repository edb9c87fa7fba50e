// What `tributary stream put` reads and how it splits it into calls.
#include "cli/stream_records.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tributary::cli {
namespace {

// A file with a line over the limit puts nothing: the check is made on every line before
// any call (it used to stop at the batch holding the line, after putting those before).
TEST(StreamRecordsTest, ALineOverTheRecordLimitIsRefusedNamingItsNumberAndSize) {
  std::istringstream file("{\"a\":1}\n\n" + std::string(1'024'000, 'x') + "\n{\"a\":3}\n");
  auto records = CollectPutRecords({}, &file, "readings.jsonl");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(records.status().message(),
            "line 3 of 'readings.jsonl' is 1024001 bytes with its newline; a record may hold at "
            "most 1,024,000 (Firehose's limit). Nothing was put");

  std::istringstream at_limit(std::string(1'023'999, 'x') + "\n");
  auto fits = CollectPutRecords({}, &at_limit, "-");
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ((*fits)[0].data.size(), 1'024'000u);
  EXPECT_EQ((*fits)[0].origin, "line 1 of stdin");

  auto data = CollectPutRecords({"ok", std::string(1'024'001, 'd')}, nullptr, "");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().message(),
            "--data 2 is 1024001 bytes; a record may hold at most 1,024,000 (Firehose's limit). "
            "Nothing was put");
}

TEST(StreamRecordsTest, RecordsAreDataThenTheFilesNonEmptyLinesWithTheirNewlines) {
  std::istringstream file("a\n\nb");
  auto records = CollectPutRecords({"x", ""}, &file, "f");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ((*records)[0].data, "x");
  EXPECT_EQ((*records)[1].data, "");  // an empty record is a record (Firehose's Data may be)
  EXPECT_EQ((*records)[2].data, "a\n");
  EXPECT_EQ((*records)[2].origin, "line 1 of 'f'");
  EXPECT_EQ((*records)[3].data, "b\n");
  EXPECT_EQ((*records)[3].origin, "line 3 of 'f'");
  EXPECT_EQ(CollectPutRecords({}, nullptr, "").status().message(),
            "nothing to put: give --data TEXT or --file FILE");
}

// A file with no record is named: the records were to come from it, not from --data.
TEST(StreamRecordsTest, AFileWithoutRecordsIsRefusedNamingIt) {
  std::istringstream empty("");
  EXPECT_EQ(CollectPutRecords({}, &empty, "empty.txt").status().message(),
            "nothing to put: 'empty.txt' holds no records (each line that is not empty is one)");
  std::istringstream blank("\n\n");
  EXPECT_EQ(CollectPutRecords({}, &blank, "-").status().message(),
            "nothing to put: stdin holds no records (each line that is not empty is one)");
}

std::vector<PutRecordInput> Records(size_t n, size_t size) {
  return std::vector<PutRecordInput>(n, PutRecordInput{std::string(size, 'r'), "x"});
}

TEST(StreamRecordsTest, BatchesKeepWithin500RecordsAnd4MiB) {
  using Batches = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(PutBatches(Records(1201, 10)), (Batches{{0, 500}, {500, 1000}, {1000, 1201}}));
  // Four records of the largest size fit in 4 MiB (4,096,000 of 4,194,304 bytes); a fifth
  // starts the next call.
  EXPECT_EQ(PutBatches(Records(9, 1'024'000)), (Batches{{0, 4}, {4, 8}, {8, 9}}));
  // Exactly 4 MiB fits; one byte more does not.
  std::vector<PutRecordInput> mixed = Records(6, 1'024'000);
  mixed[4].data.resize(98'304);
  mixed[5].data.resize(1);
  EXPECT_EQ(PutBatches(mixed), (Batches{{0, 5}, {5, 6}}));
  EXPECT_TRUE(PutBatches({}).empty());
}

}  // namespace
}  // namespace tributary::cli
