// Reading JSON a person wrote (a file given to the CLI, a line of a JSON Lines file, a
// request body): the error says what is not JSON and where it stops being JSON.
//
//   TRY_ASSIGN(nlohmann::json doc, ParseJsonText(text, "'rule.json'"));
//   // 'rule.json' is not valid JSON: line 3, column 14: syntax error while parsing
//   //   object - unexpected '}'; expected string literal
//
// A one-line text is placed by column alone ("column 33: ..."). Numbers out of a double's
// range (1e999) are errors too. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"

namespace tributary {

// `what` names the text in the error: "'hp.json'", "train.jsonl:7", "the request body".
Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what);

}  // namespace tributary
