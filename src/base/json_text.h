// Reading JSON a person wrote (a file given to the CLI, a line of a JSON Lines file, a
// request body): the error says what is not JSON and where it stops being JSON.
//
//   TRY_ASSIGN(nlohmann::json doc, ParseJsonText(text, "'rule.json'"));
//   // 'rule.json' is not valid JSON: line 3, column 14: syntax error while parsing
//   //   object - unexpected '}'; expected string literal
//
// A one-line text is placed by column alone ("column 33: ..."). Numbers out of a double's
// range (1e999) are errors too, and so are arrays and objects nested deeper than
// kMaxJsonDepth (nlohmann's dump() and comparisons recurse once a level: a 200 KB text of
// brackets would overflow the stack of the thread that handles it), and an object that
// gives a key twice, which nlohmann alone takes with the last value winning, named by
// its path:
//
//   {"topicRulePayload": {"sql": "SELECT a ...", "actions": [], "sql": "SELECT b ..."}}
//   // 'rule.json' gives topicRulePayload.sql twice; keep one
//   [{"republish": {"topic": "a", "topic": "b"}}]    [0].republish.topic
//
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"

namespace tributary {

inline constexpr int kMaxJsonDepth = 512;

// `what` names the text in the error: "'hp.json'", "train.jsonl:7", "the request body".
Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what);

// For texts parsed another way (nlohmann::json::parse without exceptions): OK, or the
// error ParseJsonText gives for nesting deeper than `max_depth`, with the byte offset where
// the text goes past it. Strings are skipped; the text need not be valid JSON.
Status CheckJsonDepth(std::string_view text, std::string_view what, int max_depth = kMaxJsonDepth);

}  // namespace tributary
