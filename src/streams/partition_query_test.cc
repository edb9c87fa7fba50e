// Partition keys from Firehose-style queries, and the partitioner reading them.
#include "streams/partition_query.h"

#include <gtest/gtest.h>

#include "streams/partitioner.h"

namespace tributary::streams {
namespace {

TEST(PartitionQueryTest, ParsesTheObjectPathsSubsetOfJq) {
  auto keys = ParsePartitionQuery(
      R"({device: .device.id, "model": .meta."hw-model", day : .["event day"], a_b: .x.y.z})");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 4u);
  EXPECT_EQ((*keys)[0].name, "device");
  EXPECT_EQ((*keys)[0].path, ".device.id");
  using Segments = std::vector<std::string>;
  EXPECT_EQ((*keys)[0].segments, (Segments{"device", "id"}));
  EXPECT_EQ((*keys)[1].name, "model");
  EXPECT_EQ((*keys)[1].segments, (Segments{"meta", "hw-model"}));
  EXPECT_EQ((*keys)[2].segments, (Segments{"event day"}));
  EXPECT_EQ((*keys)[3].segments, (Segments{"x", "y", "z"}));
  // Quoted and bracketed names are taken as they are, '/' and '~' included.
  auto quoted = ParsePartitionQuery(R"({k: ."a/b"."c~d", j: .a["b c"].d})");
  ASSERT_TRUE(quoted.ok()) << quoted.status().ToString();
  EXPECT_EQ((*quoted)[0].segments, (Segments{"a/b", "c~d"}));
  EXPECT_EQ((*quoted)[1].segments, (Segments{"a", "b c", "d"}));
  EXPECT_TRUE(ParsePartitionQuery("")->empty());
}

TEST(PartitionQueryTest, ErrorsNameThePosition) {
  const std::pair<const char*, const char*> cases[] = {
      {"device: .device", "partition_query: expected '{' to start the query at position 0"},
      {"{}", "partition_query: the query names no key at position 2"},
      {"{device .device}", "partition_query: expected ':' after 'device' at position 8"},
      {"{device: device}", "partition_query: expected a path such as .device.id at position 9"},
      {"{d: .a | sub(\"x\"; \"y\")}",
       "partition_query: unknown filter 'sub' (supported: "
       "strftime(\"fmt\"), fromdateiso8601, fromdate, todateiso8601, "
       "todate, floor, tostring, ascii_downcase, ascii_upcase, and / N "
       "after the path) at position 9"},
      {"{d: .a | strftime}",
       "partition_query: expected (\"format\") after strftime at position 17"},
      {"{d: .a | strftime(%Y)}", "partition_query: expected a \"format\" string at position 18"},
      {"{d: .a / 0}",
       "partition_query: expected a number above 0 to divide by after '/' at position 9"},
      {"{d: .a |}", "partition_query: expected a filter after '|' at position 8"},
      {"{d: .a x}",
       "partition_query: expected ',', '}' or '| filter' after a key's path at position 7"},
      {"{d: .a, d: .b}", "partition_query: key 'd' at position 8 is named twice"},
      {"{d: .a} x", "partition_query: unexpected text after the closing '}' at position 8"},
      {"{d: .\"a}", "partition_query: unterminated string starting at position 5"},
      {"{d: .[a]}", "partition_query: expected \"name\" after '.[' at position 6"},
  };
  for (const auto& [query, want] : cases) {
    auto r = ParsePartitionQuery(query);
    ASSERT_FALSE(r.ok()) << query;
    EXPECT_EQ(r.status().message(), want) << query;
  }
}

TEST(PartitionQueryTest, FiltersFollowThePath) {
  auto keys = ParsePartitionQuery(
      R"({year: .event_timestamp|strftime("%Y"), day: .ts / 1000 | strftime("%Y-%m-%d"), site: .site})");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].path, ".event_timestamp");
  ASSERT_EQ((*keys)[0].filters.size(), 1u);
  EXPECT_EQ((*keys)[0].filters[0].kind, PartitionFilter::Kind::kStrftime);
  EXPECT_EQ((*keys)[0].filters[0].format, "%Y");
  ASSERT_EQ((*keys)[1].filters.size(), 2u);
  EXPECT_EQ((*keys)[1].filters[0].kind, PartitionFilter::Kind::kDivide);
  EXPECT_EQ((*keys)[1].filters[0].divisor, 1000);
  EXPECT_TRUE((*keys)[2].filters.empty());
}

