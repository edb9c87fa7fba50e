// Message: what one expression evaluation sees — the MQTT message (topic, payload)
// and who sent it when. The functions topic(), clientid(), timestamp(), principal()
// and traceid() read it; field references read its payload.
//
// The payload is parsed as JSON lazily, the first time a field is referenced, and at
// most once per Message however many expressions (rules) are evaluated against it.
// A payload that is not JSON is fine: field references then yield Undefined.
//
// Not thread-safe: a Message is filled and evaluated by one thread at a time (the
// broker thread that received the PUBLISH). The views must outlive the Message.
#pragma once

#include <cstdint>
#include <string_view>

namespace simdjson::dom {
class parser;
}

namespace tributary::expr {

class Message {
 public:
  Message() = default;
  Message(std::string_view topic, std::string_view payload) : topic(topic), payload(payload) {}
  ~Message();
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  std::string_view topic;
  std::string_view payload;
  std::string_view client_id;   // "" -> clientid() yields "n/a"
  std::string_view thing;       // the thing the sender belongs to, or ""
  std::string_view principal;   // certificate fingerprint or user; "" -> Undefined
  std::string_view trace_id;    // "" -> traceid() yields Undefined
  int64_t received_at_ms = 0;   // timestamp(): when the broker accepted it

  // Whether the payload parsed as JSON (parses it on first call).
  bool PayloadIsJson() const;

 private:
  friend class PayloadAccess;
  enum class ParseState : uint8_t { kNotParsed, kJson, kNotJson };
  mutable ParseState state_ = ParseState::kNotParsed;
  // Borrowed from a per-thread pool while this Message holds a parsed document.
  mutable simdjson::dom::parser* parser_ = nullptr;
};

}  // namespace tributary::expr
