// Write-then-read round trips for every type x required/optional x encoding x
// codec x data page version, plus the writer's row-group, page, dictionary
// fallback, projection and metadata behaviour.
#include <gtest/gtest.h>

#include <tuple>

#include "parquet/compression.h"
#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

using testing::ReadAllGroups;
using testing::WriteToString;

using Param = std::tuple<ColumnType, bool /*optional*/, bool /*dictionary*/, Codec, bool /*v2*/>;

class RoundTrip : public ::testing::TestWithParam<Param> {};

TEST_P(RoundTrip, ValuesComeBackExactly) {
  auto [type, optional, dictionary, codec, v2] = GetParam();
  std::mt19937_64 rng(static_cast<uint64_t>(type) * 1000 + optional * 100 + dictionary * 10 +
                      static_cast<int>(codec) + v2 * 7);
  Schema schema;
  schema.columns.push_back({"c", type, optional});
  schema.columns.push_back({"id", ColumnType::kInt64, false});
  RecordBatch batch = RecordBatch::Empty(schema);
  const int64_t n = 2500;
  batch.columns[0] = testing::RandomColumn(type, optional, n, rng);
  for (int64_t i = 0; i < n; ++i) batch.columns[1].AppendInt64(i);
  batch.num_rows = n;

  WriterOptions o;
  o.codec = codec;
  o.dictionary = dictionary;
  o.data_page_v2 = v2;
  o.page_size = 512;        // many pages
  o.row_group_rows = 1000;  // three row groups
  std::string file = WriteToString(batch, o);
  auto groups = ReadAllGroups(file);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 3u);
  std::vector<const ColumnBatch*> got, ids;
  for (const RecordBatch& g : *groups) {
    ASSERT_EQ(g.schema.columns[0], schema.columns[0]);
    got.push_back(&g.columns[0]);
    ids.push_back(&g.columns[1]);
  }
  testing::ExpectColumnsEqual(batch.columns[0], got);
  testing::ExpectColumnsEqual(batch.columns[1], ids);

  auto reader = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(reader.ok());
  const ColumnMetaData& m = *(*reader)->metadata().row_groups[0].columns[0].meta_data;
  EXPECT_EQ(m.codec, codec);
  bool has_dict = std::count(m.encodings.begin(), m.encodings.end(), Encoding::kRleDictionary) > 0;
  EXPECT_EQ(has_dict, dictionary && type != ColumnType::kBoolean);
  EXPECT_EQ(m.dictionary_page_offset.has_value(), has_dict);
}

std::string Name(const ::testing::TestParamInfo<Param>& info) {
  auto [type, optional, dictionary, codec, v2] = info.param;
  return std::string(ColumnTypeName(type)) + (optional ? "_optional" : "_required") +
         (dictionary ? "_dict" : "_plain") + "_" + std::string(CodecName(codec)) +
         (v2 ? "_v2" : "_v1");
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, RoundTrip,
    ::testing::Combine(
        ::testing::Values(ColumnType::kBoolean, ColumnType::kInt32, ColumnType::kInt64,
                          ColumnType::kFloat, ColumnType::kDouble, ColumnType::kString,
                          ColumnType::kTimestamp, ColumnType::kDate),
        ::testing::Bool(), ::testing::Bool(),
        ::testing::Values(Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd),
        ::testing::Bool()),
    Name);

TEST(Writer, DictionaryFallsBackToPlainWhenItGrowsTooLarge) {
  std::mt19937_64 rng(7);
  Schema schema = *Schema::Parse("s:string?,x:int64");
  RecordBatch batch = RecordBatch::Empty(schema);
  batch.columns[0] =
      testing::RandomColumn(ColumnType::kString, true, 5000, rng, /*low_cardinality=*/false);
  batch.columns[1] = testing::RandomColumn(ColumnType::kInt64, false, 5000, rng, false);
  batch.num_rows = 5000;
  WriterOptions o;
  o.dictionary_page_size_limit = 4096;
  o.page_size = 2048;
  std::string file = WriteToString(batch, o);
  auto reader = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(reader.ok());
  for (int c = 0; c < 2; ++c) {
    const ColumnMetaData& m = *(*reader)->metadata().row_groups[0].columns[c].meta_data;
    EXPECT_TRUE(std::count(m.encodings.begin(), m.encodings.end(), Encoding::kRleDictionary)) << c;
    EXPECT_TRUE(std::count(m.encodings.begin(), m.encodings.end(), Encoding::kPlain)) << c;
    ASSERT_TRUE(m.dictionary_page_offset);
    // The dictionary page stayed small: data starts soon after it.
    EXPECT_LT(m.data_page_offset - *m.dictionary_page_offset, 4096 + 200) << c;
  }
  auto groups = ReadAllGroups(file);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  testing::ExpectColumnsEqual(batch.columns[0], {&(*groups)[0].columns[0]});
  testing::ExpectColumnsEqual(batch.columns[1], {&(*groups)[0].columns[1]});
}

