#include "base/json_text.h"

#include <string>

namespace tributary {

namespace {

// nlohmann's what() without its "[json.exception.parse_error.101] parse error at " head;
// "line 1, " left out for a text of one line.
std::string Where(const nlohmann::json::exception& e, std::string_view text) {
  std::string_view message = e.what();
  if (size_t close = message.find("] ");
      message.starts_with("[json.exception.") && close != message.npos) {
    message.remove_prefix(close + 2);
  }
  if (message.starts_with("parse error at ")) message.remove_prefix(15);
  if (text.find('\n') == text.npos && message.starts_with("line 1, ")) message.remove_prefix(8);
  return std::string(message);
}

}  // namespace

Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e999
    return InvalidArgument(std::string(what) + " is not valid JSON: " + Where(e, text));
  }
}

}  // namespace tributary
