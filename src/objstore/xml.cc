#include "objstore/xml.h"

#include <cstdlib>
#include <string>

#include "base/utf8.h"

namespace tributary::objstore {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view doc) : doc_(doc) {}

  Result<XmlNode> Document() {
    TRY(SkipMisc());
    if (pos_ >= doc_.size() || doc_[pos_] != '<') return Error("expected the root element");
    XmlNode root;
    TRY(Element(root, 0));
    TRY(SkipMisc());
    if (pos_ != doc_.size()) return Error("unexpected content after the root element");
    return root;
  }

 private:
  Status Error(const std::string& what) const {
    return ProtocolError("malformed XML from the object store at byte " + std::to_string(pos_) +
                         ": " + what);
  }

  bool StartsWith(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }

  Status SkipPast(std::string_view terminator) {
    size_t end = doc_.find(terminator, pos_);
    if (end == std::string_view::npos) return Error("missing '" + std::string(terminator) + "'");
    pos_ = end + terminator.size();
    return Status::Ok();
  }

  // Whitespace, <?...?>, <!--...-->, <!DOCTYPE ...> between elements.
  Status SkipMisc() {
    while (pos_ < doc_.size()) {
      char c = doc_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (StartsWith("<?")) {
        TRY(SkipPast("?>"));
      } else if (StartsWith("<!--")) {
        TRY(SkipPast("-->"));
      } else if (StartsWith("<!DOCTYPE")) {
        TRY(SkipPast(">"));
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  std::string Name() {
    size_t start = pos_;
    while (pos_ < doc_.size()) {
      char c = doc_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/') break;
      ++pos_;
    }
    std::string name(doc_.substr(start, pos_ - start));
    size_t colon = name.find(':');
    return colon == std::string::npos ? name : name.substr(colon + 1);
  }

  Status Element(XmlNode& node, int depth) {
    if (depth > 64) return Error("elements nested too deeply");
    ++pos_;  // '<'
    node.name = Name();
    if (node.name.empty()) return Error("element without a name");
    // Attributes are skipped, honouring quotes so a '>' inside one does not end the tag.
    char quote = 0;
    while (pos_ < doc_.size()) {
      char c = doc_[pos_];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
      ++pos_;
    }
    if (pos_ >= doc_.size()) return Error("unterminated start tag <" + node.name + ">");
    if (doc_[pos_ - 1] == '/') {  // <Empty/>
      ++pos_;
      return Status::Ok();
    }
    ++pos_;
    std::string raw_text;
    while (true) {
      size_t lt = doc_.find('<', pos_);
      if (lt == std::string_view::npos) return Error("element <" + node.name + "> is not closed");
      TRY_ASSIGN(std::string decoded, DecodeXmlEntities(doc_.substr(pos_, lt - pos_)));
      node.text += decoded;
      pos_ = lt;
      if (StartsWith("</")) {
        pos_ += 2;
        std::string closing = Name();
        if (closing != node.name) return Error("</" + closing + "> closes <" + node.name + ">");
        return SkipPast(">");
      }
      if (StartsWith("<![CDATA[")) {
        size_t end = doc_.find("]]>", pos_);
        if (end == std::string_view::npos) return Error("unterminated CDATA section");
        node.text += doc_.substr(pos_ + 9, end - pos_ - 9);
        pos_ = end + 3;
      } else if (StartsWith("<!--")) {
        TRY(SkipPast("-->"));
      } else if (StartsWith("<?")) {
        TRY(SkipPast("?>"));
      } else {
        node.children.emplace_back();
        TRY(Element(node.children.back(), depth + 1));
      }
    }
  }

  std::string_view doc_;
  size_t pos_ = 0;
};

}  // namespace

const XmlNode* XmlNode::Child(std::string_view child_name) const {
  for (const auto& c : children)
    if (c.name == child_name) return &c;
  return nullptr;
}

std::string XmlNode::ChildText(std::string_view child_name) const {
  const XmlNode* c = Child(child_name);
  return c ? c->text : "";
}

std::vector<const XmlNode*> XmlNode::ChildrenNamed(std::string_view child_name) const {
  std::vector<const XmlNode*> out;
  for (const auto& c : children)
    if (c.name == child_name) out.push_back(&c);
  return out;
}

Result<XmlNode> ParseXml(std::string_view document) { return Parser(document).Document(); }

Result<std::string> DecodeXmlEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12)
      return ProtocolError("malformed XML: unterminated entity '" +
                           std::string(text.substr(i, 12)) + "'");
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "amp")
      out += '&';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string digits(entity.substr(hex ? 2 : 1));
      char* end = nullptr;
      unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || cp == 0 || cp > 0x10FFFF ||
          (cp >= 0xD800 && cp <= 0xDFFF))
        return ProtocolError("malformed XML: bad character reference '&" + std::string(entity) +
                             ";'");
      AppendUtf8(static_cast<uint32_t>(cp), &out);
    } else {
      return ProtocolError("malformed XML: unknown entity '&" + std::string(entity) + ";'");
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // A reader turns a literal '\r' into '\n' (XML's end-of-line handling) and may fold
        // tabs and line ends in attributes into spaces: control bytes go as character
        // references, which read back as the byte itself (AWS writes "\r" as "&#13;"). NUL
        // has no reference in XML ("&#0;" is not well-formed): it goes as it is, as before,
        // and ParseXml reads it back so.
        if (c != '\0' && static_cast<unsigned char>(c) < 0x20) {
          out += "&#" + std::to_string(static_cast<int>(c)) + ";";
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace tributary::objstore
