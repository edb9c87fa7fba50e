#include "parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include "parquet/format.h"

namespace tributary::parquet {
namespace {

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(ThriftCompact, FieldHeadersAndZigZagMatchTheSpec) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 1);        // delta 1, type i32 (5): 0x15, zigzag(1) = 2
  w.FieldI32(2, -1);       // 0x15, zigzag(-1) = 1
  w.FieldI64(20, 300);     // delta 18 > 15: long form 0x06, zigzag(20)=40, zigzag(300)=600 -> d8 04
  w.FieldBool(21, true);   // 0x11
  w.FieldBool(22, false);  // 0x12
  w.EndStruct();
  EXPECT_EQ(out, std::string("\x15\x02\x15\x01\x06\x28\xd8\x04\x11\x12\x00", 11));
}

TEST(ThriftCompact, RoundTripsEveryKindAndSkipsUnknownFields) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.FieldI8(1, -5);
  w.FieldI16(2, -300);
  w.FieldI32(3, INT32_MIN);
  w.FieldI64(4, INT64_MIN);
  w.FieldDouble(5, -2.5);
  w.FieldBinary(6, std::string("a\0b", 3));
  w.FieldListBegin(7, ThriftType::kI32, 20);  // long list header
  for (int i = 0; i < 20; ++i) w.ElemI32(i - 10);
  w.FieldStructBegin(8);
  w.FieldBinary(1, "nested");
  w.FieldStructBegin(300);  // deeper, with a long field id
  w.FieldBool(1, true);
  w.EndStruct();
  w.EndStruct();
  w.FieldI32(9, 42);
  w.EndStruct();

  CompactReader r(U(out), out.size());
  ASSERT_TRUE(r.BeginStruct().ok());
  int16_t id;
  ThriftType t;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  double d;
  std::string s;
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  EXPECT_EQ(id, 1);
  ASSERT_TRUE(r.ReadI8(&i8).ok());
  EXPECT_EQ(i8, -5);
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  ASSERT_TRUE(r.ReadI16(&i16).ok());
  EXPECT_EQ(i16, -300);
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, INT32_MIN);
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  ASSERT_TRUE(r.ReadI64(&i64).ok());
  EXPECT_EQ(i64, INT64_MIN);
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  EXPECT_EQ(t, ThriftType::kDouble);
  ASSERT_TRUE(r.ReadDouble(&d).ok());
  EXPECT_EQ(d, -2.5);
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  ASSERT_TRUE(r.ReadBinary(&s).ok());
  EXPECT_EQ(s, std::string("a\0b", 3));
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  ThriftType elem;
  uint32_t n;
  ASSERT_TRUE(r.ReadListHeader(&elem, &n).ok());
  EXPECT_EQ(n, 20u);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(r.ReadI32(&i32).ok());
    EXPECT_EQ(i32, i - 10);
  }
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  EXPECT_EQ(id, 8);
  ASSERT_TRUE(r.Skip(t).ok());  // the nested struct, unknown to this reader
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  EXPECT_EQ(id, 9);  // field ids resume relative to the outer struct
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, 42);
  ASSERT_TRUE(r.ReadFieldHeader(&id, &t).ok());
  EXPECT_EQ(t, ThriftType::kStop);
  EXPECT_EQ(r.position(), out.size());
}

TEST(ThriftCompact, TruncatedInputIsAnErrorAtEveryLength) {
  FileMetaData m;
  m.schema.resize(2);
  m.schema[0].name = "schema";
  m.schema[0].num_children = 1;
  m.schema[1].name = "x";
  m.schema[1].type = PhysicalType::kInt64;
  m.num_rows = 5;
  m.created_by = "me";
  std::string out;
  SerializeFileMetaData(m, &out);
  for (size_t len = 0; len < out.size(); ++len) {
    FileMetaData back;
    Status st = ParseFileMetaData(U(out), len, 100, &back);
    EXPECT_FALSE(st.ok()) << "prefix of " << len << " bytes parsed";
    EXPECT_NE(st.message().find("offset"), std::string::npos) << st.ToString();
  }
}

TEST(ThriftCompact, HugeListCountsAreRejectedBeforeAllocating) {
  // list<i32> header claiming 2^31 elements in a 6-byte buffer.
  std::string buf("\xf5\x80\x80\x80\x80\x08", 6);
  CompactReader r(U(buf), buf.size(), 0);
  ThriftType elem;
  uint32_t n;
  Status st = r.ReadListHeader(&elem, &n);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot fit"), std::string::npos);
}

TEST(ThriftCompact, DeepNestingIsRejected) {
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += "\x1c";  // field 1, struct
  CompactReader r(U(nested), nested.size(), 0);
  Status st = r.Skip(ThriftType::kStruct);
  EXPECT_FALSE(st.ok());
}