TEST(PartitionerTest, FiltersMakeKeysOfTheEventsTime) {
  Partitioner p(*ResolvePartitionKeys(
      R"({year: .event_timestamp | strftime("%Y"), day: .ts_ms / 1000 | strftime("%Y-%m-%d"),
          hour: .time | fromdateiso8601 | strftime("%H"), site: .site | ascii_downcase,
          iso: .event_timestamp | todate, n: .n / 10 | floor | tostring})",
      {"year", "day", "hour", "site", "iso", "n"}));
  // 1796398200 is 2026-12-04T15:30:00Z.
  auto v = p.Extract(R"({"event_timestamp": 1796398200, "ts_ms": 1796398200123,
                         "time": "2026-12-04T15:30:00.250Z", "site": "North-7", "n": 47})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (std::vector<std::string>{"2026", "2026-12-04", "15", "north-7",
                                          "2026-12-04T15:30:00Z", "4"}));
  // A value of the wrong kind is refused naming the key, its query and the value.
  EXPECT_EQ(
      p.Extract(R"({"event_timestamp": "2026", "ts_ms": 1, "time": "2026-12-04T15:30:00Z",
                          "site": "n", "n": 1})")
          .status()
          .message(),
      "key 'year' (.event_timestamp | strftime(\"%Y\")): strftime(\"%Y\") needs a number, got the "
      "string '2026'");
  EXPECT_EQ(p.Extract(R"({"event_timestamp": 1, "ts_ms": 1, "time": "2026-12-04 15:30",
                          "site": "n", "n": 1})")
                .status()
                .message(),
            "key 'hour' (.time | fromdateiso8601 | strftime(\"%H\")): fromdateiso8601 of "
            "'2026-12-04 15:30': expected YYYY-MM-DDTHH:MM:SSZ");
  EXPECT_EQ(
      p.Extract(R"({"event_timestamp": 1, "ts_ms": 1, "time": "2026-12-04T15:30:00Z",
                          "site": 5, "n": 1})")
          .status()
          .message(),
      "key 'site' (.site | ascii_downcase): ascii_downcase needs a string, got the number '5'");
  // A format that makes a folder is refused as any value with '/' is.
  Partitioner slash(*ResolvePartitionKeys(R"({d: .t | strftime("%Y/%m")})", {"d"}));
  EXPECT_NE(slash.Extract(R"({"t": 0})").status().message().find("contains '/'"),
            std::string::npos);
}

