#include "nats/message.h"

#include <cctype>
#include <charconv>

#include "base/ascii.h"

namespace tributary::nats {
namespace {

constexpr std::string_view kVersion = "NATS/1.0";
constexpr std::string_view kCrlf = "\r\n";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view Message::Header(std::string_view key) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, key)) return v;
  }
  return {};
}

Status ParseHeaderBlock(std::string_view block, Message* message) {
  size_t eol = block.find(kCrlf);
  std::string_view first = block.substr(0, eol);
  if (first.substr(0, kVersion.size()) != kVersion) {
    return ProtocolError("NATS header block does not start with NATS/1.0: '" +
                         std::string(first.substr(0, 40)) + "'");
  }
  std::string_view status_line = Trim(first.substr(kVersion.size()));
  message->status = 0;
  message->description.clear();
  message->headers.clear();
  if (!status_line.empty()) {
    size_t space = status_line.find(' ');
    std::string_view code = status_line.substr(0, space);
    int value = 0;
    auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
    if (ec == std::errc() && end == code.data() + code.size()) message->status = value;
    if (space != std::string_view::npos)
      message->description = std::string(Trim(status_line.substr(space)));
  }
  if (eol == std::string_view::npos) return Status::Ok();
  std::string_view rest = block.substr(eol + kCrlf.size());
  while (!rest.empty()) {
    size_t end = rest.find(kCrlf);
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + kCrlf.size());
    if (line.empty()) break;  // the blank line that ends the block
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a header: skipped, as servers do
    message->headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                  std::string(Trim(line.substr(colon + 1))));
  }
  return Status::Ok();
}

Result<std::string> EncodeHeaderBlock(const Headers& headers) {
  std::string block(kVersion);
  block += kCrlf;
  for (const auto& [key, value] : headers) {
    if (key.empty() || key.find_first_of(":\r\n \t") != std::string::npos) {
      return InvalidArgument("NATS header name '" + key +
                             "' is empty or holds ':', a blank, CR or LF");
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgument("NATS header '" + key + "' has a value holding CR or LF");
    }
    block.append(key).append(": ").append(value).append(kCrlf);
  }
  block += kCrlf;
  return block;
}

}  // namespace tributary::nats
