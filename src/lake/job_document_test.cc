#include "lake/job_document.h"

#include <gtest/gtest.h>

#include "lake/etl_job.h"

namespace tributary::lake {
namespace {

using nlohmann::json;

// The job of issue 4, as JSON and as YAML.
constexpr const char* kJsonJob = R"json({"source": {"database": "iot", "table": "raw"},
 "transforms": [
   {"apply_mapping": [["ozone", "bigint", "ozone", "double"], ["timestamp", "string", "ts", "timestamp"]]},
   {"filter": "ozone >= 0"},
   {"derive": {"hour": "hour(ts)"}},
   {"dedupe": ["record_id"]}],
 "target": {"path": "curated/pollution/", "format": "parquet", "compression": "snappy",
            "partition_keys": ["year", "month", "day"], "database": "iot", "table": "pollution"}})json";

constexpr const char* kYamlJob = R"yaml(# the pollution job
source: {database: iot, table: raw}
transforms:
  - apply_mapping:
      - [ozone, bigint, ozone, double]
      - [timestamp, string, ts, timestamp]
  - filter: "ozone >= 0"
  - derive:
      hour: hour(ts)
  - dedupe: [record_id]
target:
  path: curated/pollution/
  format: parquet
  compression: snappy
  partition_keys: [year, month, day]
  database: iot
  table: pollution
)yaml";

TEST(JobDocument, YamlJobIsTheSameJsonValueAsTheJsonJob) {
  auto yaml = ParseJobDocument(kYamlJob, "job.yaml");
  ASSERT_TRUE(yaml.ok()) << yaml.status().message();
  auto js = ParseJobDocument(kJsonJob, "job.json");
  ASSERT_TRUE(js.ok()) << js.status().message();
  EXPECT_EQ(yaml->doc, js->doc) << yaml->doc.dump(1);
  EXPECT_TRUE(js->places.empty());

  auto spec = ParseJobSpec(yaml->doc);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->source_table, "raw");
  ASSERT_EQ(spec->transforms.size(), 4u);
  EXPECT_EQ(spec->transforms[0].mappings[1].target_type, EtlType::kTimestamp);
  EXPECT_EQ(spec->transforms[1].condition, "ozone >= 0");
  EXPECT_EQ(spec->target.partition_keys, (std::vector<std::string>{"year", "month", "day"}));
}

TEST(JobDocument, ScalarsFollowTheCoreSchema) {
  auto r = YamlToJson(R"(a: 12
b: -3.5
c: true
d: ~
e:
f: "12"
g: !!str 7
h: yes
i: 1e3
j: 'null'
k: 9223372036854775807
)",
                      "t.yml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->doc["a"], json(12));
  EXPECT_TRUE(r->doc["a"].is_number_integer());
  EXPECT_EQ(r->doc["b"], json(-3.5));
  EXPECT_EQ(r->doc["c"], json(true));
  EXPECT_TRUE(r->doc["d"].is_null());
  EXPECT_TRUE(r->doc["e"].is_null());
  EXPECT_EQ(r->doc["f"], json("12"));
  EXPECT_EQ(r->doc["g"], json("7"));
  EXPECT_EQ(r->doc["h"], json("yes"));
  EXPECT_EQ(r->doc["i"], json(1000.0));
  EXPECT_EQ(r->doc["j"], json("null"));
  EXPECT_EQ(r->doc["k"], json(INT64_MAX));
}

TEST(JobDocument, BadYamlNamesFileLineAndColumn) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"source: {database: iot\ntarget: x\n", "job.yaml line "},
      {"source:\n  database: iot\n database: x\n", "job.yaml line 3"},
      {"a: 1\na: 2\n", "job.yaml line 2, column 1 ($): key 'a' is given twice"},
      {"a: 99999999999999999999\n", "job.yaml line 1, column 4 ($.a): integer 99999999999999999999 is out of range"},
      {"a: .inf\n", "job.yaml line 1, column 4 ($.a): .inf has no JSON equivalent"},
      {"a: !!binary aGk=\n", "($.a): tag 'tag:yaml.org,2002:binary' is not supported"},
      {"? [x, y]\n: 1\n", "job.yaml line 1, column 3 ($): a mapping key must be a plain name"},
      {"a: 1\n---\nb: 2\n", "job.yaml line 2, column 1: a job file holds one YAML document"},
      {"", "job.yaml: the YAML file holds no document"},
  };
  for (const auto& c : cases) {
    auto r = YamlToJson(c.text, "job.yaml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << c.text << " -> " << r.status().message();
  }
}