TEST(PartitionQueryTest, ResolvesThePrefixNames) {
  auto top = ResolvePartitionKeys("", {"device"});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ((*top)[0].segments, std::vector<std::string>{"device"});
  auto from_query = ResolvePartitionKeys("{site: .loc.site, device: .device.id}", {"device", "site"});
  ASSERT_TRUE(from_query.ok());
  EXPECT_EQ((*from_query)[0].path, ".device.id");
  EXPECT_EQ((*from_query)[1].path, ".loc.site");
  auto missing = ResolvePartitionKeys("{site: .loc.site}", {"device"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "prefix: partitionKeyFromQuery:device is not a key of `partition_query` (its keys: "
            "site)");
}

// A key of the query the prefix does not use would be extracted for nothing (a typo of the
// name the prefix meant, or a prefix left without the key): refused, naming each such key
// and the names the prefix does use.
TEST(PartitionQueryTest, EveryKeyOfTheQueryMustBeUsedByThePrefix) {
  EXPECT_TRUE(CheckQueryKeysUsed("{site: .loc.site, device: .device.id}", {"device", "site"}).ok());
  EXPECT_TRUE(CheckQueryKeysUsed("", {"device"}).ok());
  EXPECT_TRUE(CheckQueryKeysUsed("", {}).ok());
  EXPECT_EQ(CheckQueryKeysUsed("{d: .a}", {}).message(),
            "partition_query: key d is not used by `prefix` (it uses no partitionKeyFromQuery): "
            "each key of the query must be in the prefix as !{partitionKeyFromQuery:<key>}");
  EXPECT_EQ(CheckQueryKeysUsed("{site: .site, x: .x, dev: .dev}", {"dev", "dev"}).message(),
            "partition_query: keys site, x are not used by `prefix` (its partitionKeyFromQuery "
            "names: dev): each key of the query must be in the prefix as "
            "!{partitionKeyFromQuery:<key>}");
  // The query's own errors come first.
  EXPECT_EQ(CheckQueryKeysUsed("{}", {}).message(),
            "partition_query: the query names no key at position 2");
}

TEST(PartitionerTest, ReadsNestedValuesAndSaysWhatIsMissing) {
  Partitioner p(*ResolvePartitionKeys("{device: .device.id, site: .loc.site}", {"device", "site"}));
  auto v = p.Extract(R"({"loc": {"site": "north"}, "device": {"id": "s-7", "fw": 3}, "t": 1})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (std::vector<std::string>{"s-7", "north"}));
  // Numbers and booleans as jq prints them; the next record is read from the top again.
  v = p.Extract(R"({"device": {"id": 42}, "loc": {"site": true}})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (std::vector<std::string>{"42", "true"}));
  EXPECT_EQ(p.Extract(R"({"device": {"fw": 3}, "loc": {"site": "n"}})").status().message(),
            "key 'device' (.device.id) is missing");
  EXPECT_EQ(p.Extract(R"({"device": "flat", "loc": {"site": "n"}})").status().message(),
            "key 'device' (.device.id) is missing");
  EXPECT_EQ(p.Extract(R"({"device": {"id": "a/b"}, "loc": {"site": "n"}})").status().message(),
            "key 'device' (.device.id) value 'a/b' contains '/' or a control character, not "
            "usable in a key");
  EXPECT_EQ(p.Extract(R"([1, 2])").status().message(), "record is not a JSON object");
  // Without a query: top-level fields, as before.
  Partitioner top(*ResolvePartitionKeys("", {"device"}));
  EXPECT_EQ(*top.Extract(R"({"device": "s1"})"), (std::vector<std::string>{"s1"}));
  EXPECT_EQ(top.Extract(R"({"x": 1})").status().message(), "field 'device' is missing");
}

// Firehose runs jq 1.6, so a key made of a number is the number as jq prints it, with a
// query or without, whatever the record's spelling (expected values: jq 1.6's output).
TEST(PartitionerTest, PrintsNumbersAsJqDoes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1", "1"},
      {"100", "100"},
      {"1.0", "1"},
      {"1e2", "100"},
      {"1E+2", "100"},
      {"10.50", "10.5"},
      {"-7", "-7"},
      {"-0", "-0"},
      {"-0.0", "-0"},
      {"0.5", "0.5"},
      {"0.0001", "0.0001"},
      {"0.00015", "0.00015"},
      {"1e-5", "1e-05"},
      {"5e-324", "5e-324"},
      {"123456789012345", "123456789012345"},
      {"1e15", "1000000000000000"},
      {"1e16", "1e+16"},
      {"1e17", "1e+17"},
      {"123456789012345678", "123456789012345680"},
      {"1152921504606846976", "1152921504606847000"},
      {"9007199254740993", "9007199254740992"},
      {"1.5e300", "1.5e+300"},
      {"1e1000", "1.7976931348623157e+308"},
      {"-1e1000", "-1.7976931348623157e+308"},
      {"1e-1000", "0"},
      {"-1e-1000", "-0"},
  };
  Partitioner field(*ResolvePartitionKeys("", {"device"}));
  Partitioner query(*ResolvePartitionKeys("{device: .device | tostring}", {"device"}));
  for (const auto& [json, jq] : cases) {
    const std::string record = R"({"device": )" + json + "}";
    auto from_field = field.Extract(record);
    ASSERT_TRUE(from_field.ok()) << json << ": " << from_field.status().ToString();
    EXPECT_EQ(*from_field, std::vector<std::string>{jq}) << json;
    auto from_query = query.Extract(record);
    ASSERT_TRUE(from_query.ok()) << json << ": " << from_query.status().ToString();
    EXPECT_EQ(*from_query, std::vector<std::string>{jq}) << json;
  }
}

// jq keeps the last of an object's repeated names; simdjson's pointer lookup found the
// first.
TEST(PartitionerTest, ARepeatedNameTakesItsLastValueAsJqDoes) {
  Partitioner field(*ResolvePartitionKeys("", {"device"}));
  EXPECT_EQ(*field.Extract(R"({"device":"first","device":"second"})"),
            std::vector<std::string>{"second"});
  EXPECT_EQ(*field.Extract(R"({"device":"first","t":1,"device":2.50})"),
            std::vector<std::string>{"2.5"});
  // The last value counts even when it cannot be a key.
  EXPECT_EQ(field.Extract(R"({"device":"first","device":null})").status().message(),
            "field 'device' is null, an object or an array, not a key value");
  // A name that appears again, but not as a name of the object, is no repeat.
  EXPECT_EQ(*field.Extract(R"({"kind":"device","device":"d1","x":{"device":"d2"}})"),
            std::vector<std::string>{"d1"});
  // Names are compared as jq reads them, escapes undone.
  EXPECT_EQ(*field.Extract(R"({"\u0064evice":"s1"})"), std::vector<std::string>{"s1"});

  Partitioner nested(*ResolvePartitionKeys("{id: .device.id}", {"id"}));
  EXPECT_EQ(*nested.Extract(R"({"device":{"id":"a","id":"b"},"device":{"id":"c"}})"),
            std::vector<std::string>{"c"});
  EXPECT_EQ(*nested.Extract(R"({"device":{"id":"a","id":"b"},"x":{"id":"c"}})"),
            std::vector<std::string>{"b"});
  // A later "device" without the id hides the earlier one's, as in jq.
  EXPECT_EQ(nested.Extract(R"({"device":{"id":"a"},"device":{"fw":1}})").status().message(),
            "key 'id' (.device.id) is missing");
  EXPECT_EQ(nested.Extract(R"({"device":{"id":"a"},"device":"flat"})").status().message(),
            "key 'id' (.device.id) is missing");
}

}  // namespace
}  // namespace tributary::streams
