#include "serving/worker_protocol.h"

#include <fmt/format.h>

#include <utility>

namespace tributary::serving {
namespace {

using nlohmann::json;

// Reads an optional non-negative integer field; -1 when absent.
Result<int64_t> OptionalCount(const json& header, const char* field, uint64_t offset) {
  auto it = header.find(field);
  if (it == header.end()) return int64_t{-1};
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return ProtocolError(fmt::format("worker header at byte {}: \"{}\" is {}, not a count", offset,
                                     field, it->dump()));
  }
  return it->get<int64_t>();
}

}  // namespace

std::string EncodeRequestHeader(const WorkerRequest& request) {
  json header = {{"id", request.id},
                 {"content_type", request.content_type},
                 {"accept", request.accept},
                 {"length", request.body.size()}};
  if (!request.inference_config.is_null()) header["inference_config"] = request.inference_config;
  // dump() escapes control characters, so the header can never contain a raw '\n'.
  std::string line = header.dump(-1, ' ', false, json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

Status CheckAnswerTo(uint64_t request_id, const WorkerMessage& answer) {
  switch (answer.type) {
    case WorkerMessage::Type::kReady:
      return ProtocolError(
          fmt::format("worker sent a ready line instead of answering request {}", request_id));
    case WorkerMessage::Type::kNotReady:
      return ProtocolError(
          fmt::format("worker sent ready:false (\"{}\") instead of answering request {}",
                      answer.error, request_id));
    case WorkerMessage::Type::kAnswer:
      break;
  }
  if (answer.id != request_id) {
    return ProtocolError(fmt::format("worker answered id {} to request {}", answer.id, request_id));
  }
  return Status::Ok();
}

Status WorkerDecoder::Fail(Status status) {
  error_ = status;
  return status;
}

Result<std::optional<WorkerMessage>> WorkerDecoder::Next() {
  if (!error_.ok()) return error_;
  while (!pending_) {
    std::string_view rest(buffer_.data() + pos_, buffer_.size() - pos_);
    size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) {
      if (rest.size() > max_header_bytes_) {
        return Fail(ProtocolError(
            fmt::format("worker header line at byte {} is over the {} byte limit (no newline yet)",
                        consumed_, max_header_bytes_)));
      }
      return std::optional<WorkerMessage>();
    }
    if (newline > max_header_bytes_) {
      return Fail(ProtocolError(
          fmt::format("worker header line at byte {} is {} bytes, over the {} byte limit",
                      consumed_, newline, max_header_bytes_)));
    }
    std::string_view line = rest.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    uint64_t offset = consumed_;
    pos_ += newline + 1;
    consumed_ += newline + 1;
    if (line.empty()) continue;  // a stray blank line is harmless
    Result<WorkerMessage> message = ParseHeader(line, offset);
    if (!message.ok()) return Fail(message.status());
    pending_ = std::move(message).value();
  }
  if (buffer_.size() - pos_ < pending_length_) return std::optional<WorkerMessage>();
  pending_->body.assign(buffer_, pos_, pending_length_);
  pos_ += pending_length_;
  consumed_ += pending_length_;
  // Drop consumed bytes once they are most of the buffer: amortised O(1) per byte.
  if (pos_ > buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  std::optional<WorkerMessage> done = std::move(pending_);
  pending_.reset();
  pending_length_ = 0;
  return done;
}

Result<WorkerMessage> WorkerDecoder::ParseHeader(std::string_view line, uint64_t offset) {
  json header;
  try {
    header = json::parse(line);
  } catch (const json::parse_error& e) {
    std::string shown(line.substr(0, 80));
    return ProtocolError(fmt::format(
        "worker header line is not JSON at byte {} (column {}): {}; the line starts '{}' (workers "
        "must print only protocol lines on stdout and log to stderr)",
        offset, e.byte, e.what(), shown));
  } catch (const json::exception& e) {  // out_of_range: a number like 1e999
    return ProtocolError(fmt::format("worker header line at byte {} is not JSON: {}; the line starts '{}'",
                                     offset, e.what(), std::string(line.substr(0, 80))));
  }
  if (!header.is_object()) {
    return ProtocolError(fmt::format("worker header line at byte {} is {}, not a JSON object",
                                     offset, header.type_name()));
  }
  TRY_ASSIGN(int64_t length, OptionalCount(header, "length", offset));
  WorkerMessage message;
  if (auto ready = header.find("ready"); ready != header.end()) {
    if (!ready->is_boolean()) {
      return ProtocolError(fmt::format(
          "worker header at byte {}: \"ready\" is {}, not true or false", offset, ready->dump()));
    }
    if (length > 0) {
      return ProtocolError(fmt::format(
          "worker ready line at byte {} has length {}; it carries no body", offset, length));
    }
    if (ready->get<bool>()) {
      message.type = WorkerMessage::Type::kReady;
      message.info = header.value("info", json::object());
      if (!message.info.is_object()) {
        return ProtocolError(
            fmt::format("worker ready line at byte {}: \"info\" is {}, not an object", offset,
                        message.info.type_name()));
      }
    } else {
      message.type = WorkerMessage::Type::kNotReady;
      auto error = header.find("error");
      message.error = error == header.end() ? "the worker gave no reason"
                      : error->is_string()  ? error->get<std::string>()
                                            : error->dump();
    }
    return message;
  }
  TRY_ASSIGN(int64_t id, OptionalCount(header, "id", offset));
  TRY_ASSIGN(int64_t status, OptionalCount(header, "status", offset));
  if (id < 0 || status < 0 || length < 0) {
    return ProtocolError(fmt::format(
        "worker answer at byte {} lacks \"{}\" (an answer needs \"id\", \"status\" and \"length\")",
        offset,
        id < 0       ? "id"
        : status < 0 ? "status"
                     : "length"));
  }
  if (status < 100 || status > 599) {
    return ProtocolError(
        fmt::format("worker answer at byte {}: status {} is not an HTTP status", offset, status));
  }
  if (static_cast<uint64_t>(length) > max_body_bytes_) {
    return ProtocolError(
        fmt::format("worker answer at byte {}: length {} is over the {} byte limit", offset, length,
                    max_body_bytes_));
  }
  message.type = WorkerMessage::Type::kAnswer;
  message.id = static_cast<uint64_t>(id);
  message.status = static_cast<int>(status);
  auto content_type = header.find("content_type");
  message.content_type = content_type != header.end() && content_type->is_string()
                             ? content_type->get<std::string>()
                             : "application/json";
  if (auto error = header.find("error"); error != header.end()) {
    message.error = error->is_string() ? error->get<std::string>() : error->dump();
  }
  pending_length_ = static_cast<size_t>(length);
  return message;
}

}  // namespace tributary::serving