TEST(JobDocument, ValidatorErrorsGetTheirYamlLine) {
  std::string text = kYamlJob;
  text.replace(text.find("\"ozone >= 0\""), 12, "\"ozone >=\"");
  auto doc = ParseJobDocument(text, "job.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  auto spec = ParseJobSpec(doc->doc);
  ASSERT_FALSE(spec.ok());
  ASSERT_EQ(spec.status().message().rfind("$.transforms[1].filter: ", 0), 0u) << spec.status().message();
  std::string located = LocateJobError(*doc, "job.yaml", spec.status().message());
  EXPECT_NE(located.find("(job.yaml line 7, column 13)"), std::string::npos) << located;

  // A path the YAML does not have (a missing field) falls back to its parent.
  auto missing = ParseJobDocument("source: {database: iot}\ntarget: {path: a/}\n", "j.yml");
  ASSERT_TRUE(missing.ok());
  auto bad = ParseJobSpec(missing->doc);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(LocateJobError(*missing, "j.yml", bad.status().message()),
            bad.status().message() + " (j.yml line 1, column 9)");
  // A JSON document's errors stay as they are.
  auto js = ParseJobDocument(kJsonJob, "job.json");
  ASSERT_TRUE(js.ok());
  EXPECT_EQ(LocateJobError(*js, "job.json", "$.source: x"), "$.source: x");
}

TEST(JobDocument, JsonByNameAndItsErrors) {
  EXPECT_TRUE(IsYamlFileName("a/b/JOB.YML"));
  EXPECT_TRUE(IsYamlFileName("job.yaml"));
  EXPECT_FALSE(IsYamlFileName("job.json"));
  EXPECT_FALSE(IsYamlFileName("yaml"));
  auto r = ParseJobDocument("source: x", "job.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("job.json is not valid JSON"), std::string::npos) << r.status().message();
  // A number no double holds is an error too, not an exception.
  r = ParseJobDocument(R"({"source": {"database": 1e999}})", "job.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("job.json is not valid JSON"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("1e999"), std::string::npos) << r.status().message();
}

TEST(JobDocument, YamlMustBeUtf8WithoutNul) {
  // NUL bytes make yaml-cpp read the text as UTF-32: refused, naming the line.
  auto r = YamlToJson(std::string("source: raw\nname: \x08\0\0\0x\n", 20), "job.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "job.yaml line 2: not UTF-8 text, or it holds a NUL byte");
  r = YamlToJson("a: 1\nb: 2\nc: \xff\n", "job.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "job.yaml line 3: not UTF-8 text, or it holds a NUL byte");
  // Escapes that make no JSON string: a NUL (a lone surrogate yaml-cpp refuses itself).
  for (const char* text : {"filter: \"a\\0b\"\n", "\"\\0\": 1\n"}) {
    r = YamlToJson(text, "job.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("job.yaml line 1"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("not UTF-8 text"), std::string::npos) << r.status().message();
  }
  r = YamlToJson("filter: \"\\ud800\"\n", "job.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("job.yaml line 1"), std::string::npos) << r.status().message();
  // Non-ASCII text is fine, written or escaped.
  r = YamlToJson("city: Zürich\nnote: \"\\u00e9t\\u00e9\"\n", "job.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->doc["city"], "Zürich");
  EXPECT_EQ(r->doc["note"], "été");
  EXPECT_EQ(r->doc.dump(), R"({"city":"Zürich","note":"été"})");
}

TEST(JobDocument, TextThatYamlCppWouldLoopOnIsAnError) {
  // yaml-cpp 0.7's LoadAll reads null documents from these for ever, allocating.
  for (const char* text : {",", ",t1", "a: 1\n,\n", "[a]\n,"}) {
    auto r = YamlToJson(text, "job.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("job.yaml line "), std::string::npos) << r.status().message();
  }
}

TEST(JobDocument, AliasesCannotBlowUp) {
  // Each level repeats the one before nine times: 9^9 values from ten lines.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 9; ++k) text += ", " + prev;
    text += "]\n";
  }
  auto r = YamlToJson(text, "job.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more than 100000 values"), std::string::npos) << r.status().message();
  // An alias inside what it names would nest for ever.
  r = YamlToJson("list: &l [1, 2, *l]\n", "job.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nest more than 64 levels"), std::string::npos) << r.status().message();
  // A few aliases, as people use them, are followed.
  r = YamlToJson("base: &b {database: iot, table: raw}\nsource: *b\n", "job.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->doc["source"]["table"], "raw");
}

}  // namespace
}  // namespace tributary::lake
