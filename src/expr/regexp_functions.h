// regexp_matches, regexp_replace and regexp_substr: AWS IoT SQL's regular-expression
// functions, on RE2 (a linear-time engine: no pattern and no payload can make a match
// recurse or run for exponential time on the broker's thread).
//
//   regexp_matches(s, pattern)            true when `pattern` matches somewhere in s
//   regexp_replace(s, pattern, with)      every match replaced; `$0`..`$9` in `with` are the
//                                         match and its groups, `\x` is x taken literally
//   regexp_substr(s, pattern)             the first match, "" when there is none
//
// The pattern syntax is RE2's, which is Java's without backreferences, lookaround and
// possessive quantifiers. A pattern that does not compile gives Undefined; a literal
// one is refused when the rule is compiled (CheckRegexpLiteral). A pattern is at most
// 4 KiB and 1 MiB of RE2's memory; compiled patterns are cached per thread (16 of them).
// Thread-safe.
#pragma once

#include <cstddef>

#include "base/status.h"
#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

Value RegexpMatches(const Value* args, size_t count, const Message& m);
Value RegexpReplace(const Value* args, size_t count, const Message& m);
Value RegexpSubstr(const Value* args, size_t count, const Message& m);

// The functions' LiteralCheck (functions.h): a literal pattern (argument 1) must compile,
// a literal replacement (argument 2) must be usable.
Status CheckRegexpLiteral(size_t index, size_t, const Value& literal);

}  // namespace tributary::expr