TEST(Format, PageHeaderRoundTrip) {
  PageHeader h;
  h.type = PageType::kDataPageV2;
  h.uncompressed_page_size = 1234;
  h.compressed_page_size = 567;
  h.crc = -7;
  auto& v2 = h.data_page_header_v2.emplace();
  v2.num_values = 100;
  v2.num_nulls = 3;
  v2.num_rows = 100;
  v2.encoding = Encoding::kRleDictionary;
  v2.definition_levels_byte_length = 9;
  v2.is_compressed = false;
  std::string out;
  SerializePageHeader(h, &out);
  out += "trailing page bytes";
  PageHeader back;
  size_t used = 0;
  ASSERT_TRUE(ParsePageHeader(U(out), out.size(), 0, &back, &used).ok());
  EXPECT_EQ(used, out.size() - 19);
  EXPECT_EQ(back.type, PageType::kDataPageV2);
  EXPECT_EQ(back.uncompressed_page_size, 1234);
  EXPECT_EQ(back.compressed_page_size, 567);
  EXPECT_EQ(back.crc, -7);
  ASSERT_TRUE(back.data_page_header_v2);
  EXPECT_EQ(back.data_page_header_v2->num_nulls, 3);
  EXPECT_EQ(back.data_page_header_v2->encoding, Encoding::kRleDictionary);
  EXPECT_EQ(back.data_page_header_v2->definition_levels_byte_length, 9);
  EXPECT_FALSE(back.data_page_header_v2->is_compressed);
}

TEST(Format, FileMetaDataRoundTrip) {
  FileMetaData m;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 2;
  SchemaElement ts;
  ts.name = "ts";
  ts.type = PhysicalType::kInt64;
  ts.repetition_type = Repetition::kOptional;
  ts.converted_type = ConvertedType::kTimestampMicros;
  ts.logical_type.kind = LogicalType::Kind::kTimestamp;
  ts.logical_type.is_adjusted_to_utc = true;
  ts.logical_type.unit = TimeUnit::kMicros;
  SchemaElement s;
  s.name = "s";
  s.type = PhysicalType::kByteArray;
  s.repetition_type = Repetition::kRequired;
  s.logical_type.kind = LogicalType::Kind::kString;
  m.schema = {root, ts, s};
  m.num_rows = 77;
  RowGroup rg;
  rg.num_rows = 77;
  rg.total_byte_size = 1000;
  rg.ordinal = 0;
  ColumnChunk cc;
  ColumnMetaData& md = cc.meta_data.emplace();
  md.type = PhysicalType::kInt64;
  md.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
  md.path_in_schema = {"ts"};
  md.codec = Codec::kZstd;
  md.num_values = 77;
  md.total_compressed_size = 400;
  md.total_uncompressed_size = 900;
  md.data_page_offset = 50;
  md.dictionary_page_offset = 4;
  md.statistics.emplace();
  md.statistics->null_count = 2;
  md.statistics->min_value = std::string("\x01\x00\x00\x00\x00\x00\x00\x80", 8);
  rg.columns = {cc, cc};
  m.row_groups = {rg};
  m.key_value_metadata = {{"k", "v"}, {"only-key", std::nullopt}};
  m.created_by = "tributary version 0.1.0";
  m.num_column_orders = 2;
  std::string out;
  SerializeFileMetaData(m, &out);
  FileMetaData back;
  ASSERT_TRUE(ParseFileMetaData(U(out), out.size(), 0, &back).ok());
  ASSERT_EQ(back.schema.size(), 3u);
  EXPECT_EQ(back.schema[1].logical_type.kind, LogicalType::Kind::kTimestamp);
  EXPECT_TRUE(back.schema[1].logical_type.is_adjusted_to_utc);
  EXPECT_EQ(back.schema[1].converted_type, ConvertedType::kTimestampMicros);
  EXPECT_EQ(back.schema[2].logical_type.kind, LogicalType::Kind::kString);
  EXPECT_EQ(back.schema[2].repetition_type, Repetition::kRequired);
  EXPECT_EQ(back.num_rows, 77);
  ASSERT_EQ(back.row_groups.size(), 1u);
  ASSERT_EQ(back.row_groups[0].columns.size(), 2u);
  const ColumnMetaData& b = *back.row_groups[0].columns[1].meta_data;
  EXPECT_EQ(b.encodings, md.encodings);
  EXPECT_EQ(b.path_in_schema, md.path_in_schema);
  EXPECT_EQ(b.codec, Codec::kZstd);
  EXPECT_EQ(b.dictionary_page_offset, 4);
  EXPECT_EQ(b.statistics->null_count, 2);
  EXPECT_EQ(b.statistics->min_value, md.statistics->min_value);
  EXPECT_FALSE(b.statistics->max_value);
  EXPECT_EQ(back.row_groups[0].ordinal, 0);
  ASSERT_EQ(back.key_value_metadata.size(), 2u);
  EXPECT_EQ(back.key_value_metadata[0].value, "v");
  EXPECT_FALSE(back.key_value_metadata[1].value);
  EXPECT_EQ(back.created_by, m.created_by);
  EXPECT_EQ(back.num_column_orders, 2);
}

}  // namespace
}  // namespace tributary::parquet