TEST(Writer, RowGroupsAreCutByBytes) {
  std::mt19937_64 rng(9);
  Schema schema = *Schema::Parse("s:string");
  RecordBatch batch = RecordBatch::Empty(schema);
  batch.columns[0] = testing::RandomColumn(ColumnType::kString, false, 20000, rng, false);
  batch.num_rows = 20000;
  WriterOptions o;
  o.codec = Codec::kUncompressed;
  o.row_group_bytes = 64 << 10;
  std::string file = WriteToString(batch, o);
  auto reader = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(reader.ok());
  EXPECT_GT((*reader)->num_row_groups(), 5);
  EXPECT_EQ((*reader)->num_rows(), 20000);
  int64_t rows = 0;
  for (const RowGroup& rg : (*reader)->metadata().row_groups) rows += rg.num_rows;
  EXPECT_EQ(rows, 20000);
}

TEST(Writer, ColumnsApiMetadataAndProjection) {
  Schema schema = *Schema::Parse("a:int32,b:string?,c:boolean");
  WriterOptions o;
  o.key_value_metadata = {{"origin", "test"}};
  std::string file;
  auto w = ParquetWriter::Open(MakeStringSink(&file), schema, o);
  ASSERT_TRUE(w.ok());
  for (int round = 0; round < 3; ++round) {
    std::vector<ColumnBatch> cols = {ColumnBatch(ColumnType::kInt32),
                                     ColumnBatch(ColumnType::kString),
                                     ColumnBatch(ColumnType::kBoolean)};
    for (int i = 0; i < 10; ++i) {
      cols[0].AppendInt32(round * 10 + i);
      if (i % 3 == 0)
        cols[1].AppendNull();
      else
        cols[1].AppendString("v" + std::to_string(i));
      cols[2].AppendBool(i % 2);
    }
    ASSERT_TRUE((*w)->WriteColumns(cols).ok());
  }
  EXPECT_EQ((*w)->rows_written(), 30);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_FALSE((*w)->Close().ok());

  auto r = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->metadata().created_by, "tributary version 0.1.0");
  ASSERT_EQ((*r)->metadata().key_value_metadata.size(), 1u);
  EXPECT_EQ((*r)->metadata().key_value_metadata[0].value, "test");
  EXPECT_EQ((*r)->schema(), schema);
  auto cols = (*r)->Resolve({"c", "a"});
  ASSERT_TRUE(cols.ok());
  auto batch = (*r)->ReadRowGroup(0, *cols);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->columns.size(), 2u);
  EXPECT_EQ(batch->schema.columns[0].name, "c");
  EXPECT_EQ(batch->columns[1].i32[29], 29);
  EXPECT_EQ(batch->columns[0].bools[3], 1);
  EXPECT_EQ((*r)->Resolve({"nope"}).status().code(), ErrorCode::kNotFound);
}

TEST(Writer, RejectsBadInput) {
  Schema schema = *Schema::Parse("a:int64");
  std::string file;
  auto w = ParquetWriter::Open(MakeStringSink(&file), schema, {});
  ASSERT_TRUE(w.ok());
  RecordBatch b = RecordBatch::Empty(schema);
  b.columns[0].AppendNull();
  b.num_rows = 1;
  Status st = (*w)->Write(b);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("required column 'a'"), std::string::npos) << st.ToString();
  RecordBatch other = RecordBatch::Empty(*Schema::Parse("a:int32"));
  EXPECT_FALSE((*w)->Write(other).ok());
  EXPECT_FALSE(Schema::Parse("a:int64,a:string").ok());
  EXPECT_FALSE(Schema::Parse("a:money").ok());
  EXPECT_FALSE(Schema::Parse("a:decimal(39,2)").ok());
  EXPECT_FALSE(Schema::Parse("a:decimal(4,5)").ok());
  WriterOptions bad;
  bad.codec = Codec::kBrotli;
  EXPECT_FALSE(ParquetWriter::Open(MakeStringSink(&file), schema, bad).ok());
}

TEST(Writer, EmptyFileIsReadable) {
  Schema schema = *Schema::Parse("a:int64?");
  RecordBatch b = RecordBatch::Empty(schema);
  std::string file = WriteToString(b, {});
  auto groups = ReadAllGroups(file);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_TRUE(groups->empty());
}

TEST(Writer, AllNullColumn) {
  Schema schema = *Schema::Parse("a:string?,b:double?");
  RecordBatch b = RecordBatch::Empty(schema);
  for (int i = 0; i < 100; ++i) {
    b.columns[0].AppendNull();
    b.columns[1].AppendNull();
  }
  b.num_rows = 100;
  for (Codec c : {Codec::kUncompressed, Codec::kGzip}) {
    WriterOptions o;
    o.codec = c;
    std::string file = WriteToString(b, o);
    auto groups = ReadAllGroups(file);
    ASSERT_TRUE(groups.ok()) << groups.status().ToString();
    testing::ExpectColumnsEqual(b.columns[0], {&(*groups)[0].columns[0]});
    testing::ExpectColumnsEqual(b.columns[1], {&(*groups)[0].columns[1]});
  }
}

TEST(Reader, FileOnDisk) {
  std::string path = ::testing::TempDir() + "/tributary_parquet_disk.parquet";
  Schema schema = *Schema::Parse("x:int64");
  auto w = ParquetWriter::Open(path, schema, {});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  RecordBatch b = RecordBatch::Empty(schema);
  b.columns[0].AppendInt64(42);
  b.num_rows = 1;
  ASSERT_TRUE((*w)->Write(b).ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto r = ParquetReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto got = (*r)->ReadRowGroup(0, {0});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->columns[0].i64.at(0), 42);
  EXPECT_EQ(ParquetReader::Open(path + ".missing").status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace tributary::parquet
