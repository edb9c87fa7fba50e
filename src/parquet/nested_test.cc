// Nested columns (struct, list, map): the type text, the layout and its levels, the
// shredder's refusals, and write-then-read round trips over pages, row groups, codecs,
// dictionaries and both data page versions.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

#include "parquet/file_writer.h"
#include "parquet/io.h"
#include "parquet/nested_assemble.h"
#include "parquet/nested_shred.h"
#include "parquet/nested_type.h"
#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

using testing::ReadAllGroups;
using testing::WriteToString;

Column NestedColumn(const std::string& name, const std::string& type, bool optional = true) {
  auto t = NestedType::Parse(type);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  Column c;
  c.name = name;
  c.type = ColumnType::kString;
  c.optional = optional;
  c.nested = std::make_shared<const NestedType>(*t);
  return c;
}

TEST(NestedType, TextRoundTripsAndErrorsNameTheOffset) {
  for (const char* text :
       {"struct<lat:double,lon:double>", "list<string>", "map<string,int64>",
        "struct<a:list<struct<b:decimal(10,2),c:timestamp>>,m:map<int32,list<date>>>"}) {
    auto t = NestedType::Parse(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    EXPECT_EQ(t->ToString(), text);
  }
  EXPECT_EQ(NestedType::Parse("array<bigint2>").status().message(),
            "type 'array<bigint2>' at offset 6: unknown type 'bigint2' (expected a primitive, "
            "struct<...>, list<...> or map<...>)");
  EXPECT_EQ(NestedType::Parse("struct<a:int64").status().message(),
            "type 'struct<a:int64' at offset 14: expected '>', got the end");
  EXPECT_NE(NestedType::Parse("map<list<int64>,int64>")
                .status()
                .message()
                .find("a map's key must be a primitive"),
            std::string::npos);
  EXPECT_NE(NestedType::Parse("struct<a:int64,a:string>")
                .status()
                .message()
                .find("struct names field 'a' twice"),
            std::string::npos);
  EXPECT_EQ(NestedType::Parse("list<int64>").value(),
            NestedType::List(NestedType::Primitive(ColumnType::kInt64)));
}

TEST(NestedType, SchemaTextCarriesNestedColumns) {
  auto s = Schema::Parse("id:int64,loc:struct<lat:double,tags:list<string>>?,price:decimal(10,2)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->columns.size(), 3u);
  EXPECT_EQ(s->columns[1].name, "loc");
  EXPECT_TRUE(s->columns[1].optional);
  ASSERT_NE(s->columns[1].nested, nullptr);
  EXPECT_EQ(s->columns[1].type, ColumnType::kString);
  EXPECT_EQ(s->ToString(),
            "id:int64,loc:struct<lat:double,tags:list<string>>?,price:decimal(10,2)");
  EXPECT_EQ(s->columns[2].precision, 10);
  auto again = Schema::Parse(s->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *s);
  EXPECT_FALSE(
      *again ==
      *Schema::Parse("id:int64,loc:struct<lat:double,tags:list<int64>>?,price:decimal(10,2)"));
}

TEST(NestedLayout, LevelsAndSchemaElementsAreTheStandardOnes) {
  Column c = NestedColumn("m", "struct<a:int64,l:list<string>,kv:map<string,double>>");
  std::vector<SchemaElement> elements;
  NestedLayout layout = LayoutOf(c, &elements);
  ASSERT_EQ(layout.leaves.size(), 4u);
  // m (opt) -> a (opt): def 2, rep 0
  EXPECT_EQ(layout.leaves[0].path, (std::vector<std::string>{"m", "a"}));
  EXPECT_EQ(layout.leaves[0].max_def, 2);
  EXPECT_EQ(layout.leaves[0].max_rep, 0);
  // m -> l (opt, LIST) -> list (repeated) -> element (opt): def 4, rep 1
  EXPECT_EQ(layout.leaves[1].path, (std::vector<std::string>{"m", "l", "list", "element"}));
  EXPECT_EQ(layout.leaves[1].max_def, 4);
  EXPECT_EQ(layout.leaves[1].max_rep, 1);
  // m -> kv (opt, MAP) -> key_value (repeated) -> key (required): def 3; value: def 4
  EXPECT_EQ(layout.leaves[2].path, (std::vector<std::string>{"m", "kv", "key_value", "key"}));
  EXPECT_EQ(layout.leaves[2].max_def, 3);
  EXPECT_EQ(layout.leaves[3].max_def, 4);
  EXPECT_EQ(layout.leaves[3].max_rep, 1);
  // m, a, l, list, element, kv, key_value, key, value
  ASSERT_EQ(elements.size(), 9u);
  EXPECT_EQ(elements[0].num_children, 3);
  EXPECT_EQ(elements[2].converted_type, ConvertedType::kList);
  EXPECT_EQ(elements[3].repetition_type, Repetition::kRepeated);
  EXPECT_EQ(elements[3].name, "list");
  EXPECT_EQ(elements[5].converted_type, ConvertedType::kMap);
  EXPECT_EQ(elements[6].name, "key_value");
  EXPECT_EQ(elements[7].repetition_type, Repetition::kRequired);
  EXPECT_EQ(elements[8].repetition_type, Repetition::kOptional);
}

TEST(NestedShredder, GivesTheLevelsOfEachEntry) {
  NestedShredder s(NestedColumn("l", "list<list<int32>>"));
  ASSERT_TRUE(s.AddText("[[1,2],[],null,[3]]").ok());
  ASSERT_TRUE(s.AddText(std::nullopt).ok());
  ASSERT_TRUE(s.AddText("[]").ok());
  ASSERT_TRUE(s.AddText("[[null]]").ok());
  const LeafValues& leaf = s.leaves()[0];
  // l opt(1) list rep(2) element opt(3) list rep(4) element opt(5)
  EXPECT_EQ(leaf.rep, (std::vector<uint32_t>{0, 2, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(leaf.def, (std::vector<uint32_t>{5, 5, 3, 2, 5, 0, 1, 4}));
  EXPECT_EQ(leaf.values.i32, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(s.rows(), 4);
}

TEST(NestedShredder, ARowThatDoesNotFitLeavesNothingBehindAndSaysWhere) {
  NestedShredder s(NestedColumn("loc", "struct<lat:double,tags:list<int64>>"));
  ASSERT_TRUE(s.AddText(R"({"lat":1.5,"tags":[1,2]})").ok());
  Status bad = s.AddText(R"({"lat":2.5,"tags":[3,"x"]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("column 'loc': field 'tags': element 1: "), std::string::npos)
      << bad.message();
  EXPECT_NE(bad.message().find("expected int64, got string \"x\""), std::string::npos)
      << bad.message();
  EXPECT_FALSE(s.AddText(R"({"lat":"north"})").ok());
  EXPECT_FALSE(s.AddText(R"([1])").ok());
  EXPECT_FALSE(s.AddText(R"({"lat":)").ok());
  EXPECT_EQ(s.rows(), 1);
  EXPECT_EQ(s.leaves()[0].def.size(), 1u);
  EXPECT_EQ(s.leaves()[0].values.length, 1);
  EXPECT_EQ(s.leaves()[1].def.size(), 2u);
  EXPECT_EQ(s.leaves()[1].values.i64, (std::vector<int64_t>{1, 2}));
  // A required column's null is refused too.
  NestedShredder required(NestedColumn("r", "list<int64>", false));
  EXPECT_EQ(required.AddText(std::nullopt).message(), "column 'r': a value is required");
}

TEST(NestedShredder, ReadsWhatNlohmannReadsAsItReadsIt) {
  // An integer past 64 bits, which simdjson refuses, is read as a double.
  NestedShredder d(NestedColumn("d", "list<double>"));
  ASSERT_TRUE(d.AddText("[123456789012345678901234567890, 1.5]").ok());
  ASSERT_EQ(d.leaves()[0].values.f64.size(), 2u);
  EXPECT_DOUBLE_EQ(d.leaves()[0].values.f64[0], 1.2345678901234568e29);
  NestedShredder i(NestedColumn("i", "list<int64>"));
  EXPECT_NE(i.AddText("[123456789012345678901234567890]").message().find("column 'i': element 0: "),
            std::string::npos);
  EXPECT_EQ(i.rows(), 0);
  // A map's key given twice is one entry, at its first place with its last value; a
  // struct's field given twice takes the last.
  NestedShredder m(NestedColumn("m", "map<string,int32>"));
  ASSERT_TRUE(m.AddText(R"({"a":1,"b":2,"a":3})").ok());
  EXPECT_EQ(m.leaves()[0].values.StringAt(0), "a");
  EXPECT_EQ(m.leaves()[0].values.StringAt(1), "b");
  EXPECT_EQ(m.leaves()[1].values.i32, (std::vector<int32_t>{3, 2}));
  NestedShredder f(NestedColumn("f", "struct<x:int32>"));
  ASSERT_TRUE(f.AddText(R"({"x":1,"x":2})").ok());
  EXPECT_EQ(f.leaves()[0].values.i32, (std::vector<int32_t>{2}));
  // A string member takes another value as its compact text; a number that does not fit
  // says what it got.
  NestedShredder t(NestedColumn("t", "struct<s:string,n:int32>"));
  ASSERT_TRUE(t.AddText(R"({"s": {"k": [1, true, null]}, "n": 4})").ok());
  EXPECT_EQ(t.leaves()[0].values.StringAt(0), R"({"k":[1,true,null]})");
  EXPECT_EQ(t.Check(R"({"n": [1]})").message().substr(0, 13), "field 'n': ex");
  EXPECT_EQ(t.rows(), 0);  // Check keeps nothing
}

// Rows shredded before (ColumnBatch::shredded, what a stream's record conversion hands
// the writer) make the same file as their text, over slices and row groups.
TEST(NestedShredder, RowsShreddedBeforeWriteTheSameFileAsTheirText) {
  Column c = NestedColumn("r", "list<struct<at:int64,tags:list<string>>>");
  Schema schema;
  schema.columns = {c};
  RecordBatch text = RecordBatch::Empty(schema);
  RecordBatch shredded = RecordBatch::Empty(schema);
  auto rows = std::make_shared<NestedShredder>(c);
  NestedShredder::Mark mark;
  for (int i = 0; i < 5000; ++i) {
    std::optional<std::string> row;
    if (i % 7 != 3) {
      row = i % 11 == 0
                ? "[]"
                : "[{\"at\":" + std::to_string(i) + ",\"tags\":[\"t" + std::to_string(i % 5) +
                      "\",null]}" + (i % 2 ? ",null,{\"at\":1}" : "") + "]";
    }
    if (i % 1000 == 999) {  // a row taken back: as if its record failed
      rows->Position(&mark);
      ASSERT_TRUE(rows->AddText(R"([{"at":5}])").ok());
      rows->Rollback(mark);
    }
    ASSERT_TRUE(rows->AddText(row).ok()) << i;
    if (row) {
      text.columns[0].AppendString(*row);
      shredded.columns[0].AppendString("");
    } else {
      text.columns[0].AppendNull();
      shredded.columns[0].AppendNull();
    }
  }
  text.num_rows = shredded.num_rows = 5000;
  shredded.columns[0].shredded = rows;
  WriterOptions options;
  options.row_group_rows = 1500;  // slices of 1024 rows cross row groups
  const std::string want = WriteToString(text, options);
  EXPECT_EQ(WriteToString(shredded, options), want);
  // Shredded rows that are not the batch's are refused, not written.
  shredded.columns[0].AppendNull();
  ++shredded.num_rows;
  std::string sink;
  auto writer = ParquetWriter::Open(MakeStringSink(&sink), schema, options);
  ASSERT_TRUE(writer.ok());
  EXPECT_NE((*writer)->Write(shredded).message().find(
                "shredded rows (5000) do not match its batch (5001 rows)"),
            std::string::npos);
}

// Rows as given, and as they read back (fields in order, a missing one null, keys as
// strings, values as `cat` prints them).
const std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> kRows = {
    {R"({"lat":48.85,"lon":2.35,"tags":["a","b"],"attrs":{"x":1,"y":-2}})",
     R"({"lat":48.85,"lon":2.35,"tags":["a","b"],"attrs":{"x":1,"y":-2}})"},
    {std::nullopt, std::nullopt},
    {R"({"LAT":1})", R"({"lat":1,"lon":null,"tags":null,"attrs":null})"},
    {R"({"tags":[],"attrs":{}})", R"({"lat":null,"lon":null,"tags":[],"attrs":{}})"},
    {R"({"tags":[null,"caf\u00e9",7],"attrs":{"n":null},"extra":true})",
     R"({"lat":null,"lon":null,"tags":[null,"café","7"],"attrs":{"n":null}})"},
    {R"({"lat":-0.5,"tags":["q\"uote"]})",
     R"({"lat":-0.5,"lon":null,"tags":["q\"uote"],"attrs":null})"},
};

using Param = std::tuple<bool /*dictionary*/, Codec, bool /*v2*/>;
class NestedRoundTrip : public ::testing::TestWithParam<Param> {};

TEST_P(NestedRoundTrip, RowsComeBackAsTheirJson) {
  auto [dictionary, codec, v2] = GetParam();
  auto schema = Schema::Parse(
      "id:int64,loc:struct<lat:double,lon:double,tags:list<string>,attrs:map<string,int64>>?,"
      "m:list<list<int32>>?");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  RecordBatch batch = RecordBatch::Empty(*schema);
  const int64_t n = 3000;
  for (int64_t i = 0; i < n; ++i) {
    batch.columns[0].AppendInt64(i);
    const auto& row = kRows[i % kRows.size()];
    if (row.first) {
      batch.columns[1].AppendString(*row.first);
    } else {
      batch.columns[1].AppendNull();
    }
    if (i % 5 == 0) {
      batch.columns[2].AppendNull();
    } else {
      batch.columns[2].AppendString("[[" + std::to_string(i) + "," + std::to_string(-i) + "],[]," +
                                    (i % 3 == 0 ? "null" : "[7]") + "]");
    }
  }
  batch.num_rows = n;
  WriterOptions o;
  o.codec = codec;
  o.dictionary = dictionary;
  o.data_page_v2 = v2;
  o.page_size = 700;        // many pages
  o.row_group_rows = 1100;  // three row groups
  std::string file = WriteToString(batch, o);
  auto reader = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->schema(), *schema);
  EXPECT_EQ((*reader)->metadata().row_groups[0].columns.size(), 7u);  // one chunk per leaf
  auto groups = ReadAllGroups(file);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 3u);
  int64_t i = 0;
  for (const RecordBatch& g : *groups) {
    for (int64_t r = 0; r < g.num_rows; ++r, ++i) {
      ASSERT_EQ(g.columns[0].i64[r], i);
      const auto& want = kRows[i % kRows.size()].second;
      ASSERT_EQ(g.columns[1].IsValid(r), want.has_value()) << "row " << i;
      if (want) {
        ASSERT_EQ(g.columns[1].StringAt(r), *want) << "row " << i;
      }
      if (i % 5 == 0) {
        ASSERT_FALSE(g.columns[2].IsValid(r)) << "row " << i;
      } else {
        ASSERT_EQ(g.columns[2].StringAt(r), "[[" + std::to_string(i) + "," + std::to_string(-i) +
                                                "],[]," + (i % 3 == 0 ? "null" : "[7]") + "]")
            << "row " << i;
      }
    }
  }
  EXPECT_EQ(i, n);
}

