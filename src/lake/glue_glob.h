// GlueGlob: the glob language of Glue's crawler exclusions (S3Target Exclusions), matched
// against an object key relative to the crawled prefix:
//
//   *        any characters of one name component: does not cross '/'
//   **       any characters, '/' included
//   ?        one character other than '/'
//   [a-c9]   one character of a set, ranges allowed; [!a-c] one not in it ('/' never)
//   {a,b}    any one of the comma-separated subpatterns (groups do not nest)
//   \x       x itself
//
// So "*.csv" leaves out the .csv objects at the top of the prefix, "**.csv" those at any
// depth, "*.{csv,avro}" both kinds at the top, "myfolder/*" the objects one level under
// myfolder, "myfolder/**" everything under it. A leading '.' is an ordinary character.
//
//   TRY_ASSIGN(GlueGlob g, GlueGlob::Parse("deepar/**"));
//   g.Matches("deepar/train/train.json");  // true
//
// Parse refuses an unclosed '[' or '{', a nested '{', a trailing '\' and patterns whose
// groups expand to more than 256 alternatives, naming the 0-based position.
//
// Thread-safety: immutable after Parse.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace tributary::lake {

class GlueGlob {
 public:
  static Result<GlueGlob> Parse(std::string_view pattern);
  bool Matches(std::string_view key) const;

 private:
  struct Token {
    enum class Kind { kLiteral, kStar, kDoubleStar, kAny, kSet } kind;
    char literal = 0;
    bool negated = false;                                         // kSet
    std::vector<std::pair<unsigned char, unsigned char>> ranges;  // kSet: inclusive, as bytes
  };
  using Alternative = std::vector<Token>;
  static bool MatchesAlternative(const Alternative& a, std::string_view key);

  std::vector<Alternative> alternatives_;  // the braces expanded
};

// Several globs parsed once, for a listing's every key: whether any matches. A pattern
// that does not parse (kept from before patterns were checked) matches nothing.
class GlueGlobSet {
 public:
  explicit GlueGlobSet(const std::vector<std::string>& patterns);
  bool AnyMatches(std::string_view key) const;

 private:
  std::vector<GlueGlob> globs_;
};

}  // namespace tributary::lake
