#include "lake/job_document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <regex>
#include <sstream>
#include <vector>

#include "base/json_text.h"
#include "mqtt/utf8.h"

namespace tributary::lake {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string PlaceText(std::string_view file_name, int line, int column) {
  return std::string(file_name) + " line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Aliases repeat what their anchor names, so a few lines can stand for billions of
// values, or (an alias inside what it names) for an endless nesting; a job has a few
// dozen values, four levels deep.
constexpr size_t kMaxValues = 100'000;
constexpr int kMaxDepth = 64;

// Where each document of a YAML stream starts. yaml-cpp 0.7 (Debian 12's) never stops
// reading documents from some invalid text, "," for one, each a null that consumed
// nothing (jbeder/yaml-cpp#1040): YAML::LoadAll would loop, allocating, until memory
// runs out. Counting the documents with this handler first lets the converter stop.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

class Converter {
 public:
  explicit Converter(std::string_view file_name) : file_name_(file_name) {}

  Result<json> Convert(const YAML::Node& node, const std::string& path, int depth = 0) {
    const YAML::Mark mark = node.Mark();
    if (++values_ > kMaxValues) {
      return Error(node, path, "the document stands for more than " + std::to_string(kMaxValues) +
                                   " values (aliases repeat what they name)");
    }
    if (depth > kMaxDepth) {
      return Error(node, path, "values nest more than " + std::to_string(kMaxDepth) +
                                   " levels deep (does an alias name what holds it?)");
    }
    if (mark.line >= 0) places_[path] = SourcePlace{mark.line + 1, mark.column + 1};
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return Scalar(node, path);
      case YAML::NodeType::Sequence: {
        json out = json::array();
        for (size_t i = 0; i < node.size(); ++i) {
          TRY_ASSIGN(json item, Convert(node[i], path + "[" + std::to_string(i) + "]", depth + 1));
          out.push_back(std::move(item));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        json out = json::object();
        for (auto it = node.begin(); it != node.end(); ++it) {
          if (!it->first.IsScalar()) return Error(it->first, path, "a mapping key must be a plain name, not a list or mapping");
          std::string key = it->first.Scalar();
          if (!mqtt::IsValidMqttUtf8(key)) {
            return Error(it->first, path, "a key is not UTF-8 text (an escape gives a surrogate or NUL)");
          }
          if (out.contains(key)) return Error(it->first, path, "key '" + key + "' is given twice");
          TRY_ASSIGN(json value, Convert(it->second, path + "." + key, depth + 1));
          out[key] = std::move(value);
        }
        return out;
      }
    }
    return json(nullptr);
  }

  std::map<std::string, SourcePlace> TakePlaces() { return std::move(places_); }

 private:
  Status Error(const YAML::Node& node, const std::string& path, const std::string& what) const {
    const YAML::Mark mark = node.Mark();
    return InvalidArgument(PlaceText(file_name_, mark.line + 1, mark.column + 1) + " (" + path + "): " + what);
  }

  Result<json> Scalar(const YAML::Node& node, const std::string& path) const {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    // An escape such as "\ud800" or "\0" can make text that no JSON string holds.
    if (!mqtt::IsValidMqttUtf8(text)) {
      return Error(node, path, "the value is not UTF-8 text (an escape gives a surrogate or NUL)");
    }
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(text);
    if (tag != "?") return Error(node, path, "tag '" + tag + "' is not supported (only !!str)");
    return Plain(node, text, path);
  }

  // The YAML 1.2 core schema's resolution of a plain scalar.
  Result<json> Plain(const YAML::Node& node, const std::string& text, const std::string& path) const {
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return json(nullptr);
    if (text == "true" || text == "True" || text == "TRUE") return json(true);
    if (text == "false" || text == "False" || text == "FALSE") return json(false);
    static const std::regex kInt("[-+]?[0-9]+");
    static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    static const std::regex kSpecial("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    if (std::regex_match(text, kInt)) {
      std::string_view digits(text);
      if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
      int64_t v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        return Error(node, path, "integer " + text + " is out of range (quote it to keep it as a string)");
      }
      return json(v);
    }
    if (std::regex_match(text, kFloat)) {
      double v = std::strtod(text.c_str(), nullptr);
      if (!std::isfinite(v)) return Error(node, path, "number " + text + " is out of range");
      return json(v);
    }
    if (std::regex_match(text, kSpecial)) {
      return Error(node, path, text + " has no JSON equivalent (quote it to keep it as a string)");
    }
    return json(text);
  }