INSTANTIATE_TEST_SUITE_P(Nested, NestedRoundTrip,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(Codec::kUncompressed, Codec::kSnappy),
                                            ::testing::Bool()));

TEST(NestedRoundTrip, PrimitivesOfEveryTypeInsideAStruct) {
  auto schema = Schema::Parse(
      "s:struct<b:boolean,i:int32,l:int64,f:float,d:double,t:timestamp,day:date,"
      "p:decimal(20,3),k:map<int64,string>>");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  RecordBatch batch = RecordBatch::Empty(*schema);
  batch.columns[0].AppendString(
      R"({"b":true,"i":-7,"l":9007199254740993,"f":0.5,"d":"NaN","t":"2024-05-01T12:00:00.000001Z",)"
      R"("day":"2024-02-29","p":"-12345678901234567.125","k":{"3":"three","-1":"minus"}})");
  batch.num_rows = 1;
  auto groups = ReadAllGroups(WriteToString(batch, WriterOptions()));
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_EQ((*groups)[0].columns[0].StringAt(0),
            R"({"b":true,"i":-7,"l":9007199254740993,"f":0.5,"d":"NaN",)"
            R"("t":"2024-05-01T12:00:00.000001Z","day":"2024-02-29","p":-12345678901234567.125,)"
            R"("k":{"3":"three","-1":"minus"}})");  // a map keeps its entries' order
}

