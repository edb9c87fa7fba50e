// libFuzzer target for the worker protocol's decoder (worker_protocol.h). A worker's
// stdout is whatever the model's code writes, so any bytes, in any pieces, must give
// messages or one sticky protocol error, never a crash, and the same messages whatever
// the pieces. Built by scripts/run-fuzz.
//
// Input: byte 0 picks the piece size (1..64), the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "serving/worker_protocol.h"

namespace {

using tributary::serving::WorkerDecoder;
using tributary::serving::WorkerMessage;

// Everything the decoder returns for `stream` fed `piece` bytes at a time: the messages'
// types, ids, statuses and bodies, then the error if one came.
std::string Decode(std::string_view stream, size_t piece) {
  WorkerDecoder decoder(/*max_header_bytes=*/512, /*max_body_bytes=*/4096);
  std::string seen;
  bool failed = false;
  for (size_t at = 0; at < stream.size() || at == 0; at += piece) {
    decoder.Feed(stream.substr(at, piece));
    while (true) {
      auto next = decoder.Next();
      if (!next.ok()) {
        if (next.status().message().empty()) std::abort();  // errors say what is wrong
        if (!failed) seen += "error\n";
        failed = true;
        // Sticky: the stream cannot be resynchronised.
        auto again = decoder.Next();
        if (again.ok()) std::abort();
        break;
      }
      if (!next->has_value()) break;
      if (failed) std::abort();
      const WorkerMessage& m = **next;
      if (m.body.size() > 4096) std::abort();
      seen += std::to_string(static_cast<int>(m.type)) + " " + std::to_string(m.id) + " " +
              std::to_string(m.status) + " " + std::to_string(m.body.size()) + " " + m.body +
              " " + m.error + "\n";
      (void)tributary::serving::CheckAnswerTo(m.id, m);
    }
    if (failed || stream.empty()) break;
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Pieces must not change what is decoded: whole stream vs. `piece` bytes at a time.
  if (Decode(stream, stream.size() + 1) != Decode(stream, piece)) std::abort();
  return 0;
}
