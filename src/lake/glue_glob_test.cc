#include "lake/glue_glob.h"

#include <gtest/gtest.h>

namespace tributary::lake {
namespace {

bool Match(const char* pattern, const char* key) {
  auto g = GlueGlob::Parse(pattern);
  EXPECT_TRUE(g.ok()) << pattern << ": " << g.status().ToString();
  return g.ok() && g->Matches(key);
}

TEST(GlueGlobTest, MatchesAsGluesExclusionsRead) {
  const struct {
    const char* pattern;
    const char* key;
    bool match;
  } cases[] = {
      // '*' stays in one name component; '**' crosses folders.
      {"*.csv", "a.csv", true},
      {"*.csv", "2026/a.csv", false},
      {"**.csv", "2026/12/a.csv", true},
      {"**/*.csv", "2026/a.csv", true},
      {"**/*.csv", "a.csv", false},
      {"*.*", "a.b", true},
      {"*.*", "ab", false},
      {"myfolder/*", "myfolder/mysource", true},
      {"myfolder/*", "myfolder/mysource/data", false},
      {"myfolder/*/*", "myfolder/mysource/data", true},
      {"myfolder/**", "myfolder/mysource/mydata", true},
      {"myfolder**", "myfolder", true},
      {"myfolder**", "myfolder/mydata.txt", true},
      {"myfolder**", "other/myfolder", false},
      {"deepar/**", "deepar/train/train.json", true},
      {"deepar/**", "deepar2/x", false},
      // '?' is one character, never '/'.
      {"foo.?", "foo.c", true},
      {"foo.?", "foo.cc", false},
      {"a?b", "a/b", false},
      // Sets, ranges and negation; never '/'.
      {"2015/0[2-9]/**", "2015/03/01/x.json", true},
      {"2015/0[2-9]/**", "2015/01/01/x.json", false},
      {"2015/1[0-2]/**", "2015/12/x", true},
      {"[!a-c]x", "dx", true},
      {"[!a-c]x", "bx", false},
      {"[]a]x", "]x", true},
      {"a[/]b", "a/b", false},
      // Groups: any one subpattern.
      {"*.{csv,avro}", "a.avro", true},
      {"*.{csv,avro}", "a.csv", true},
      {"*.{csv,avro}", "a.json", false},
      {"*.{csv,avro}", "x/a.csv", false},
      {"{raw,tmp}/**/debug-*.json", "tmp/2026/debug-1.json", true},
      {"{raw,tmp}/**/debug-*.json", "raw/2026/trace-1.json", false},
      {"x{,.bak}", "x", true},
      {"x{,.bak}", "x.bak", true},
      {"{a,[xy]}z", "yz", true},
      {"{a,b}{1,2}", "b2", true},
      {"{a,b}{1,2}", "c2", false},
      // Escapes; a leading '.' is ordinary.
      {"\\*.csv", "*.csv", true},
      {"\\*.csv", "a.csv", false},
      {"\\{a,b\\}", "{a,b}", true},
      {"*", ".hidden", true},
      {"*", "", true},
      {"", "", true},
      {"", "a", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Match(c.pattern, c.key), c.match) << "'" << c.pattern << "' on '" << c.key << "'";
  }
}

TEST(GlueGlobTest, BadPatternsNameThePosition) {
  const struct {
    const char* pattern;
    const char* message;
  } cases[] = {
      {"a[bc", "glob 'a[bc': unclosed '[' at position 1"},
      {"*.{csv,avro", "glob '*.{csv,avro': unclosed '{' at position 2"},
      {"{a,{b,c}}", "glob '{a,{b,c}}': a '{' inside a group (groups do not nest) at position 3"},
      {"a\\", "glob 'a\\': a '\\' escapes nothing at position 1"},
      {"{a,[b}", "glob '{a,[b}': unclosed '[' at position 3"},
      {"{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b}",
       "glob '{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b}': more than 256 alternatives in its "
       "groups at position 36"},
  };
  for (const auto& c : cases) {
    auto g = GlueGlob::Parse(c.pattern);
    ASSERT_FALSE(g.ok()) << c.pattern;
    EXPECT_EQ(g.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(g.status().message(), c.message);
  }
}

TEST(GlueGlobTest, LongKeysMatchWithoutBacktracking) {
  // Many stars over a long key that does not match: linear in key length per token.
  std::string key(1000, 'a');
  key += "/b";
  auto g = GlueGlob::Parse("*a*a*a*a*a*a*a*a*a*a*c");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->Matches(key));
  auto deep = GlueGlob::Parse("**a**a**a**a**b");
  ASSERT_TRUE(deep.ok());
  EXPECT_TRUE(deep->Matches(key));
}

}  // namespace
}  // namespace tributary::lake