// A layout the reader does not take (a repeated field outside a LIST or MAP group, as
// protobuf writers make) is named when that column is read; the others stay readable.
TEST(NestedRead, AnUnreadableLayoutIsNamedAndTheOtherColumnsStayReadable) {
  auto schema = Schema::Parse("a:int64,l:list<int64>?");
  ASSERT_TRUE(schema.ok());
  RecordBatch batch = RecordBatch::Empty(*schema);
  batch.columns[0].AppendInt64(7);
  batch.columns[1].AppendString("[1,2]");
  batch.num_rows = 1;
  std::string file = WriteToString(batch, WriterOptions());
  // The footer again, with the LIST annotation taken off: a group holding a repeated group.
  uint32_t len;
  std::memcpy(&len, file.data() + file.size() - 8, 4);
  const size_t footer_start = file.size() - 8 - len;
  FileMetaData meta;
  ASSERT_TRUE(ParseFileMetaData(reinterpret_cast<const uint8_t*>(file.data()) + footer_start, len,
                                footer_start, &meta)
                  .ok());
  ASSERT_EQ(meta.schema[2].name, "l");
  meta.schema[2].converted_type.reset();
  meta.schema[2].logical_type = LogicalType();
  std::string rewritten = file.substr(0, footer_start);
  std::string footer;
  SerializeFileMetaData(meta, &footer);
  rewritten += footer;
  uint32_t footer_len = static_cast<uint32_t>(footer.size());
  rewritten.append(reinterpret_cast<const char*>(&footer_len), 4);
  rewritten += "PAR1";

  auto reader = ParquetReader::Open(MakeMemorySource(rewritten));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ((*reader)->columns().size(), 2u);
  auto a = (*reader)->ReadRowGroup(0, {0});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->columns[0].i64[0], 7);
  auto l = (*reader)->ReadRowGroup(0, {1});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), ErrorCode::kUnimplemented);
  EXPECT_NE(l.status().message().find("'l.list' is repeated outside a LIST or MAP group"),
            std::string::npos)
      << l.status().message();
}

