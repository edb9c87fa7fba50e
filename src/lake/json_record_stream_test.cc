#include "lake/json_record_stream.h"

#include <gtest/gtest.h>

#include <random>

#include "lake/json_records.h"

namespace tributary::lake {
namespace {

// What a value came out as: "<offset>@<line> <minified JSON or error: text>".
std::string Describe(const JsonRecord& r, size_t line) {
  std::string out = std::to_string(r.offset) + "@" + std::to_string(line) + " ";
  if (!r.error.empty()) return out + "error: " + std::string(r.text);
  return out + simdjson::minify(r.value);
}

struct Result {
  std::vector<std::string> values;
  std::string status;  // "" or the framing error
};

Result Stream(std::string_view text, JsonRecordStream* records) {
  Result out;
  Status st = records->ForEach(text, [&](const JsonRecord& r) {
    out.values.push_back(Describe(r, records->LineOf(r.offset)));
    return true;
  });
  if (!st.ok()) out.status = st.message();
  return out;
}

// The reference: frame, then parse each record from its own padded copy.
Result PerRecord(std::string_view text) {
  Result out;
  simdjson::dom::parser parser;
  Status st = SplitJsonRecords(text, [&](std::string_view record, RecordPosition pos) {
    simdjson::padded_string copy(record);
    JsonRecord r;
    r.offset = pos.offset;
    r.text = record;
    auto error = parser.parse(copy).get(r.value);
    if (error) r.error = simdjson::error_message(error);
    out.values.push_back(Describe(r, pos.line));
    return true;
  });
  if (!st.ok()) out.status = st.message();
  return out;
}

void ExpectSameAsPerRecord(std::string_view text, size_t batch_bytes = JsonRecordStream::kDefaultBatchBytes) {
  JsonRecordStream records(batch_bytes);
  Result got = Stream(text, &records);
  Result want = PerRecord(text);
  EXPECT_EQ(got.values, want.values) << "text: " << text;
  EXPECT_EQ(got.status, want.status) << "text: " << text;
}

std::string Lines(int n, const char* separator = "\n") {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += "{\"device\":\"sensor-" + std::to_string(i % 7) + "\",\"seq\":" + std::to_string(i) +
           ",\"temperature\":" + std::to_string(i % 40) + ".5}" + separator;
  }
  return out;
}

TEST(JsonRecordStream, JsonLinesAreParsedInOnePass) {
  std::string text = Lines(2000);
  JsonRecordStream records;
  Result got = Stream(text, &records);
  ASSERT_EQ(got.values.size(), 2000u);
  EXPECT_EQ(got.values[1999].substr(0, got.values[1999].find(' ')),
            std::to_string(text.rfind("{\"device\"")) + "@2000");
  EXPECT_LT(records.fallback_values(), 10u);  // at most the last records, from the padded copy
  ExpectSameAsPerRecord(text);
}

TEST(JsonRecordStream, EveryFramingGivesWhatThePerRecordPathGives) {
  for (const char* separator : {"\n", "\r\n", "", " ", ",", ",\n"}) {
    SCOPED_TRACE(std::string("separator ") + separator);
    ExpectSameAsPerRecord(Lines(300, separator));
    ExpectSameAsPerRecord("\xEF\xBB\xBF" + Lines(300, separator));
  }
  ExpectSameAsPerRecord("[" + Lines(300, ",") + "{\"last\":1}]");  // one array of records
  ExpectSameAsPerRecord("");
  ExpectSameAsPerRecord(" \n\n ");
  ExpectSameAsPerRecord("{\"a\":1}");
  ExpectSameAsPerRecord("{\n  \"a\": [1,\n 2],\n  \"b\": {\"c\": \"}{\"}\n}\n" + Lines(100) + "{\n\"x\":\n1\n}\n");
}

TEST(JsonRecordStream, ABadRecordIsNamedByItsLineAndTheOthersAreRead) {
  std::string text = Lines(500) + "{\"device\":\"x\",\"seq\":}\n" + Lines(500) + "42\n{\"s\":\"a b\"}\n" + Lines(50);
  JsonRecordStream records;
  Result got = Stream(text, &records);
  ASSERT_EQ(got.values.size(), 1053u);
  EXPECT_EQ(got.values[500].substr(got.values[500].find('@'), 10), "@501 error");
  EXPECT_EQ(got.values[1001].substr(got.values[1001].find('@')), "@1002 42");
  ExpectSameAsPerRecord(text);
}

TEST(JsonRecordStream, ABadFirstRecordSpoilsNoOther) {
  // The stream fails before it delivers anything; the records after the bad one are
  // still valid (once, the stream's parser refused them all as too big).
  for (size_t batch : {size_t{64}, size_t{1024}, JsonRecordStream::kDefaultBatchBytes}) {
    SCOPED_TRACE(batch);
    JsonRecordStream records(batch);
    Result got = Stream("{\"a\">1}\n{\"a\":1}\n{\"a\":2}\n", &records);
    EXPECT_EQ(got.values, (std::vector<std::string>{"0@1 error: {\"a\">1}", "8@2 {\"a\":1}", "16@3 {\"a\":2}"}));
    ExpectSameAsPerRecord("{\"a\">1}{\"a\":1}{\"a\":6}", batch);
    ExpectSameAsPerRecord("not json\n" + Lines(20), batch);
  }
}

TEST(JsonRecordStream, AMalformedValueIsRejectedWholeWhateverFollowsIt) {
  // Parsed in place, the stream once took the first value for {"device_id":"s1"} and
  // went on inside it, because of the text after the part it parses.
  // 102 bytes: the part parsed in place ends after the first line.
  std::string text =
      "{\"device_id\":\"s1\"\"l`\":{\"lat\":1}}\n}{}5},\"tags\":[\"a\",\"b\"]}\n"
      "{\"device_id\":\"s2\",\"pm25\":40,\"pos\":{\"lat\":1}}\n";
  ASSERT_EQ(text.size(), 102u);
  for (size_t batch : {size_t{64}, size_t{1024}, JsonRecordStream::kDefaultBatchBytes}) {
    SCOPED_TRACE(batch);
    ExpectSameAsPerRecord(text, batch);
    JsonRecordStream records(batch);
    Result got = Stream(text, &records);
    ASSERT_FALSE(got.values.empty());
    EXPECT_EQ(got.values[0], "0@1 error: {\"device_id\":\"s1\"\"l`\":{\"lat\":1}}");
  }
}

TEST(JsonRecordStream, AnUnquotedMemberAfterAKeyIsRejectedAsThePerRecordPathRejectsIt) {
  // Found by lake_records_fuzz: a key without its colon, then a stray '}' and a line that
  // starts inside no value.
  std::string text =
      "{\"device_id\"1}}\n:\"s1\",\"pm25\":35.2,\"ts\":\"2025-11-^2:11Z\",\"pos\":{\"lat\":48.85,"
      "\"lon\":2.35},\"tags\":[\"a\",\"b\"]}\n{\"dd\":\"s2\",\"pm25\":40,\"po\":{\"!bt\":1}}\n";
  for (size_t batch : {size_t{64}, size_t{1024}, JsonRecordStream::kDefaultBatchBytes}) {
    SCOPED_TRACE(batch);
    ExpectSameAsPerRecord(text, batch);
  }
}

TEST(JsonRecordStream, NumbersSimdjsonCannotReadKeepTheirRecords) {
  // After such a record the stream goes on record by record, and still reads each.
  std::string text = "{\"a\":1}\n{\"a\":1e400,\"b\":[18446744073709551616]}\n{\"a\":2}\n";
  JsonRecordStream records;
  std::vector<std::string> read;
  ASSERT_TRUE(records
                  .ForEach(text,
                           [&](const JsonRecord& r) {
                             read.push_back(r.error.empty() ? simdjson::minify(r.value)
                                                            : "error: " + std::string(r.error));
                             return true;
                           })
                  .ok());
  EXPECT_EQ(read, (std::vector<std::string>{
                      R"({"a":1})", R"({"a":null,"b":[1.8446744073709552e+19]})", R"({"a":2})"}));
}

TEST(JsonRecordStream, AnUnclosedLastValueIsAFramingError) {
  std::string text = Lines(400) + "{\"device\":\"x\",\"seq\":1\n";
  JsonRecordStream records;
  Result got = Stream(text, &records);
  EXPECT_EQ(got.values.size(), 400u);
  EXPECT_NE(got.status.find("line 401"), std::string::npos) << got.status;
  ExpectSameAsPerRecord(text);
  ExpectSameAsPerRecord(Lines(400) + "{\"s\":\"never closed}\n" + Lines(3));
}

TEST(JsonRecordStream, RecordsLongerThanABatchAndBatchBoundaries) {
  std::string big = "{\"blob\":\"" + std::string(5000, 'x') + "\"}\n";
  ExpectSameAsPerRecord(Lines(100) + big + Lines(100), 4096);
  for (size_t batch : {size_t{64}, size_t{100}, size_t{1000}, size_t{4096}}) {
    SCOPED_TRACE(batch);
    ExpectSameAsPerRecord(Lines(200), batch);
    ExpectSameAsPerRecord(Lines(200, ""), batch);
  }
}

TEST(JsonRecordStream, StopsWhenAskedTo) {
  std::string text = Lines(1000);
  JsonRecordStream records;
  int seen = 0;
  ASSERT_TRUE(records.ForEach(text, [&](const JsonRecord&) { return ++seen < 10; }).ok());
  EXPECT_EQ(seen, 10);
}

TEST(JsonRecordStream, RandomMixturesAgreeWithThePerRecordPath) {
  const std::vector<std::string> pieces = {
      "{\"a\":1}", "{\"a\":[1,{\"b\":\"}\"}]}", "[{\"c\":2},{\"d\":3}]", "\n", "\r\n", " ", ",", "42",
      "\"str\"", "{\"bad\":}", "{\"s\":\"\\\"{\"}", "]", "{\"u\":\"\xC3\xA9\"}", "{\"x\":\"\xFF\"}", "tru",
      "{\n\"p\":\n2}", "null", "{}", "[]"};
  std::mt19937 rng(7);
  for (int round = 0; round < 400; ++round) {
    std::string text;
    int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      // Mostly good records, so that the stream has long runs to parse.
      text += rng() % 3 ? Lines(1) : pieces[rng() % pieces.size()];
    }
    if (rng() % 4 == 0) text += "{\"open\":";
    ExpectSameAsPerRecord(text, rng() % 2 ? 64 : JsonRecordStream::kDefaultBatchBytes);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace tributary::lake
