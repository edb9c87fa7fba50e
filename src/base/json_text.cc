#include "base/json_text.h"

#include <string>
#include <utility>
#include <vector>

namespace tributary {

namespace {

using Json = nlohmann::json;

// nlohmann's SAX events made into a document as its own parser makes it, except that an
// object's key given a second time stops the parse (its parser keeps the last value),
// and duplicate() says where. A parse error is thrown as the parser would throw it.
// (nlohmann's parser callback sees the keys too, but that parser scans an array's elements
// each time one of them ends: an array of 100000 small objects took 27 s instead of 0.1 s.)
class DocumentBuilder {
 public:
  explicit DocumentBuilder(Json* root) : root_(root) {}

  bool null() { return Put(nullptr); }
  bool boolean(bool v) { return Put(v); }
  bool number_integer(Json::number_integer_t v) { return Put(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return Put(v); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return Put(v); }
  bool string(Json::string_t& v) { return Put(std::move(v)); }
  bool binary(Json::binary_t& v) { return Put(Json::binary(std::move(v))); }
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(Json::string_t& name) {
    Level& top = levels_.back();
    auto [member, inserted] = top.value->emplace(name, nullptr);
    if (!inserted) {
      duplicate_ = PathOf(name);
      return false;
    }
    top.key = &member.key();
    top.member = &member.value();
    return true;
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    throw e;
  }

  // The path of the first key given twice ("topicRulePayload.sql", "[0].a"), or "".
  const std::string& duplicate() const { return duplicate_; }

 private:
  struct Level {
    Json* value;                       // the object or array being filled
    const std::string* key = nullptr;  // an object's member being read
    Json* member = nullptr;
  };

  // Places `v` where the parser is: the root, the next element, or the member just keyed.
  Json* Place(Json v) {
    if (levels_.empty()) return &(*root_ = std::move(v));
    Level& top = levels_.back();
    if (top.value->is_array()) {
      top.value->push_back(std::move(v));
      return &top.value->back();
    }
    return &(*top.member = std::move(v));
  }
  bool Put(Json v) {
    Place(std::move(v));
    return true;
  }
  bool Open(Json container) {
    levels_.push_back(Level{Place(std::move(container))});
    return true;
  }
  bool Close() {
    levels_.pop_back();
    return true;
  }
  std::string PathOf(const std::string& key) const {
    std::string path;
    for (size_t i = 0; i + 1 < levels_.size(); ++i) {
      const Level& level = levels_[i];
      if (level.value->is_object()) {
        path += (path.empty() ? "" : ".") + *level.key;
      } else {
        path += "[" + std::to_string(level.value->size() - 1) + "]";
      }
    }
    return path + (path.empty() ? "" : ".") + key;
  }

  Json* root_;
  std::vector<Level> levels_;  // the objects and arrays open, outermost first
  std::string duplicate_;
};

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
  Json doc;
  DocumentBuilder builder(&doc);
  try {
    if (!Json::sax_parse(text, &builder)) {
      return InvalidArgument(std::string(what) + " gives " + builder.duplicate() +
                             " twice; keep one");
    }
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e999
    return InvalidArgument(std::string(what) + " is not valid JSON: " + Where(e, text));
  }
  return doc;
}

}  // namespace tributary