TEST(NestedAssemble, CorruptLevelsAreDataLossNotACrash) {
  Column c = NestedColumn("l", "list<int64>");
  NestedLayout layout = LayoutOf(c);
  std::vector<LeafEntries> leaves(1);
  leaves[0].values = ColumnBatch(ColumnType::kInt64);
  leaves[0].values.AppendInt64(1);
  leaves[0].values.AppendInt64(2);
  leaves[0].def = {3, 3};
  leaves[0].rep = {1, 0};  // the first row starts with a continuation
  ColumnBatch out;
  Status st = AssembleNested("l", layout, leaves, 1, &out);
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("does not start the row"), std::string::npos) << st.message();
  leaves[0].rep = {0, 1};
  EXPECT_EQ(AssembleNested("l", layout, leaves, 2, &out).code(), ErrorCode::kDataLoss);  // too few
  leaves[0].rep = {0, 0};
  st = AssembleNested("l", layout, leaves, 1, &out);  // one left over
  EXPECT_NE(st.message().find("entries past the row group's last row"), std::string::npos)
      << st.message();
  ASSERT_TRUE(AssembleNested("l", layout, leaves, 2, &out).ok());
  EXPECT_EQ(out.StringAt(0), "[1]");
  EXPECT_EQ(out.StringAt(1), "[2]");
}

}  // namespace
}  // namespace tributary::parquet
