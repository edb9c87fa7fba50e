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

Status CheckJsonDepth(std::string_view text, std::string_view what, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return InvalidArgument(std::string(what) + " nests arrays and objects more than " +
                               std::to_string(max_depth) + " deep (at byte " + std::to_string(i) +
                               ")");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what) {
  TRY(CheckJsonDepth(text, what));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e999
    return InvalidArgument(std::string(what) + " is not valid JSON: " + Where(e, text));
  }
}

}  // namespace tributary
