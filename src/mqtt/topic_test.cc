// Topic names, filters and matching (spec 4.7), as tables of examples.
#include "mqtt/topic.h"

#include <gtest/gtest.h>

#include <string>

#include "mqtt/utf8.h"

namespace tributary::mqtt {
namespace {

struct MatchCase {
  const char* filter;
  const char* topic;
  bool matches;
};

const MatchCase kMatchCases[] = {
    // The examples of topic.h.
    {"sport/tennis/#", "sport/tennis", true},
    {"sport/tennis/#", "sport/tennis/p1/r", true},
    {"sport/+", "sport/", true},
    {"sport/+", "sport", false},
    {"+/+", "/finance", true},
    {"#", "$SYS/broker/uptime", false},
    {"$SYS/#", "$SYS/broker/uptime", true},
    // Spec 4.7.1.2 and 4.7.1.3.
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/#", "sport", true},
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player2", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"+", "sport", true},
    {"+", "/sport", false},
    {"/+", "/finance", true},
    {"+/tennis/#", "sport/tennis/x", true},
    {"+/tennis/#", "sport/tennis", true},
    {"+/tennis/#", "sport/golf", false},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
    {"+", "$SYS", false},
    // Exact names, prefixes and empty levels.
    {"a/b/c", "a/b/c", true},
    {"a/b/c", "a/b", false},
    {"a/b", "a/b/c", false},
    {"a/b", "a/bc", false},
    {"a/bc", "a/b", false},
    {"a", "A", false},
    {"a//b", "a//b", true},
    {"a/+/b", "a//b", true},
    {"a/+", "a/", true},
    {"a/", "a/", true},
    {"a/", "a", false},
    {"a/", "a/b", false},
    {"/", "/", true},
    {"+/+", "/", true},
    {"#", "/", true},
    {"/#", "/", true},
    {"/#", "a", false},
    {"+/#", "a", true},
    {"+/#", "a/b/c", true},
    {"#", "a/b/c", true},
    {"a/#", "a", true},
    {"a/#", "ab", false},
    {"a/#", "b/a", false},
    {"+/+/+", "a/b", false},
    {"+/+/+", "a/b/c", true},
    {"+/b/+", "a/b/c", true},
    {"+/b/+", "a/x/c", false},
    // '$' only matters in the first level.
    {"a/+", "a/$x", true},
    {"$x", "$x", true},
    {"$share", "$share", true},
    // UTF-8 levels compare byte for byte.
    {"capteurs/température", "capteurs/température", true},
    {"capteurs/+", "capteurs/température", true},
};

TEST(TopicMatchesTest, Table) {
  for (const auto& c : kMatchCases) {
    EXPECT_EQ(TopicMatches(c.filter, c.topic), c.matches)
        << "filter '" << c.filter << "' topic '" << c.topic << "'";
  }
}

TEST(TopicMatchesTest, EveryMatchCaseUsesValidInputs) {
  for (const auto& c : kMatchCases) {
    EXPECT_TRUE(IsValidTopicFilter(c.filter)) << c.filter;
    EXPECT_TRUE(IsValidTopicName(c.topic)) << c.topic;
  }
}

TEST(TopicMatchesTest, FilterWithoutWildcardsMatchesOnlyItself) {
  const char* names[] = {"a", "a/b", "a/b/", "/a", "//", "$SYS/x", "a/b/c/d/e/f"};
  for (const char* f : names) {
    for (const char* t : names) {
      EXPECT_EQ(TopicMatches(f, t), std::string(f) == t) << f << " vs " << t;
    }
  }
}

TEST(TopicNameTest, Validity) {
  EXPECT_TRUE(IsValidTopicName("a"));
  EXPECT_TRUE(IsValidTopicName("/"));
  EXPECT_TRUE(IsValidTopicName("$SYS/broker"));
  EXPECT_TRUE(IsValidTopicName("a b/ç/日本"));
  EXPECT_TRUE(IsValidTopicName(std::string(65535, 'x')));
  EXPECT_FALSE(IsValidTopicName(std::string(65536, 'x')));
  EXPECT_FALSE(IsValidTopicName(""));
  EXPECT_FALSE(IsValidTopicName("a/+"));
  EXPECT_FALSE(IsValidTopicName("a/#"));
  EXPECT_FALSE(IsValidTopicName("a+b"));
  EXPECT_FALSE(IsValidTopicName(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidTopicName("a\xff"));
}

TEST(TopicFilterTest, Validity) {
  struct Case {
    const char* filter;
    bool valid;
  } cases[] = {
      {"#", true},
      {"+", true},
      {"a/#", true},
      {"+/+/#", true},
      {"/+", true},
      {"a//+", true},
      {"$SYS/#", true},
      {"sport/tennis#", false},
      {"sport/tennis/#/ranking", false},
      {"sport+", false},
      {"+a", false},
      {"a/+b/c", false},
      {"##", false},
      {"#/", false},
      {"", false},
      {"$share/g/a/+", true},
      {"$share/g/#", true},
      {"$share/g//", true},
      {"$share/g/", false},
      {"$share/g", false},
      {"$share//a", false},
      {"$share/g+/a", false},
      {"$share/g#/a", false},
      {"$share/g/a#", false},
      {"$share", true},
      {"$sharex/g/a", true},
      {"a\xc3", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsValidTopicFilter(c.filter), c.valid) << "'" << c.filter << "'";
  }
  EXPECT_FALSE(IsValidTopicFilter(std::string("a\0", 2)));
  EXPECT_TRUE(IsValidTopicFilter(std::string(65535, 'a')));
  EXPECT_FALSE(IsValidTopicFilter(std::string(65536, 'a')));
}

TEST(SharedFilterTest, Parse) {
  auto s = ParseSharedFilter("$share/g/a/+");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->group, "g");
  EXPECT_EQ(s->filter, "a/+");
  s = ParseSharedFilter("$share/consumers/#");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->group, "consumers");
  EXPECT_EQ(s->filter, "#");
  EXPECT_FALSE(ParseSharedFilter("a/+"));
  EXPECT_FALSE(ParseSharedFilter("$share"));
  EXPECT_FALSE(ParseSharedFilter("$share/g"));
  EXPECT_FALSE(ParseSharedFilter("$SHARE/g/a"));
  EXPECT_FALSE(ParseSharedFilter("$share//a"));
}

TEST(Utf8Test, Validity) {
  struct Case {
    std::string s;
    bool valid;
  } cases[] = {
      {"", true},
      {"plain ascii text that is longer than eight bytes", true},
      {"\x01\x1f\x7f", true},         // control characters: SHOULD NOT, allowed
      {"\xc2\x80", true},             // U+0080
      {"\xdf\xbf", true},             // U+07FF
      {"\xe0\xa0\x80", true},         // U+0800
      {"\xed\x9f\xbf", true},         // U+D7FF
      {"\xee\x80\x80", true},         // U+E000
      {"\xef\xbb\xbf", true},         // U+FEFF (BOM), must not be stripped
      {"\xef\xbf\xbf", true},         // U+FFFF
      {"\xf0\x90\x80\x80", true},     // U+10000
      {"\xf4\x8f\xbf\xbf", true},     // U+10FFFF
      {std::string("\0", 1), false},  // U+0000
      {std::string("abcdefgh\0", 9), false},
      {std::string("abcdefghijklmno\0p", 17), false},
      {"\xc0\x80", false},          // overlong U+0000
      {"\xc1\xbf", false},          // overlong
      {"\xe0\x9f\xbf", false},      // overlong
      {"\xf0\x8f\xbf\xbf", false},  // overlong
      {"\xed\xa0\x80", false},      // U+D800
      {"\xed\xbf\xbf", false},      // U+DFFF
      {"\xf4\x90\x80\x80", false},  // U+110000
      {"\xf5\x80\x80\x80", false},
      {"\xff", false},
      {"\x80", false},  // lone continuation
      {"\xc3", false},  // truncated
      {"\xe2\x82", false},
      {"\xf0\x9f\x98", false},
      {"\xc3\x28", false},  // bad continuation
      {"\xe2\x28\xa1", false},
      {"abcdefg\xe2\x82\xac", true},  // euro sign after the 8-byte fast path
      {"abcdefgh\xff", false},
  };
  for (const auto& c : cases) {
    std::string hex;
    for (unsigned char ch : c.s) hex += std::to_string(ch) + " ";
    EXPECT_EQ(IsValidMqttUtf8(c.s), c.valid) << "bytes: " << hex;
  }
}

}  // namespace
}  // namespace tributary::mqtt
