// ETL jobs one record at a time: job documents and their errors, value conversions, and
// each transform of a compiled pipeline.
#include <gtest/gtest.h>

#include "lake/etl_job.h"
#include "lake/etl_pipeline.h"
#include "lake/etl_test_job.h"

namespace tributary::lake {
namespace {

using nlohmann::json;
using testing::BaseJob;

// --- job documents ---

TEST(JobSpecTest, ParsesTheIssueExample) {
  auto spec = ParseJobSpec(BaseJob());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->source_database, "iot");
  ASSERT_EQ(spec->transforms.size(), 4u);
  EXPECT_EQ(spec->transforms[0].mappings[2].path, (std::vector<std::string>{"pos", "lat"}));
  EXPECT_EQ(spec->transforms[0].mappings[3].target_type, EtlType::kTimestamp);
  EXPECT_EQ(spec->target.path.bucket, "curated");
  EXPECT_EQ(spec->target.path.prefix, "pollution/");
  EXPECT_EQ(spec->target.error_path.ToString(), "curated/pollution_errors/");
}

TEST(JobSpecTest, TypeNamesAreCaseInsensitive) {
  EXPECT_EQ(ParseEtlType("BIGINT"), EtlType::kBigint);
  EXPECT_EQ(ParseEtlType("Timestamp"), EtlType::kTimestamp);
  DecimalSpec d;
  EXPECT_EQ(ParseEtlType("Decimal(12, 4)", &d), EtlType::kDecimal);
  EXPECT_EQ(d, (DecimalSpec{12, 4}));
  EXPECT_EQ(ParseEtlType("DECIMAL", &d), EtlType::kDecimal);
  EXPECT_EQ(d, (DecimalSpec{10, 0}));
  EXPECT_FALSE(ParseEtlType("DECIMAL(40,2)"));
  EXPECT_FALSE(ParseEtlType("decimalish"));
}

TEST(JobSpecTest, ErrorsNameTheJsonPath) {
  struct Case {
    std::function<void(json&)> edit;
    const char* want;  // a substring of the error
  };
  std::vector<Case> cases = {
      {[](json& j) { j.erase("source"); }, "$.source: must be an object"},
      {[](json& j) { j["source"]["table"] = "Bad-Name"; }, "$.source.table"},
      {[](json& j) { j["transforms"][0]["apply_mapping"][1][3] = "decimalish"; },
       "$.transforms[0].apply_mapping[1][3]: unknown type 'decimalish'"},
      {[](json& j) { j["transforms"][0]["apply_mapping"][1][3] = "decimal(40,2)"; },
       "$.transforms[0].apply_mapping[1][3]: decimal precision 40 is out of range (1 to 38)"},
      {[](json& j) { j["transforms"][0]["apply_mapping"][1][3] = "decimal(5,x)"; },
       "$.transforms[0].apply_mapping[1][3]: type 'decimal(5,x)' is not decimal(precision,scale)"},
      {[](json& j) {
         j["transforms"][2]["derive"]["hour"] = json{{"expression", "1"}, {"type", "decimal(3,4)"}};
       },
       "$.transforms[2].derive.hour.type: decimal scale 4 is out of range (0 to the precision, 3)"},
      {[](json& j) {
         j["transforms"][0]["apply_mapping"][1] = json::array({"a", "bigint"});
       },
       "$.transforms[0].apply_mapping[1]: must be [source path"},
      {[](json& j) { j["transforms"][0]["apply_mapping"][1][0] = "a..b"; },
       "$.transforms[0].apply_mapping[1][0]"},
      {[](json& j) { j["transforms"][1]["filter"] = "ozone >= "; }, "$.transforms[1].filter: "},
      {[](json& j) { j["transforms"][2]["derive"]["hour"] = "nosuchfn(ts)"; },
       "$.transforms[2].derive.hour: "},
      {[](json& j) {
         j["transforms"][3] = json{{"unnest", 1}};
       },
       "$.transforms[3]: unknown transform 'unnest' (known: explode, apply_mapping"},
      {[](json& j) {
         j["transforms"][3] = json{{"explode", "readings"}};
       },
       "$.transforms[3].explode: must be the first transform"},
      {[](json& j) {
         j["transforms"].insert(j["transforms"].begin(), json{{"explode", 1}});
       },
       "$.transforms[0].explode: must be a field name or {\"field\": ..., \"as\": ...}"},
      {[](json& j) {
         j["transforms"].insert(j["transforms"].begin(), json{{"explode", "a..b"}});
       },
       "$.transforms[0].explode: 'a..b' has an empty name in its path"},
      {[](json& j) {
         j["transforms"].insert(j["transforms"].begin(),
                                json{{"explode", {{"field", "r"}, {"into", "x"}}}});
       },
       "$.transforms[0].explode.into: unknown key (known: field, as, include_nulls)"},
      {[](json& j) {
         j["transforms"].insert(j["transforms"].begin(),
                                json{{"explode", {{"field", "r"}, {"as", "x.y"}}}});
       },
       "$.transforms[0].explode.as: 'x.y' must be a top-level field name, not a path"},
      {[](json& j) {
         j["transforms"].insert(j["transforms"].begin(),
                                json{{"explode", {{"field", "r"}, {"include_nulls", "yes"}}}});
       },
       "$.transforms[0].explode.include_nulls: must be true or false"},
      {[](json& j) {
         j["transforms"][3] = json{{"dedupe", json::array()}};
       },
       "$.transforms[3].dedupe: needs"},
      {[](json& j) { j["target"]["compression"] = "lz4"; }, "$.target.compression: 'lz4'"},
      {[](json& j) { j["target"]["format"] = "csv"; }, "$.target.format"},
      {[](json& j) { j["target"]["path"] = "http://x/"; }, "$.target.path"},
      {[](json& j) { j["target"]["partition_keys"] = json::array({1}); },
       "$.target.partition_keys[0]"},
      {[](json& j) { j["target"]["colour"] = "red"; }, "$.target.colour: unknown field"},
      {[](json& j) { j["workers"] = -1; }, "$.workers"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json doc = BaseJob();
    cases[i].edit(doc);
    auto spec = ParseJobSpec(doc);
    ASSERT_FALSE(spec.ok()) << "case " << i;
    EXPECT_NE(spec.status().message().find(cases[i].want), std::string::npos)
        << "case " << i << ": " << spec.status().message();
  }
  EXPECT_NE(ParseJobSpecText("{\"source\": ").status().message().find("not valid JSON"),
            std::string::npos);
  // explode, then apply_mapping: both in their places.
  json exploded = BaseJob();
  exploded["transforms"].insert(exploded["transforms"].begin(), json{{"explode", {{"field", "readings"}, {"as", "r"}}}});
  auto spec = ParseJobSpec(exploded);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->transforms[0].kind, TransformSpec::Kind::kExplode);
  EXPECT_EQ(spec->transforms[0].explode_field, "readings");
  EXPECT_EQ(spec->transforms[0].explode_as, "r");
  EXPECT_FALSE(spec->transforms[0].explode_include_nulls);
  // A path's element is named by its last name unless `as` says otherwise.
  exploded["transforms"][0] =
      json{{"explode", {{"field", "batch.readings"}, {"include_nulls", true}}}};
  spec = ParseJobSpec(exploded);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->transforms[0].explode_field, "batch.readings");
  EXPECT_EQ(spec->transforms[0].explode_as, "readings");
  EXPECT_TRUE(spec->transforms[0].explode_include_nulls);
}

