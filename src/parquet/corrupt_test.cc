// Corrupt files give errors that say what and where, never crashes.
#include <gtest/gtest.h>

#include <cstring>

#include "parquet/compression.h"
#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

std::string ValidFile(Codec codec = Codec::kSnappy) {
  std::mt19937_64 rng(3);
  Schema schema = *Schema::Parse("a:int64?,s:string,d:double");
  RecordBatch b = RecordBatch::Empty(schema);
  b.columns[0] = testing::RandomColumn(ColumnType::kInt64, true, 300, rng);
  b.columns[1] = testing::RandomColumn(ColumnType::kString, false, 300, rng);
  b.columns[2] = testing::RandomColumn(ColumnType::kDouble, false, 300, rng);
  b.num_rows = 300;
  WriterOptions o;
  o.codec = codec;
  o.page_size = 256;
  return testing::WriteToString(b, o);
}

Status ReadEverything(const std::string& file) {
  auto groups = testing::ReadAllGroups(file);
  return groups.ok() ? Status::Ok() : groups.status();
}

uint32_t FooterLength(const std::string& f) {
  uint32_t len;
  std::memcpy(&len, f.data() + f.size() - 8, 4);
  return len;
}

TEST(Corrupt, BadMagic) {
  std::string f = ValidFile();
  std::string head = f;
  head[0] = 'X';
  Status st = ReadEverything(head);
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("bad magic at offset 0"), std::string::npos) << st.ToString();
  std::string tail = f;
  tail.back() = 'X';
  st = ReadEverything(tail);
  EXPECT_NE(st.message().find("bad magic at offset " + std::to_string(f.size() - 4)),
            std::string::npos)
      << st.ToString();
  EXPECT_FALSE(ReadEverything("PAR1").ok());
  EXPECT_FALSE(ReadEverything("").ok());
}

TEST(Corrupt, TruncatedFooter) {
  std::string f = ValidFile();
  // Cut inside the footer but keep a valid tail: the length no longer fits.
  std::string cut = f.substr(0, 4) + f.substr(f.size() - 20);
  Status st = ReadEverything(cut);
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("footer length"), std::string::npos) << st.ToString();
  // Shrink the declared length so the Thrift parser runs out of bytes.
  std::string shrunk = f;
  uint32_t len = FooterLength(f);
  uint32_t smaller = len / 2;
  std::string footer = f.substr(f.size() - 8 - len, len);
  shrunk = f.substr(0, f.size() - 8 - len) + footer.substr(len - smaller);
  shrunk.append(reinterpret_cast<const char*>(&smaller), 4);
  shrunk += "PAR1";
  st = ReadEverything(shrunk);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("offset"), std::string::npos) << st.ToString();
}

TEST(Corrupt, EveryTruncationIsAnError) {
  std::string f = ValidFile();
  for (size_t len = 0; len < f.size(); len += 7) {
    std::string t = f.substr(0, len);
    EXPECT_FALSE(ReadEverything(t).ok()) << len;
  }
}

TEST(Corrupt, PageLengthBeyondTheChunk) {
  std::string f = ValidFile(Codec::kUncompressed);
  auto r = ParquetReader::Open(MakeMemorySource(f));
  ASSERT_TRUE(r.ok());
  const ColumnMetaData& m = *(*r)->metadata().row_groups[0].columns[1].meta_data;
  // First page header of column 's' (dictionary page): overwrite its
  // compressed_page_size (field 3, zigzag varint) with a huge value.
  int64_t off = *m.dictionary_page_offset;
  PageHeader h;
  size_t used;
  ASSERT_TRUE(ParsePageHeader(reinterpret_cast<const uint8_t*>(f.data()) + off, f.size() - off, off,
                              &h, &used)
                  .ok());
  PageHeader big = h;
  big.compressed_page_size = 1 << 30;
  std::string header;
  SerializePageHeader(big, &header);
  std::string bad = f.substr(0, off) + header + f.substr(off + used);
  // The footer moved by the size difference; rebuild its offsets is not needed:
  // the chunk is read from its recorded offset and the header now lies.
  Status st = ReadEverything(bad);
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("column 's'"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("offset"), std::string::npos) << st.ToString();
}

TEST(Corrupt, CorruptCompressedPages) {
  for (Codec c : {Codec::kSnappy, Codec::kGzip, Codec::kZstd}) {
    std::string f = ValidFile(c);
    auto r = ParquetReader::Open(MakeMemorySource(f));
    ASSERT_TRUE(r.ok());
    const ColumnMetaData& m = *(*r)->metadata().row_groups[0].columns[2].meta_data;
    int64_t off = m.dictionary_page_offset.value_or(m.data_page_offset);
    PageHeader h;
    size_t used;
    ASSERT_TRUE(ParsePageHeader(reinterpret_cast<const uint8_t*>(f.data()) + off, f.size() - off,
                                off, &h, &used)
                    .ok());
    std::string bad = f;
    for (int i = 0; i < h.compressed_page_size; i += 3) bad[off + used + i] ^= 0x5a;
    Status st = ReadEverything(bad);
    EXPECT_FALSE(st.ok()) << CodecName(c);
    EXPECT_NE(st.message().find("column 'd'"), std::string::npos) << st.ToString();
  }
}

TEST(Corrupt, ChunkOffsetsOutsideTheFile) {
  std::string f = ValidFile();
  auto r = ParquetReader::Open(MakeMemorySource(f));
  ASSERT_TRUE(r.ok());
  FileMetaData m = (*r)->metadata();
  m.row_groups[0].columns[0].meta_data->data_page_offset = static_cast<int64_t>(f.size()) * 4;
  m.row_groups[0].columns[0].meta_data->dictionary_page_offset.reset();
  std::string footer;
  SerializeFileMetaData(m, &footer);
  uint32_t len = FooterLength(f);
  std::string bad = f.substr(0, f.size() - 8 - len) + footer;
  uint32_t nlen = static_cast<uint32_t>(footer.size());
  bad.append(reinterpret_cast<const char*>(&nlen), 4);
  bad += "PAR1";
  Status st = ReadEverything(bad);
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("lies outside the data"), std::string::npos) << st.ToString();
}

TEST(Corrupt, HugeRowCountIsRejected) {
  std::string f = ValidFile();
  auto r = ParquetReader::Open(MakeMemorySource(f));
  ASSERT_TRUE(r.ok());
  FileMetaData m = (*r)->metadata();
  m.row_groups[0].num_rows = int64_t{1} << 40;
  std::string footer;
  SerializeFileMetaData(m, &footer);
  uint32_t len = FooterLength(f);
  std::string bad = f.substr(0, f.size() - 8 - len) + footer;
  uint32_t nlen = static_cast<uint32_t>(footer.size());
  bad.append(reinterpret_cast<const char*>(&nlen), 4);
  bad += "PAR1";
  Status st = ReadEverything(bad);
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("row group 0 claims"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace tributary::parquet
