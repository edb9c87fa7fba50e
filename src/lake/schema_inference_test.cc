#include "lake/schema_inference.h"

#include <gtest/gtest.h>

#include "lake/hive_type.h"

namespace tributary::lake {
namespace {

// Infers the schema of JSON lines; each line one record.
SchemaBuilder Build(const std::vector<std::string>& records) {
  SchemaBuilder b;
  simdjson::dom::parser parser;
  for (size_t i = 0; i < records.size(); ++i) {
    simdjson::dom::object obj;
    auto err = parser.parse(records[i]).get_object().get(obj);
    EXPECT_FALSE(err) << records[i];
    if (!err) b.AddRecord(obj, "obj line " + std::to_string(i + 1));
  }
  return b;
}

std::string TypeOf(const SchemaBuilder& b, const std::string& column) {
  for (const auto& c : b.Columns()) {
    if (c.name == column) return c.type;
  }
  return "<absent>";
}

// The widening table: the types of one column in two records -> the column's type,
// and whether a conflict is reported.
struct WideningCase {
  const char* first;
  const char* second;
  const char* merged;
  bool reported;
};

TEST(SchemaInference, WideningTable) {
  const WideningCase cases[] = {
      {"1", "2", "bigint", false},
      {"1", "2.5", "double", false},
      {"2.5", "1", "double", false},
      {"true", "false", "boolean", false},
      {"\"a\"", "\"b\"", "string", false},
      {"\"2026-11-30T14:02:11.123Z\"", "\"2026-11-30T15:00:00Z\"", "timestamp", false},
      {"\"2026-11-30T14:02:11.123Z\"", "\"hello\"", "string", false},
      {"null", "3", "bigint", false},
      {"3", "null", "bigint", false},
      {"null", "null", "string", false},
      {"1", "\"x\"", "string", true},
      {"true", "1", "string", true},
      {"1.5", "true", "string", true},
      {"{\"a\":1}", "2", "string", true},
      {"[1]", "{\"a\":1}", "string", true},
      {"[1]", "[2.5]", "array<double>", false},
      {"[]", "[true]", "array<boolean>", false},
      {"{\"a\":1}", "{\"b\":\"x\"}", "struct<a:bigint,b:string>", false},
      {"{\"a\":1}", "{\"a\":1.5}", "struct<a:double>", false},
      {"{\"a\":1}", "{\"a\":\"x\"}", "struct<a:string>", true},
  };
  for (const auto& c : cases) {
    SchemaBuilder b =
        Build({std::string("{\"v\":") + c.first + "}", std::string("{\"v\":") + c.second + "}"});
    EXPECT_EQ(TypeOf(b, "v"), c.merged) << c.first << " + " << c.second;
    EXPECT_EQ(!b.conflicts().empty(), c.reported) << c.first << " + " << c.second;
  }
}

TEST(SchemaInference, ReferencePayloadTypes) {
  SchemaBuilder b = Build({R"({"ozone": 42, "particulate_matter": 7, "carbon_monoxide": 3,
      "sulfur_dioxide": 1, "nitrogen_dioxide": 9, "longitude": 10.250786139881143,
      "latitude": 56.20251117218925, "timestamp": "2026-11-30T14:02:11.123Z", "seq": 0})"});
  std::vector<Column> expected = {
      {"ozone", "bigint"},          {"particulate_matter", "bigint"}, {"carbon_monoxide", "bigint"},
      {"sulfur_dioxide", "bigint"}, {"nitrogen_dioxide", "bigint"},   {"longitude", "double"},
      {"latitude", "double"},       {"timestamp", "timestamp"},       {"seq", "bigint"}};
  EXPECT_EQ(b.Columns(), expected);
}

TEST(SchemaInference, NestedStructsAndArrays) {
  SchemaBuilder b =
      Build({R"({"pos": {"lat": 1.5, "lon": 2}, "tags": ["a"], "readings": [{"t": 1}]})",
             R"({"pos": {"lat": 2, "alt": 100}, "readings": [{"t": 2.5, "q": true}]})"});
  EXPECT_EQ(TypeOf(b, "pos"), "struct<lat:double,lon:bigint,alt:bigint>");
  EXPECT_EQ(TypeOf(b, "tags"), "array<string>");
  EXPECT_EQ(TypeOf(b, "readings"), "array<struct<t:double,q:boolean>>");
  EXPECT_TRUE(b.conflicts().empty());
}

TEST(SchemaInference, ConflictNamesColumnPathTypesAndWhere) {
  SchemaBuilder b =
      Build({R"({"pos": {"lat": 1}})", R"({"pos": {"lat": "north"}})", R"({"pos": {"lat": [1]}})"});
  ASSERT_EQ(b.conflicts().size(), 1u);
  const TypeConflict& c = b.conflicts()[0];
  EXPECT_EQ(c.column, "pos.lat");
  EXPECT_EQ(c.where, "obj line 2");
  EXPECT_NE(c.types.find("bigint"), std::string::npos) << c.types;
  EXPECT_NE(c.types.find("string"), std::string::npos) << c.types;
  EXPECT_EQ(c.count, 2);
  EXPECT_EQ(TypeOf(b, "pos"), "struct<lat:string>");
}

TEST(SchemaInference, MixedArrayElementsAreReported) {
  SchemaBuilder b = Build({R"({"xs": [1, "a"]})"});
  EXPECT_EQ(TypeOf(b, "xs"), "array<string>");
  ASSERT_EQ(b.conflicts().size(), 1u);
  EXPECT_EQ(b.conflicts()[0].column, "xs[]");
}

TEST(SchemaInference, ColumnsKeepFirstSeenOrderAndExistingColumnsSeed) {
  auto seeded = SchemaBuilder::FromColumns({{"b", "bigint"}, {"a", "string"}});
  ASSERT_TRUE(seeded.ok());
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  ASSERT_FALSE(parser.parse(std::string(R"({"c": 1, "b": 2.5})")).get_object().get(obj));
  seeded->AddRecord(obj, "x");
  std::vector<Column> expected = {{"b", "double"}, {"a", "string"}, {"c", "bigint"}};
  EXPECT_EQ(seeded->Columns(), expected);
  EXPECT_FALSE(SchemaBuilder::FromColumns({{"x", "struct<"}}).ok());
}

TEST(SchemaInference, TimestampRecognition) {
  for (const char* yes :
       {"2026-11-30T14:02:11.123Z", "2026-11-30T14:02:11Z", "2026-11-30 14:02:11",
        "2026-11-30T14:02", "2026-11-30T14:02:11+01:00", "2026-11-30T14:02:11.123456789-0500"}) {
    EXPECT_TRUE(LooksLikeTimestamp(yes)) << yes;
  }
  for (const char* no : {"2026-11-30", "2026-13-30T14:02:11Z", "2026-11-30T25:02:11Z", "hello",
                         "2026-11-30T14:02:11.Z", "2026-11-30T14:02:11Zjunk", "20261130T140211Z"}) {
    EXPECT_FALSE(LooksLikeTimestamp(no)) << no;
  }
}

TEST(HiveType, ParseAndFormatRoundTrip) {
  for (const char* text :
       {"bigint", "array<double>", "struct<a:bigint,b:struct<c:array<string>>>", "decimal(10,2)",
        "struct<`my field`:bigint>", "array<struct<t:timestamp>>", "decimal(38,38)", "decimal(7)", "struct<`l``t`:double,`a,b`:string>",
        "struct<``:bigint,` x `:bigint>", "varchar(32)", "struct<c:char(2)>",
        "map<string,bigint>", "map<string,struct<a:array<double>>>"}) {
    auto t = ParseHiveType(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    EXPECT_EQ(FormatHiveType(*t), text);
  }
  for (const char* bad : {"", "struct<a:bigint", "array<>", "varchar2", "varchar", "char(x)", "varchar(3", "map<string>", "map<string,bigint",
                          "struct<a:bigint,a:double>", "decimal(40,2)", "decimal(0)", "struct<p:decimal(5,6)>",
                          "bigint x", "struct<`a:bigint>", "struct<`a``:bigint>"}) {
    auto t = ParseHiveType(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_NE(t.status().message().find("offset"), std::string::npos) << t.status().message();
    }
  }
}

TEST(SchemaBuilder, AnyKeyADeviceSendsReadsBack) {
  // An incremental crawl starts from the table's columns: every name inference writes,
  // backticks, commas and colons included, must parse back to the same schema.
  simdjson::dom::parser parser;
  SchemaBuilder b;
  auto doc = parser.parse(std::string_view(
      R"({"l`t": 1, "pos": {"a,b": 2.5, "x:y": "s", "": true, "`": [1], "<>": {"q`q": null}}})"));
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  b.AddRecord(doc.get_object().value(), "line 1");
  auto again = SchemaBuilder::FromColumns(b.Columns());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->Columns(), b.Columns());
  EXPECT_EQ(b.Columns()[1].type, "struct<`a,b`:double,`x:y`:string,``:boolean,````:array<bigint>,`<>`:struct<`q``q`:string>>");
}

}  // namespace
}  // namespace tributary::lake
