// A small XML reader for S3 response bodies: elements, text, CDATA and the five named
// plus numeric character references. It ignores the prolog, comments, processing
// instructions, attributes and namespace prefixes ("s3:Key" reads as "Key"), which is
// all S3's documents use. Not a validating parser; malformed input is kProtocolError
// naming the byte offset. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::objstore {

struct XmlNode {
  std::string name;
  std::string text;  // character data directly inside this element, entities decoded
  std::vector<XmlNode> children;

  // The first child element with this name, or nullptr.
  const XmlNode* Child(std::string_view child_name) const;
  // Text of the first child with this name, "" if there is none.
  std::string ChildText(std::string_view child_name) const;
  std::vector<const XmlNode*> ChildrenNamed(std::string_view child_name) const;
};

// The document's root element.
Result<XmlNode> ParseXml(std::string_view document);

// Decodes &lt; &gt; &amp; &quot; &apos; &#N; &#xH; (as UTF-8).
Result<std::string> DecodeXmlEntities(std::string_view text);

// Escapes & < > " ' for element text and attribute values, and writes control bytes
// (0x01..0x1F, "\r" "\n" "\t" among them) as numeric character references ("&#13;"), as
// AWS does, so that a reader gives them back unchanged rather than normalised.
std::string XmlEscape(std::string_view text);

}  // namespace tributary::objstore