TEST(JobSpecTest, CompileErrorsNameColumnsAndPaths) {
  json doc = BaseJob();
  doc["target"]["partition_keys"] = json::array({"year", "day"});
  auto spec = ParseJobSpec(doc);
  ASSERT_TRUE(spec.ok());
  auto p = Pipeline::Compile(*spec, {}, {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("$.target.partition_keys[1]: 'day' is not a column"),
            std::string::npos)
      << p.status().message();
  doc = BaseJob();
  doc["transforms"][3]["dedupe"] = json::array({"record_id"});
  p = Pipeline::Compile(*ParseJobSpec(doc), {}, {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("$.transforms[3].dedupe[0]: no column 'record_id'"),
            std::string::npos)
      << p.status().message();
}

// --- conversions ---

std::string Convert(const char* json_value, EtlType type, DecimalSpec decimal = {}) {
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(std::string(json_value)).value();
  Cell c;
  std::string reason;
  if (!ConvertJson(e, type, &c, &reason, decimal)) return "reject: " + reason;
  switch (c.kind) {
    case Cell::Kind::kNull:
      return "null";
    case Cell::Kind::kBool:
      return c.i ? "bool true" : "bool false";
    case Cell::Kind::kInt:
      return "int " + std::to_string(c.i);
    case Cell::Kind::kDouble:
      return "double " + CellText(c);
    case Cell::Kind::kString:
      return "string " + c.s;
    case Cell::Kind::kTimestamp:
      return "ts " + FormatTimestampMicros(c.i);
    case Cell::Kind::kDate:
      return "date " + CellText(c) + " (" + std::to_string(c.i) + ")";
    case Cell::Kind::kDecimal:
      return "decimal " + CellText(c);
  }
  return "?";
}

TEST(ConversionTest, Table) {
  struct Case {
    const char* value;
    EtlType type;
    const char* want;
  } cases[] = {
      {"42", EtlType::kDouble, "double 42"},
      {"42", EtlType::kBigint, "int 42"},
      {"4.0", EtlType::kBigint, "int 4"},
      {"4.5", EtlType::kBigint, "reject: cannot convert number 4.5 (not a whole number) to bigint"},
      {"\"17\"", EtlType::kBigint, "int 17"},
      {"\"abc\"", EtlType::kDouble, "reject: cannot convert string \"abc\" to double"},
      {"\"2.5\"", EtlType::kDouble, "double 2.5"},
      {"3000000000", EtlType::kInt, "reject: number 3000000000 is out of the range of int"},
      {"3000000000", EtlType::kBigint, "int 3000000000"},
      {"true", EtlType::kBigint, "reject: cannot convert boolean true to bigint"},
      {"true", EtlType::kString, "string true"},
      {"\"false\"", EtlType::kBoolean, "bool false"},
      {"12.25", EtlType::kString, "string 12.25"},
      {"{\"a\": [1, 2]}", EtlType::kString, "string {\"a\":[1,2]}"},
      {"{\"a\": 1}", EtlType::kDouble, "reject: cannot convert object \"{\\\"a\\\":1}\" to double"},
      {"null", EtlType::kTimestamp, "null"},
      {"\"2026-11-30T14:02:11.5+01:00\"", EtlType::kTimestamp, "ts 2026-11-30T13:02:11.500000Z"},
      {"\"2026-11-30 14:02:11\"", EtlType::kTimestamp, "ts 2026-11-30T14:02:11Z"},
      {"1700000000123", EtlType::kTimestamp, "ts 2023-11-14T22:13:20.123000Z"},
      // Microseconds sent for milliseconds: a year past 9999, which no text form holds.
      {"1700000000123000", EtlType::kTimestamp,
       "reject: cannot convert number 1700000000123000 (Unix milliseconds outside the years "
       "0000-9999) to timestamp"},
      {"1.7e15", EtlType::kDate,
       "reject: cannot convert number 1700000000000000 (Unix milliseconds outside the years "
       "0000-9999) to "
       "date"},
      {"\"yesterday\"", EtlType::kTimestamp,
       "reject: cannot convert string \"yesterday\" (not an ISO 8601 date-time) to timestamp"},
      {"\"2026-12-04\"", EtlType::kDate, "date 2026-12-04 (20791)"},
      {"\"1969-12-31\"", EtlType::kDate, "date 1969-12-31 (-1)"},
      // A date-time's UTC day; epoch milliseconds as for timestamps.
      {"\"2026-12-04T23:30:00-02:00\"", EtlType::kDate, "date 2026-12-05 (20792)"},
      {"1764842400000", EtlType::kDate, "date 2025-12-04 (20426)"},
      {"-1", EtlType::kDate, "date 1969-12-31 (-1)"},
      {"86400000.5", EtlType::kDate, "date 1970-01-02 (1)"},
      {"\"2026-02-29\"", EtlType::kDate,
       "reject: cannot convert string \"2026-02-29\" (not YYYY-MM-DD or an ISO 8601 date-time) to "
       "date"},
      {"true", EtlType::kDate, "reject: cannot convert boolean true to date"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Convert(c.value, c.type), c.want) << c.value << " -> " << EtlTypeName(c.type);
  }
}

TEST(ConversionTest, Decimals) {
  const DecimalSpec money{6, 2}, wide{38, 10};
  struct Case {
    const char* value;
    DecimalSpec decimal;
    const char* want;
  } cases[] = {
      {"12.345", money, "decimal 12.35"},  // half away from zero
      {"-12.345", money, "decimal -12.35"},
      {"0.1", money, "decimal 0.10"},
      {"7", money, "decimal 7.00"},
      {"\"1234.5\"", money, "decimal 1234.50"},
      {"\"1e3\"", money, "decimal 1000.00"},
      {"\"-0.004\"", money, "decimal 0.00"},
      {"12345", money, "reject: number 12345 does not fit decimal(6,2)"},
      {"\"12345.6\"", money, "reject: string \"12345.6\" does not fit decimal(6,2)"},
      {"\"12,5\"", money, "reject: cannot convert string \"12,5\" to decimal(6,2)"},
      {"true", money, "reject: cannot convert boolean true to decimal"},
      {"{\"a\": 1}", money, "reject: cannot convert object \"{\\\"a\\\":1}\" to decimal"},
      {"1e300", money, "reject: number 1e+300 does not fit decimal(6,2)"},
      {"null", money, "null"},
      // Strings digit for digit; integers past 64 bits as their text.
      {"\"-9999999999999999999999999999.9999999999\"", wide, "decimal -9999999999999999999999999999.9999999999"},
      {"18446744073709551615", wide, "decimal 18446744073709551615.0000000000"},
      {"-9223372036854775808", wide, "decimal -9223372036854775808.0000000000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Convert(c.value, EtlType::kDecimal, c.decimal), c.want) << c.value;
  }
  // An expression's value (a derived column) converts the same way.
  Cell cell;
  std::string reason;
  ASSERT_TRUE(ConvertValue(expr::Value::Decimal(2.675), EtlType::kDecimal, &cell, &reason, money)) << reason;
  EXPECT_EQ(CellText(cell), "2.68");
  ASSERT_TRUE(ConvertValue(expr::Value::Int(-3), EtlType::kDecimal, &cell, &reason, money)) << reason;
  EXPECT_EQ(CellText(cell), "-3.00");
  EXPECT_FALSE(ConvertValue(expr::Value::Int(10000), EtlType::kDecimal, &cell, &reason, money));
  EXPECT_EQ(reason, "number 10000 does not fit decimal(6,2)");
}

TEST(ConversionTest, PartitionValuesAreHiveEscaped) {
  Cell c;
  c.kind = Cell::Kind::kString;
  c.s = "a/b c";
  EXPECT_EQ(PartitionValueText(c), "a%2Fb%20c");
  EXPECT_EQ(PartitionValueText(Cell{}), "__HIVE_DEFAULT_PARTITION__");
  c.kind = Cell::Kind::kInt;
  c.i = 2026;
  EXPECT_EQ(PartitionValueText(c), "2026");
}

// --- transforms, one record at a time ---

class PipelineTest : public ::testing::Test {
 protected:
  Outcome Run(const json& job, const std::string& record, Row* row, std::string* reason) {
    auto spec = ParseJobSpec(job);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    auto p = Pipeline::Compile(*spec, {{"id", "bigint", ""}, {"ozone", "bigint", ""}},
                               {"year", "month", "day", "hour"});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    pipeline_.emplace(std::move(*p));
    simdjson::dom::object obj = parser_.parse(record).get_object().value();
    return pipeline_->Process(obj, partition_, &dedupe_, &scratch_, row, reason);
  }
  int Col(const std::string& name) {
    for (size_t i = 0; i < pipeline_->columns().size(); ++i) {
      if (pipeline_->columns()[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  std::optional<Pipeline> pipeline_;
  simdjson::dom::parser parser_;
  DedupeSet dedupe_;
  RowScratch scratch_;
  PartitionValues partition_ = {{"year", "2026"}, {"month", "11"}, {"day", "30"}, {"hour", "14"}};
};

TEST_F(PipelineTest, ApplyMappingTypesNestedPathsAndPartitionValues) {
  Row row;
  std::string reason;
  ASSERT_EQ(Run(BaseJob(),
                R"({"id": 1, "ozone": 7, "pos": {"lat": 56.2}, "timestamp": "2026-11-30T14:02:11Z",
                               "extra": "dropped"})",
                &row, &reason),
            Outcome::kKept)
      << reason;
  ASSERT_EQ(pipeline_->columns().size(), 7u);  // six mapped + hour; "extra" is not there
  EXPECT_EQ(Col("extra"), -1);
  EXPECT_EQ(row[Col("ozone")].kind, Cell::Kind::kDouble);
  EXPECT_EQ(row[Col("ozone")].d, 7.0);
  EXPECT_EQ(row[Col("lat")].d, 56.2);
  EXPECT_EQ(FormatTimestampMicros(row[Col("ts")].i), "2026-11-30T14:02:11Z");
  EXPECT_EQ(row[Col("year")].s, "2026");  // from the object's key, as the crawler names it
  EXPECT_EQ(row[Col("hour")].i, 14);
  EXPECT_EQ(pipeline_->columns()[Col("hour")].type, EtlType::kBigint);
}

TEST_F(PipelineTest, MissingFieldsAreNullAndBadValuesRejectWithTheReason) {
  Row row;
  std::string reason;
  ASSERT_EQ(Run(BaseJob(), R"({"id": 2, "ozone": 1})", &row, &reason), Outcome::kKept) << reason;
  EXPECT_TRUE(row[Col("lat")].is_null());
  EXPECT_TRUE(row[Col("hour")].is_null());
  ASSERT_EQ(Run(BaseJob(), R"({"id": 3, "ozone": 1, "pos": {"lat": "north"}})", &row, &reason),
            Outcome::kRejected);
  EXPECT_EQ(reason, "pos.lat: cannot convert string \"north\" to double");
  ASSERT_EQ(Run(BaseJob(), R"({"id": 4, "ozone": 1, "timestamp": "soon"})", &row, &reason),
            Outcome::kRejected);
  EXPECT_NE(reason.find("timestamp: cannot convert string \"soon\""), std::string::npos) << reason;
}

TEST_F(PipelineTest, FilterDropsWhatIsNotTrue) {
  Row row;
  std::string reason;
  EXPECT_EQ(Run(BaseJob(), R"({"id": 5, "ozone": -1})", &row, &reason), Outcome::kFiltered);
  EXPECT_EQ(Run(BaseJob(), R"({"id": 6})", &row, &reason),
            Outcome::kFiltered);  // null >= 0 is not true
  EXPECT_EQ(Run(BaseJob(), R"({"id": 7, "ozone": 0})", &row, &reason), Outcome::kKept);
}

TEST_F(PipelineTest, IsNotNullFiltersFieldsTheMappingLeftNull) {
  json job = BaseJob();
  job["transforms"][1]["filter"] = "lat IS NOT NULL";
  Row row;
  std::string reason;
  EXPECT_EQ(Run(job, R"({"id": 1, "ozone": 1, "pos": {"lat": 56.2}})", &row, &reason), Outcome::kKept) << reason;
  EXPECT_EQ(Run(job, R"({"id": 2, "ozone": 1})", &row, &reason), Outcome::kFiltered);
  EXPECT_EQ(Run(job, R"({"id": 3, "ozone": 1, "pos": {"lat": null}})", &row, &reason), Outcome::kFiltered);
  // After apply_mapping a missing field is a null column: isUndefined() no longer sees it.
  job["transforms"][1]["filter"] = "isUndefined(lat) = false";
  EXPECT_EQ(Run(job, R"({"id": 4, "ozone": 1})", &row, &reason), Outcome::kKept);
}

TEST_F(PipelineTest, DedupeKeepsTheFirstOfEachKey) {
  Row row;
  std::string reason;
  EXPECT_EQ(Run(BaseJob(), R"({"id": 8, "ozone": 1})", &row, &reason), Outcome::kKept);
  EXPECT_EQ(Run(BaseJob(), R"({"id": 8, "ozone": 2})", &row, &reason), Outcome::kDuplicate);
  EXPECT_EQ(Run(BaseJob(), R"({"id": 9, "ozone": 2})", &row, &reason), Outcome::kKept);
  EXPECT_EQ(Run(BaseJob(), R"({"id": -1, "ozone": 1})", &row, &reason), Outcome::kKept);
  // Filtered records do not take a key.
  EXPECT_EQ(Run(BaseJob(), R"({"id": 10, "ozone": -5})", &row, &reason), Outcome::kFiltered);
  EXPECT_EQ(Run(BaseJob(), R"({"id": 10, "ozone": 5})", &row, &reason), Outcome::kKept);
}

TEST_F(PipelineTest, DeriveInfersTypesAndSeesEarlierDerivedColumns) {
  json job = BaseJob();
  job["transforms"] = json::array(
      {json{{"derive",
             {{"level", "CASE WHEN ozone > 50 THEN 'high' ELSE 'low' END"},
              {"double_ozone", "ozone * 2"},
              {"ratio", "ozone / 4"},
              {"when", {{"expression", "'2026-01-02T03:04:05Z'"}, {"type", "timestamp"}}}}}},
       json{{"derive", {{"note", "concat(level, '-', double_ozone)"}}}},
       json{{"filter", "note = 'high-120'"}}});
  job["target"]["partition_keys"] = json::array({"year"});
  Row row;
  std::string reason;
  ASSERT_EQ(Run(job, R"({"id": 1, "ozone": 60})", &row, &reason), Outcome::kKept) << reason;
  EXPECT_EQ(pipeline_->columns()[Col("level")].type, EtlType::kString);
  EXPECT_EQ(pipeline_->columns()[Col("double_ozone")].type, EtlType::kBigint);
  EXPECT_EQ(pipeline_->columns()[Col("ratio")].type, EtlType::kDouble);
  EXPECT_EQ(row[Col("ratio")].d, 15.0);
  EXPECT_EQ(row[Col("when")].kind, Cell::Kind::kTimestamp);
  EXPECT_EQ(row[Col("note")].s, "high-120");
  // Without apply_mapping the source table's columns and partition keys are the columns.
  EXPECT_EQ(row[Col("year")].s, "2026");
  EXPECT_EQ(Run(job, R"({"id": 1, "ozone": 10})", &row, &reason), Outcome::kFiltered);
}

TEST_F(PipelineTest, DeriveMakesStructsArraysAndMaps) {
  json job = BaseJob();
  job["transforms"][1] =
      json{{"derive",
            {{"pos", "{'lat': lat, 'ozone': ozone, 'at': ts}"},
             {"levels", "[ozone, id]"},
             {"given", {{"expression", "{'a': id}"}, {"type", "STRUCT<a:bigint,b:string>"}}},
             {"tags", {{"expression", "{'k': 'v'}"}, {"type", "map<string,string>"}}}}}};
  job["transforms"][2] = json{{"derive", {{"copy", "pos"}}}};
  job["transforms"][3] = json{{"filter", "pos.lat > 50 AND copy.ozone = 7"}};
  Row row;
  std::string reason;
  ASSERT_EQ(
      Run(job,
          R"({"id": 1, "ozone": 7, "pos": {"lat": 56.2}, "timestamp": "2026-11-30T14:02:11Z"})",
          &row, &reason),
      Outcome::kKept)
      << reason;
  auto type = [&](const std::string& name) { return HiveTypeOf(pipeline_->columns()[Col(name)]); };
  EXPECT_EQ(type("pos"), "struct<lat:double,ozone:double,at:timestamp>");
  EXPECT_EQ(type("levels"), "array<double>");
  EXPECT_EQ(type("given"), "struct<a:bigint,b:string>");
  EXPECT_EQ(type("tags"), "map<string,string>");
  EXPECT_EQ(type("copy"), type("pos"));
  EXPECT_EQ(row[Col("pos")].s, R"({"lat":56.2,"ozone":7,"at":"2026-11-30T14:02:11Z"})");
  EXPECT_EQ(row[Col("levels")].s, "[7,1]");
  EXPECT_EQ(row[Col("given")].s, R"({"a":1})");
  EXPECT_EQ(row[Col("copy")].s, row[Col("pos")].s);
  // A value that does not fit its type rejects the record, naming the column.
  ASSERT_EQ(Run(job, R"({"id": 2, "ozone": 7, "pos": {"lat": 56.2}, "timestamp": "2500 BC"})", &row,
                &reason),
            Outcome::kRejected);
  job["transforms"][1]["derive"]["given"]["expression"] = "{'a': 'one'}";
  ASSERT_EQ(Run(job, R"({"id": 3, "ozone": 7, "pos": {"lat": 56.2}})", &row, &reason),
            Outcome::kRejected);
  EXPECT_NE(reason.find("derived column given: "), std::string::npos) << reason;
  EXPECT_NE(reason.find("'a'"), std::string::npos) << reason;
  job["transforms"][1]["derive"]["given"]["expression"] = "'one'";
  ASSERT_EQ(Run(job, R"({"id": 4, "ozone": 7, "pos": {"lat": 56.2}})", &row, &reason),
            Outcome::kRejected);
  EXPECT_EQ(reason, "derived column given: expected struct<a:bigint,b:string>, got \"one\"");
  // What cannot be typed is refused when the job is compiled, naming the column.
  for (const auto& [expression, want] : std::vector<std::pair<std::string, std::string>>{
           {"[]",
            "$.transforms[1].derive.levels: an empty array has no element to type: give the "
            "column's type"},
           {"[1, 'a']",
            "$.transforms[1].derive.levels: the array's elements are of different types (bigint, "
            "string): give "
            "the column's type"},
           {"{}",
            "$.transforms[1].derive.levels: an empty object has no members to type: give the "
            "column's type"}}) {
    json bad = job;
    bad["transforms"][1]["derive"]["levels"] = expression;
    auto spec = ParseJobSpec(bad);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    auto p = Pipeline::Compile(*spec, {{"id", "bigint", ""}}, {"year", "month"});
    ASSERT_FALSE(p.ok()) << expression;
    EXPECT_EQ(p.status().message(), want);
  }
  json bad = job;
  bad["transforms"][1]["derive"]["given"]["type"] = "struct";
  EXPECT_EQ(ParseJobSpec(bad).status().message(),
            "$.transforms[1].derive.given.type: 'struct' needs its members (struct<...>): a "
            "derived column has no "
            "source type to take");
  bad["transforms"][1]["derive"]["given"]["type"] = "map<struct<a:int>,int>";
  auto spec = ParseJobSpec(bad);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto p = Pipeline::Compile(*spec, {{"id", "bigint", ""}}, {"year", "month"});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("$.transforms[1].derive.given.type: "), std::string::npos)
      << p.status().message();
}

// A date column: mapped from a date-time (its UTC day), seen by later expressions as
// YYYY-MM-DD, a partition value as that text.
TEST_F(PipelineTest, DateColumnsFromMappingsIntoExpressionsAndPartitions) {
  json job = BaseJob();
  job["transforms"] = json::array(
      {json{{"apply_mapping", {{"id", "bigint", "id", "bigint"}, {"timestamp", "string", "day", "date"}}}},
       json{{"derive", {{"y", "substring(day, 0, 4)"}}}},
       json{{"filter", "day <> '2026-11-29'"}}});
  job["target"]["partition_keys"] = json::array({"day"});
  Row row;
  std::string reason;
  ASSERT_EQ(Run(job, R"({"id": 1, "timestamp": "2026-11-30T23:30:00-01:00"})", &row, &reason), Outcome::kKept)
      << reason;
  EXPECT_EQ(pipeline_->columns()[Col("day")].type, EtlType::kDate);
  ASSERT_EQ(row[Col("day")].kind, Cell::Kind::kDate);
  EXPECT_EQ(CellText(row[Col("day")]), "2026-12-01");
  EXPECT_EQ(PartitionValueText(row[Col("day")]), "2026-12-01");
  EXPECT_EQ(row[Col("y")].s, "2026");
  EXPECT_EQ(Run(job, R"({"id": 2, "timestamp": "2026-11-29T12:00:00Z"})", &row, &reason), Outcome::kFiltered);
  EXPECT_EQ(Run(job, R"({"id": 3, "timestamp": "someday"})", &row, &reason), Outcome::kRejected);
  EXPECT_NE(reason.find("to date"), std::string::npos) << reason;
}

// An apply_mapping after a filter and a derive reads the columns so far, by name or by a
// path into a struct column, casts them, and its targets are the columns from there on.
TEST_F(PipelineTest, ApplyMappingAfterOtherTransformsReadsTheColumnsSoFar) {
  json job = BaseJob();
  job["transforms"] =
      json::array({json{{"filter", "ozone >= 0"}},
                   json{{"derive",
                         {{"pos", "{'lat': 56.5, 'site': 'north'}"},
                          {"at", {{"expression", "'2026-11-30T14:02:11Z'"}, {"type", "timestamp"}}},
                          {"price", {{"expression", "'12.345'"}, {"type", "decimal(6,3)"}}}}}},
                   json{{"apply_mapping",
                         {{"id", "bigint", "device", "string"},
                          {"ozone", "bigint", "ozone_ppb", "double"},
                          {"pos.lat", "double", "lat", "double"},
                          {"pos.site", "string", "site", "string"},
                          {"pos.missing", "string", "gone", "string"},
                          {"at", "timestamp", "day", "date"},
                          {"price", "decimal(6,3)", "price", "decimal(5,2)"},
                          {"year", "string", "year", "int"},
                          {"pos", "struct", "where", "struct"}}}},
                   json{{"derive", {{"twice", "ozone_ppb * 2"}}}}, json{{"dedupe", {"device"}}}});
  job["target"]["partition_keys"] = json::array({"year"});
  Row row;
  std::string reason;
  ASSERT_EQ(Run(job, R"({"id": 7, "ozone": 60, "extra": 1})", &row, &reason), Outcome::kKept)
      << reason;
  std::vector<std::string> names;
  for (const OutputColumn& c : pipeline_->columns()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"device", "ozone_ppb", "lat", "site", "gone", "day",
                                             "price", "year", "where", "twice"}));
  ASSERT_EQ(row.size(), names.size());
  EXPECT_EQ(row[Col("device")].kind, Cell::Kind::kString);
  EXPECT_EQ(row[Col("device")].s, "7");
  EXPECT_EQ(row[Col("ozone_ppb")].kind, Cell::Kind::kDouble);
  EXPECT_EQ(row[Col("ozone_ppb")].d, 60.0);
  EXPECT_EQ(row[Col("lat")].d, 56.5);
  EXPECT_EQ(row[Col("site")].s, "north");
  EXPECT_TRUE(row[Col("gone")].is_null());
  ASSERT_EQ(row[Col("day")].kind, Cell::Kind::kDate);
  EXPECT_EQ(CellText(row[Col("day")]), "2026-11-30");
  ASSERT_EQ(row[Col("price")].kind, Cell::Kind::kDecimal);
  EXPECT_EQ(CellText(row[Col("price")]), "12.35");  // rounded half away from zero
  EXPECT_EQ(row[Col("year")].kind, Cell::Kind::kInt);
  EXPECT_EQ(row[Col("year")].i, 2026);
  EXPECT_EQ(HiveTypeOf(pipeline_->columns()[Col("where")]), "struct<lat:double,site:string>");
  EXPECT_EQ(row[Col("where")].s, R"({"lat":56.5,"site":"north"})");
  EXPECT_EQ(row[Col("twice")].d, 120.0);  // a later derive sees the mapped names
  // The filter ran before the mapping, the dedupe after it, on the new column.
  EXPECT_EQ(Run(job, R"({"id": 8, "ozone": -1})", &row, &reason), Outcome::kFiltered);
  EXPECT_EQ(Run(job, R"({"id": 7, "ozone": 61})", &row, &reason), Outcome::kDuplicate);

  // A value the mapping cannot cast rejects its record, naming the mapping's source.
  job["transforms"][2]["apply_mapping"][1] =
      json::array({"ozone", "bigint", "ozone_ppb", "boolean"});
  ASSERT_EQ(Run(job, R"({"id": 9, "ozone": 1})", &row, &reason), Outcome::kRejected);
  EXPECT_EQ(reason.rfind("ozone: cannot convert number 1 to boolean", 0), 0u) << reason;
  // A struct target that the column's value does not fit rejects too.
  job["transforms"][2]["apply_mapping"][1] =
      json::array({"ozone", "bigint", "ozone_ppb", "struct<a:bigint>"});
  ASSERT_EQ(Run(job, R"({"id": 10, "ozone": 1})", &row, &reason), Outcome::kRejected);
  EXPECT_EQ(reason.rfind("ozone: ", 0), 0u) << reason;
}

TEST(PipelineCompileTest, ALaterApplyMappingNamesWhatIsNotThere) {
  auto compile_error = [](const json& transforms) {
    json job = BaseJob();
    job["transforms"] = transforms;
    job["target"]["partition_keys"] = json::array();
    auto spec = ParseJobSpec(job);
    if (!spec.ok()) return "spec: " + spec.status().message();
    auto p = Pipeline::Compile(*spec, {{"id", "bigint", ""}, {"ozone", "bigint", ""}}, {"year"});
    return p.ok() ? std::string("compiled") : p.status().message();
  };
  EXPECT_EQ(
      compile_error(json::array({json{{"filter", "ozone > 0"}},
                                 json{{"apply_mapping", {{"nope", "bigint", "x", "bigint"}}}}})),
      "$.transforms[1].apply_mapping[0][0]: no column 'nope' at this point (columns: id, "
      "ozone, year)");
  EXPECT_EQ(
      compile_error(json::array({json{{"filter", "ozone > 0"}},
                                 json{{"apply_mapping", {{"ozone.x", "bigint", "x", "bigint"}}}}})),
      "$.transforms[1].apply_mapping[0][0]: 'ozone' is a bigint column here; a path reads "
      "into a struct or map column");
  // A renamed column is gone for what follows.
  EXPECT_EQ(
      compile_error(json::array({json{{"apply_mapping", {{"ozone", "bigint", "o", "double"}}}},
                                 json{{"apply_mapping", {{"ozone", "double", "p", "double"}}}}})),
      "$.transforms[1].apply_mapping[0][0]: no column 'ozone' at this point (columns: o)");
  EXPECT_EQ(
      compile_error(json::array({json{{"drop_null_fields", {"ozone"}}},
                                 json{{"apply_mapping", {{"id", "bigint", "id", "bigint"}}}}})),
      "$.transforms[0].drop_null_fields[0]: 'ozone' is not a column of the output (a later "
      "apply_mapping leaves it out; columns: id)");
  // Two mappings in a row compile: the second reads the first's targets.
  EXPECT_EQ(
      compile_error(json::array({json{{"apply_mapping", {{"ozone", "bigint", "o", "double"}}}},
                                 json{{"apply_mapping", {{"o", "double", "p", "string"}}}}})),
      "compiled");
}

}  // namespace
}  // namespace tributary::lake
