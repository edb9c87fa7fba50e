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
  EXPECT_EQ((*keys)[0].pointer, "/device/id");
  EXPECT_EQ((*keys)[1].name, "model");
  EXPECT_EQ((*keys)[1].pointer, "/meta/hw-model");
  EXPECT_EQ((*keys)[2].pointer, "/event day");
  EXPECT_EQ((*keys)[3].pointer, "/x/y/z");
  // '~' and '/' in a name are escaped for the JSON Pointer.
  auto escaped = ParsePartitionQuery(R"({k: ."a/b"."c~d", j: .a["b c"].d})");
  ASSERT_TRUE(escaped.ok()) << escaped.status().ToString();
  EXPECT_EQ((*escaped)[0].pointer, "/a~1b/c~0d");
  EXPECT_EQ((*escaped)[1].pointer, "/a/b c/d");
  EXPECT_TRUE(ParsePartitionQuery("")->empty());
}

TEST(PartitionQueryTest, ErrorsNameThePosition) {
  const std::pair<const char*, const char*> cases[] = {
      {"device: .device", "partition_query: expected '{' to start the query at position 0"},
      {"{}", "partition_query: the query names no key at position 2"},
      {"{device .device}", "partition_query: expected ':' after 'device' at position 8"},
      {"{device: device}", "partition_query: expected a path such as .device.id (jq functions "
                           "and filters are not supported) at position 9"},
      {"{d: .a | ascii_downcase}", "partition_query: expected ',' or '}' after a key's path at "
                                   "position 7"},
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

TEST(PartitionQueryTest, ResolvesThePrefixNames) {
  auto top = ResolvePartitionKeys("", {"device"});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ((*top)[0].pointer, "/device");
  auto from_query = ResolvePartitionKeys("{site: .loc.site, device: .device.id}", {"device", "site"});
  ASSERT_TRUE(from_query.ok());
  EXPECT_EQ((*from_query)[0].path, ".device.id");
  EXPECT_EQ((*from_query)[1].path, ".loc.site");
  auto missing = ResolvePartitionKeys("{site: .loc.site}", {"device"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "prefix: partitionKeyFromQuery:device is not a key of partition_query (its keys: "
            "site)");
}

TEST(PartitionerTest, ReadsNestedValuesAndSaysWhatIsMissing) {
  Partitioner p(*ResolvePartitionKeys("{device: .device.id, site: .loc.site}", {"device", "site"}));
  auto v = p.Extract(R"({"loc": {"site": "north"}, "device": {"id": "s-7", "fw": 3}, "t": 1})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (std::vector<std::string>{"s-7", "north"}));
  // Numbers and booleans as their JSON text; the next record is read from the top again.
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

}  // namespace
}  // namespace tributary::streams
