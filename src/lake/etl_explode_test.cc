#include "lake/etl_explode.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary::lake {
namespace {

TransformSpec Explode(std::string field, std::string as, bool include_nulls = false) {
  TransformSpec t;
  t.kind = TransformSpec::Kind::kExplode;
  t.explode_field = std::move(field);
  t.explode_as = std::move(as);
  t.explode_include_nulls = include_nulls;
  t.where = "$.transforms[0]";
  return t;
}

std::string Text(const std::vector<Column>& columns) {
  std::string out;
  for (const Column& c : columns) out += (out.empty() ? "" : ",") + c.name + ":" + c.type;
  return out;
}

const std::vector<Column> kSource = {
    {"device", "string"},
    {"batch", "struct<seq:bigint,readings:array<struct<t:bigint,v:double>>>"},
    {"only", "struct<inner:struct<xs:array<int>>>"},
    {"levels", "array<double>"},
    {"sensors", "map<string,decimal(6,2)>"},
};

TEST(EtlExplodeTest, ColumnsAfterExplode) {
  struct Case {
    TransformSpec ex;
    std::string want;  // the columns after, or the error
  };
  const std::vector<Case> cases = {
      // A top-level array: the element takes its place (a new column at the end).
      {Explode("levels", "level"),
       "device:string,batch:struct<seq:bigint,readings:array<struct<t:bigint,v:double>>>,"
       "only:struct<inner:struct<xs:array<int>>>,sensors:map<string,decimal(6,2)>,level:double"},
      // The same name: the column keeps its name with the element's type.
      {Explode("levels", "device"),
       "device:double,batch:struct<seq:bigint,readings:array<struct<t:bigint,v:double>>>,"
       "only:struct<inner:struct<xs:array<int>>>,sensors:map<string,decimal(6,2)>"},
      // A path: the array leaves its struct.
      {Explode("batch.readings", "r"),
       "device:string,batch:struct<seq:bigint>,only:struct<inner:struct<xs:array<int>>>,levels:"
       "array<double>,"
       "sensors:map<string,decimal(6,2)>,r:struct<t:bigint,v:double>"},
      // Structs left empty go, up to the column.
      {Explode("only.inner.xs", "x"),
       "device:string,batch:struct<seq:bigint,readings:array<struct<t:bigint,v:double>>>,levels:"
       "array<double>,"
       "sensors:map<string,decimal(6,2)>,x:int"},
      // A map: its entries, as key and value.
      {Explode("sensors", "s"),
       "device:string,batch:struct<seq:bigint,readings:array<struct<t:bigint,v:double>>>,"
       "only:struct<inner:struct<xs:array<int>>>,levels:array<double>,s:struct<key:string,value:"
       "decimal(6,2)>"},
      {Explode("colour", "c"), "$.transforms[0].explode: the source table has no column 'colour'"},
      {Explode("device", "d"),
       "$.transforms[0].explode: column 'device' is string, not an array or a map"},
      {Explode("batch", "b"),
       "$.transforms[0].explode: column 'batch' is "
       "struct<seq:bigint,readings:array<struct<t:bigint,v:double>>>, "
       "not an array or a map"},
      {Explode("batch.gone", "g"), "$.transforms[0].explode: 'batch' has no member 'gone'"},
      {Explode("device.x", "g"),
       "$.transforms[0].explode: 'device' is string, not a struct with a member 'x'"},
      {Explode("batch.seq.x", "g"),
       "$.transforms[0].explode: 'batch.seq' is bigint, not a struct with a member 'x'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<Column> columns = kSource;
    auto plan = CompileExplode(cases[i].ex, &columns);
    EXPECT_EQ(plan.ok() ? Text(columns) : plan.status().message(), cases[i].want) << "case " << i;
  }
}

// The records explode makes of one record, one per line; "-" when it makes none.
std::string Records(const TransformSpec& ex, const std::string& record) {
  std::vector<Column> columns = kSource;
  auto plan = CompileExplode(ex, &columns);
  if (!plan.ok()) return plan.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(record).get_object().get(object) != simdjson::SUCCESS) return "bad test record";
  std::string rest, out, made;
  Status st = ExplodeRecord(*plan, object, &rest, &out, [&](const std::string& json) {
    made += json + "\n";
    return Status::Ok();
  });
  if (!st.ok()) return st.ToString();
  return made.empty() ? "-" : made;
}

TEST(EtlExplodeTest, RecordsMadeOfOneRecord) {
  EXPECT_EQ(Records(Explode("levels", "level"), R"({"device":"a","levels":[1.5,2],"level":9})"),
            "{\"device\":\"a\",\"level\":1.5}\n{\"device\":\"a\",\"level\":2}\n");
  EXPECT_EQ(Records(Explode("batch.readings", "r"),
                    R"({"device":"a","batch":{"seq":7,"readings":[{"t":1},{"t":2}]},"levels":[]})"),
            "{\"device\":\"a\",\"batch\":{\"seq\":7},\"levels\":[],\"r\":{\"t\":1}}\n"
            "{\"device\":\"a\",\"batch\":{\"seq\":7},\"levels\":[],\"r\":{\"t\":2}}\n");
  // The array the only member: its struct stays as an empty object (its columns null).
  EXPECT_EQ(Records(Explode("only.inner.xs", "x"), R"({"only":{"inner":{"xs":[3]}}})"),
            "{\"only\":{\"inner\":{}},\"x\":3}\n");
  EXPECT_EQ(Records(Explode("sensors", "s"), R"({"device":"a","sensors":{"t1":20.5,"t\"2":null}})"),
            "{\"device\":\"a\",\"s\":{\"key\":\"t1\",\"value\":20.5}}\n"
            "{\"device\":\"a\",\"s\":{\"key\":\"t\\\"2\",\"value\":null}}\n");
  // Nothing to explode: no record, or with include_nulls one whose element is null.
  for (const char* record :
       {R"({"device":"a"})", R"({"device":"a","levels":null})", R"({"device":"a","levels":[]})",
        R"({"device":"a","levels":{"x":1}})", R"({"device":"a","levels":"1,2"})"}) {
    EXPECT_EQ(Records(Explode("levels", "level"), record), "-") << record;
    EXPECT_EQ(Records(Explode("levels", "level", true), record),
              "{\"device\":\"a\",\"level\":null}\n")
        << record;
  }
  EXPECT_EQ(Records(Explode("batch.readings", "r", true), R"({"batch":{"seq":1}})"),
            "{\"batch\":{\"seq\":1},\"r\":null}\n");
  EXPECT_EQ(Records(Explode("batch.readings", "r", true), R"({"batch":5})"),
            "{\"batch\":5,\"r\":null}\n");
  EXPECT_EQ(Records(Explode("sensors", "s"), R"({"sensors":[1,2]})"), "-");
  // The first failing status stops the records.
  std::vector<Column> columns = kSource;
  auto plan = CompileExplode(Explode("levels", "level"), &columns);
  ASSERT_TRUE(plan.ok());
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  ASSERT_EQ(parser.parse(std::string(R"({"levels":[1,2,3]})")).get_object().get(object),
            simdjson::SUCCESS);
  std::string rest, out;
  int calls = 0;
  Status st = ExplodeRecord(*plan, object, &rest, &out, [&](const std::string&) {
    return ++calls == 2 ? InvalidArgument("disk full") : Status::Ok();
  });
  EXPECT_EQ(st.message(), "disk full");
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace tributary::lake
