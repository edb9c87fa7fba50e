// A NATS message as subscribers and requesters receive it, and the header block that
// HPUB/HMSG carry in front of the payload (NATS 2.2+):
//
//   NATS/1.0\r\n                        plain headers, no status
//   Nats-Msg-Id: 42\r\n
//   \r\n
//
//   NATS/1.0 404 No Messages\r\n        a status line: status 404, description "No Messages"
//   \r\n
//
//   NATS/1.0 503\r\n\r\n                no responders (status 503, no description)
//
// Keys keep their case; Header() looks them up case-insensitively. Values lose the
// blanks after the ':'. Pure data and functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace tributary::nats {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Message {
  std::string subject, reply;
  int status = 0;           // from a header block "NATS/1.0 404 No Messages": 404; 0 if none
  std::string description;  // "No Messages"
  Headers headers;          // parsed header block
  std::string data;
  std::string_view Header(
      std::string_view key) const;  // first value, case-insensitive key; "" if absent
};

// Fills message->status, description and headers from a header block (the first
// <#header bytes> of an HMSG). ProtocolError if it does not start with "NATS/1.0".
Status ParseHeaderBlock(std::string_view block, Message* message);

// The header block for HPUB: "NATS/1.0\r\n" + "Key: value\r\n"... + "\r\n". InvalidArgument
// for an empty key, or a key or value holding CR or LF (or a key holding ':' or a blank).
Result<std::string> EncodeHeaderBlock(const Headers& headers);

}  // namespace tributary::nats
