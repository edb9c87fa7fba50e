// libFuzzer target for what a NATS server sends (protocol.h, message.h, jetstream_api.h):
// the streams and the MQTT bridge read it off a socket, from a server that may be
// misconfigured, another program on its port, or damaged on the way. Checks:
//   - the parser gives operations or ProtocolError, never a crash, and the same either
//     way whatever boundaries read() cuts the bytes at (once whole, once in pieces);
//   - what it gives reads on: INFO's JSON, a message's PubAck, API reply or ack subject
//     parse or fail with a message.
// Input: byte 0 seeds the piece sizes; the rest is what the server sent.
// Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "nats/jetstream_api.h"
#include "nats/protocol.h"

namespace {

using namespace tributary::nats;

// What the parser made of `bytes` cut into pieces of 1..`step` bytes (all at once if 0),
// as text to compare, and whether it failed.
std::string Parse(std::string_view bytes, size_t step, bool* failed) {
  Parser parser;
  std::vector<ServerOp> ops;
  *failed = false;
  size_t at = 0;
  size_t piece = 1;
  while (at < bytes.size()) {
    const size_t n = step == 0 ? bytes.size() : std::min(bytes.size() - at, piece);
    if (!parser.Feed(bytes.substr(at, n), &ops).ok()) {
      *failed = true;
      break;
    }
    at += n;
    if (step != 0) piece = piece % step + 1;
  }
  std::string out;
  for (const ServerOp& op : ops) {
    out += std::to_string(static_cast<int>(op.kind)) + "|" + op.text + "|" +
           std::to_string(op.sid) + "|" + op.msg.subject + "|" + op.msg.reply + "|" +
           std::to_string(op.msg.status) + "|" + op.msg.description + "|" +
           std::to_string(op.msg.headers.size()) + "|" + op.msg.data + "\n";
  }
  return out;
}

void ReadOn(std::string_view bytes) {
  Parser parser;
  std::vector<ServerOp> ops;
  (void)parser.Feed(bytes, &ops);
  for (const ServerOp& op : ops) {
    if (op.kind == OpKind::kInfo) {
      auto info = ParseServerInfo(op.text);
      if (!info.ok() && info.status().message().empty()) std::abort();
    }
    if (op.kind != OpKind::kMsg) continue;
    auto ack = ParsePubAck(op.msg.data);
    if (!ack.ok() && ack.status().message().empty()) std::abort();
    auto reply = ParseApiReply(op.msg.data);
    if (!reply.ok() && reply.status().message().empty()) std::abort();
    auto meta = ParseAckSubject(op.msg.reply);
    if (!meta.ok() && meta.status().message().empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool whole_failed = false, pieces_failed = false;
  const std::string whole = Parse(bytes, 0, &whole_failed);
  const std::string pieces = Parse(bytes, 1 + data[0] % 16, &pieces_failed);
  // In pieces the parser may stop at the same error later (after more bytes arrived), so
  // what it gave before failing must be what the whole gave, and the verdicts must agree.
  if (whole_failed != pieces_failed || whole != pieces) std::abort();
  ReadOn(bytes);
  return 0;
}