  std::string file_name_;
  std::map<std::string, SourcePlace> places_;
  size_t values_ = 0;
};

}  // namespace

bool IsYamlFileName(std::string_view file_name) {
  std::string name = Lower(file_name);
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

Status CheckJobText(std::string_view text, std::string_view file_name) {
  if (mqtt::IsValidMqttUtf8(text)) return Status::Ok();
  int line = 1;
  for (size_t start = 0; start <= text.size(); ++line) {
    size_t end = std::min(text.find('\n', start), text.size());
    if (!mqtt::IsValidMqttUtf8(text.substr(start, end - start))) break;
    start = end + 1;
  }
  return InvalidArgument(std::string(file_name) + " line " + std::to_string(line) +
                         ": not UTF-8 text, or it holds a NUL byte");
}

Result<JobDocument> YamlToJson(std::string_view text, std::string_view file_name) {
  // yaml-cpp guesses UTF-16 or UTF-32 from NUL bytes and would turn the text into
  // garbage; a job file is UTF-8 (it arrives in a JSON string).
  TRY(CheckJobText(text, file_name));
  YAML::Node root;
  try {
    // One document: stop reading at the second (or at one that consumed nothing).
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentStarts documents;
    while (documents.starts.size() < 2 && parser.HandleNextDocument(documents)) {
    }
    if (documents.starts.empty()) {
      return InvalidArgument(std::string(file_name) + ": the YAML file holds no document");
    }
    if (documents.starts.size() > 1) {
      const YAML::Mark& a = documents.starts[0];
      const YAML::Mark& b = documents.starts[1];
      if (a.pos == b.pos) {
        return InvalidArgument(PlaceText(file_name, b.line + 1, b.column + 1) +
                               ": not valid YAML: nothing here starts a value");
      }
      return InvalidArgument(PlaceText(file_name, b.line + 1, b.column + 1) +
                             ": a job file holds one YAML document; this is a second one");
    }
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(PlaceText(file_name, e.mark.line + 1, e.mark.column + 1) +
                           ": not valid YAML: " + e.msg);
  }
  Converter converter(file_name);
  JobDocument out;
  try {
    TRY_ASSIGN(out.doc, converter.Convert(root, "$"));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(PlaceText(file_name, e.mark.line + 1, e.mark.column + 1) + ": " + e.msg);
  }
  out.places = converter.TakePlaces();
  return out;
}

Result<JobDocument> ParseJobDocument(std::string_view text, std::string_view file_name) {
  if (IsYamlFileName(file_name)) return YamlToJson(text, file_name);
  JobDocument out;
  Result<json> doc = ParseJsonText(text, file_name);
  if (!doc.ok())
    return InvalidArgument(doc.status().message() + " (name a YAML file *.yaml or *.yml)");
  out.doc = std::move(*doc);
  return out;
}

std::string LocateJobError(const JobDocument& doc, std::string_view file_name, std::string_view message) {
  std::string msg(message);
  if (doc.places.empty() || msg.rfind("$", 0) != 0) return msg;
  size_t end = msg.find(": ");
  std::string path = msg.substr(0, end);
  // The longest recorded path that is the error's path or one of its parents.
  while (!path.empty()) {
    auto it = doc.places.find(path);
    if (it != doc.places.end()) {
      return msg + " (" + PlaceText(file_name, it->second.line, it->second.column) + ")";
    }
    size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos) break;
    path.resize(cut);
  }
  return msg;
}

}  // namespace tributary::lake
