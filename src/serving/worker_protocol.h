// The worker protocol (README.md, "Worker protocol"): how the server talks to a
// worker process over its stdin/stdout. Every message is one JSON header line and
// then exactly `length` raw body bytes. This file is I/O-free, so the codec can be
// tested (and fuzzed) without processes; worker_process.h does the I/O.
//
//   header line (worker -> server)                          decodes to
//   {"ready": true, "info": {"prediction_length": 24}}      kReady, info
//   {"ready": false, "error": "no model.pt in /m"}          kNotReady, error
//   {"id": 7, "status": 200, "length": 5} + "[1,2]"         kAnswer, body "[1,2]"
//   {"id": 7, "status": 400, "error": "no instances",       kAnswer, error
//    "length": 0}
//   "\n" or "\r\n" alone                                    skipped
//   anything else                                           error, with its byte offset
//
// Thread-compatible: one decoder per worker, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::serving {

// One request to a worker.
struct WorkerRequest {
  uint64_t id = 0;
  std::string content_type = "application/json";
  std::string accept = "application/json";
  nlohmann::json inference_config;  // sent only when not null
  std::string body;
};

// The header line (with its '\n') of `request`; the body follows it unchanged.
// Kept apart from the body so that a large body is written without a copy.
std::string EncodeRequestHeader(const WorkerRequest& request);

// One message from a worker.
struct WorkerMessage {
  enum class Type { kReady, kNotReady, kAnswer };
  Type type = Type::kAnswer;
  nlohmann::json info;       // kReady: the model's description (an object, may be empty)
  std::string error;         // kNotReady; kAnswer when status >= 400
  uint64_t id = 0;           // kAnswer
  int status = 0;            // kAnswer
  std::string content_type;  // kAnswer; "application/json" when absent
  std::string body;          // kAnswer
};

// Ok when `answer` is the answer to request `request_id`; otherwise a protocol
// error such as "worker answered id 8 to request 7".
Status CheckAnswerTo(uint64_t request_id, const WorkerMessage& answer);

// Splits a worker's stdout into messages as its bytes arrive, in any pieces.
class WorkerDecoder {
 public:
  static constexpr size_t kDefaultMaxHeaderBytes = 64 * 1024;
  // Several times the largest answer a DeepAR worker gives (forecast/invocation.h): a
  // worker that announces more is broken, and the server should not buffer it.
  static constexpr size_t kDefaultMaxBodyBytes = size_t{64} << 20;

  explicit WorkerDecoder(size_t max_header_bytes = kDefaultMaxHeaderBytes,
                         size_t max_body_bytes = kDefaultMaxBodyBytes)
      : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {}

  void Feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete message, nullopt when more bytes are needed, or a
  // kProtocolError naming the byte offset in the stream. Errors are sticky: the
  // stream cannot be resynchronised, the worker has to go.
  Result<std::optional<WorkerMessage>> Next();

  // Bytes received but not yet returned as part of a message.
  size_t buffered() const { return buffer_.size() - pos_; }

 private:
  Status Fail(Status status);
  Result<WorkerMessage> ParseHeader(std::string_view line, uint64_t offset);

  size_t max_header_bytes_;
  size_t max_body_bytes_;
  std::string buffer_;
  size_t pos_ = 0;                        // start of the unconsumed bytes in buffer_
  uint64_t consumed_ = 0;                 // stream offset of buffer_[pos_]
  std::optional<WorkerMessage> pending_;  // header read, waiting for its body
  size_t pending_length_ = 0;
  Status error_;
};

}  // namespace tributary::serving
