#include "nats/jetstream.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "nats/jetstream_api.h"

namespace tributary::nats {
namespace {

using json = nlohmann::json;

constexpr int64_t kNanosPerMilli = 1000000;
// How long after `expires` a pull may stay unanswered before Fetch gives up on the
// server's 408 and checks whether the consumer exists.
constexpr int64_t kFetchGraceMs = 1000;

std::string NotEnabled(std::string_view what) {
  return "JetStream is not available for " + std::string(what) +
         " (no stream takes the subject, or JetStream is off on the server)";
}

Status FetchStatus(const Message& m, const std::string& where) {
  std::string text = where + ": " + std::to_string(m.status) + " " + m.description;
  if (m.status == 409 && m.description.find("Deleted") != std::string::npos) return NotFound(text);
  if (m.status == 503) return Unavailable(text);
  return FailedPrecondition(text);
}

}  // namespace

JetStream::JetStream(Connection* c, int64_t timeout_ms, std::string api_prefix)
    : conn_(c), timeout_ms_(timeout_ms), prefix_(std::move(api_prefix)) {}

Result<json> JetStream::Call(const std::string& suffix, const std::string& body) {
  std::string subject = prefix_ + "." + suffix;
  Result<Message> reply = conn_->RequestSync(subject, body, timeout_ms_);
  if (!reply.ok()) {
    if (IsNoResponders(reply.status())) {
      return Unavailable("JetStream is not enabled on the NATS server (no responders on " +
                         subject + ")");
    }
    return reply.status();
  }
  return ParseApiReply(reply->data);
}

Result<StreamState> JetStream::StreamInfo(std::string_view stream) {
  TRY(ValidateJetStreamName("stream", stream));
  std::string where = "JetStream stream '" + std::string(stream) + "'";
  Result<json> info = Call("STREAM.INFO." + std::string(stream), "");
  if (!info.ok()) return info.status().WithContext(where);
  return ParseStreamInfo(*info);
}

Status JetStream::DeleteStream(std::string_view stream) {
  TRY(ValidateJetStreamName("stream", stream));
  Result<json> reply = Call("STREAM.DELETE." + std::string(stream), "");
  if (!reply.ok())
    return reply.status().WithContext("JetStream stream '" + std::string(stream) + "'");
  return Status::Ok();
}

Result<StreamState> JetStream::CreateStream(const StreamSettings& settings) {
  TRY(ValidateStreamSettings(settings));
  Result<json> created = Call("STREAM.CREATE." + settings.name, StreamConfigJson(settings).dump());
  if (!created.ok()) {
    return created.status().WithContext("creating JetStream stream '" + settings.name + "'");
  }
  return ParseStreamInfo(*created);
}

Result<StreamState> JetStream::EnsureStream(const StreamSettings& settings) {
  return EnsureStream(settings, nullptr);
}

Result<StreamState> JetStream::EnsureStream(StreamSettings settings, const AdjustSettings& adjust) {
  TRY(ValidateStreamSettings(settings));
  const std::string where = "JetStream stream '" + settings.name + "'";
  Result<json> info = Call("STREAM.INFO." + settings.name, "");
  if (!info.ok() && info.status().code() != ErrorCode::kNotFound)
    return info.status().WithContext(where);
  if (!info.ok()) return CreateStream(settings);
  if (adjust) {
    adjust(ParseStreamInfo(*info), &settings);
    TRY(ValidateStreamSettings(settings));
  }

  json have = info->value("config", json::object());
  bool fixed = false;
  std::string difference = StreamDifference(settings, have, &fixed);
  if (difference.empty()) return ParseStreamInfo(*info);
  if (fixed) {
    return FailedPrecondition(where + " exists with other settings (" + difference +
                              "); retention and storage cannot be changed: delete the stream "
                              "(and its messages) or choose another name");
  }
  Result<json> updated =
      Call("STREAM.UPDATE." + settings.name, UpdatedStreamConfig(settings, have).dump());
  if (!updated.ok()) {
    return FailedPrecondition(
        where + " exists with other settings (" + difference +
        ") and the server refused to update it: " + updated.status().message());
  }
  return ParseStreamInfo(*updated);
}

Status JetStream::EnsureConsumer(std::string_view stream, const ConsumerSettings& settings) {
  TRY(ValidateJetStreamName("stream", stream));
  TRY(ValidateJetStreamName("consumer", settings.durable));
  const std::string where =
      "JetStream consumer '" + settings.durable + "' of stream '" + std::string(stream) + "'";
  if (settings.ack_wait_ms <= 0) return InvalidArgument(where + ": ack_wait_ms must be positive");
  if (settings.max_ack_pending == 0)
    return InvalidArgument(where + ": max_ack_pending must not be 0");
  const std::string name = std::string(stream) + "." + settings.durable;
  Result<json> info = Call("CONSUMER.INFO." + name, "");
  if (!info.ok() && info.status().code() != ErrorCode::kNotFound)
    return info.status().WithContext(where);
  if (info.ok()) {
    bool fixed = false;
    std::string difference =
        ConsumerDifference(settings, info->value("config", json::object()), &fixed);
    if (difference.empty()) return Status::Ok();
    if (fixed) {
      return FailedPrecondition(
          where + " exists with other settings (" + difference +
          "), which cannot be changed: delete the consumer or choose another name");
    }
  }
  // Creates it, or (2.9+) updates the editable fields of an existing one.
  Result<json> created =
      Call("CONSUMER.DURABLE.CREATE." + name, ConsumerCreateJson(stream, settings).dump());
  if (!created.ok())
    return created.status().WithContext((info.ok() ? "updating " : "creating ") + where);
  return Status::Ok();
}

void JetStream::Publish(std::string_view subject, std::string_view data, const Headers* headers,
                        int64_t timeout_ms, std::function<void(const Status&, uint64_t)> done) {
  if (!done) done = [](const Status&, uint64_t) {};
  conn_->Request(
      subject, data, timeout_ms,
      [done = std::move(done), subject = std::string(subject)](Result<Message> reply) {
        if (!reply.ok()) {
          if (IsNoResponders(reply.status())) return done(Unavailable(NotEnabled(subject)), 0);
          return done(reply.status(), 0);
        }
        Result<uint64_t> seq = ParsePubAck(reply->data);
        if (!seq.ok()) return done(seq.status().WithContext("publishing to " + subject), 0);
        done(Status::Ok(), *seq);
      },
      headers);
}

void JetStream::Fetch(std::string_view stream, std::string_view consumer, int batch,
                      int64_t expires_ms, std::function<void(Delivered&)> on_message,
                      std::function<void(const Status&)> done, int64_t max_bytes) {
  if (!done) done = [](const Status&) {};
  Status valid = ValidateJetStreamName("stream", stream);
  if (valid.ok()) valid = ValidateJetStreamName("consumer", consumer);
  if (valid.ok() && (batch <= 0 || expires_ms <= 0)) {
    valid = InvalidArgument("JetStream fetch needs a positive batch and expires_ms");
  }
  if (!valid.ok()) return done(valid);

  struct State {
    int received = 0;
    bool answered = false;  // the server said anything at all
  };
  auto state = std::make_shared<State>();
  const std::string name = std::string(stream) + "." + std::string(consumer);
  const std::string where = "JetStream fetch from consumer '" + std::string(consumer) +
                            "' of stream '" + std::string(stream) + "'";
  json body = {{"batch", batch}, {"expires", expires_ms * kNanosPerMilli}};
  if (max_bytes > 0) body["max_bytes"] = max_bytes;
  conn_->RequestMany(
      prefix_ + ".CONSUMER.MSG.NEXT." + name, body.dump(), expires_ms + kFetchGraceMs,
      [state, batch, where, done, conn = conn_, info_subject = prefix_ + ".CONSUMER.INFO." + name,
       timeout_ms = timeout_ms_,
       on_message = std::move(on_message)](Result<Message> reply) -> bool {
        if (!reply.ok()) {
          if (!IsTimeout(reply.status())) {
            done(reply.status().WithContext(where));
          } else if (state->answered) {
            done(Status::Ok());
          } else {
            // No 408 at `expires`: 2.9 does not answer pulls on a consumer that does not
            // exist. Ask, so that a missing consumer is NotFound rather than "no messages".
            conn->Request(info_subject, "", timeout_ms, [done, where](Result<Message> info) {
              if (info.ok()) {
                Result<json> parsed = ParseApiReply(info->data);
                if (!parsed.ok() && parsed.status().code() == ErrorCode::kNotFound) {
                  return done(parsed.status().WithContext(where));
                }
              }
              done(Status::Ok());
            });
          }
          return false;
        }
        state->answered = true;
        Message& m = *reply;
        switch (m.status) {
          case 0:
            break;
          case 100:  // an idle heartbeat (not asked for): nothing to deliver
            return true;
          case 404:  // no messages
          case 408:  // the pull expired
            done(Status::Ok());
            return false;
          case 409:
            // The next message would pass max_bytes: the pull is complete. (Before any
            // message, that message alone is larger than the limit: an error.)
            if (state->received > 0 && m.description.find("Exceeds MaxBytes") != std::string::npos) {
              done(Status::Ok());
              return false;
            }
            done(FetchStatus(m, where));
            return false;
          default:
            done(FetchStatus(m, where));
            return false;
        }
        Result<AckMetadata> ack = ParseAckSubject(m.reply);
        if (!ack.ok()) {
          done(ack.status().WithContext(where));
          return false;
        }
        Delivered d;
        d.stream_seq = ack->stream_seq;
        d.consumer_seq = ack->consumer_seq;
        d.deliveries = ack->deliveries;
        d.timestamp_ns = ack->timestamp_ns;
        d.pending = ack->pending;
        d.ack_subject = m.reply;
        d.msg = std::move(m);
        try {
          if (on_message) on_message(d);
        } catch (const std::exception& e) {
          done(Internal(where + ": the message callback threw: " + e.what()));
          return false;
        }
        if (++state->received < batch) return true;
        done(Status::Ok());
        return false;
      });
}

Status JetStream::SendAck(const std::string& ack_subject, std::string_view what) {
  if (ack_subject.rfind("$JS.ACK.", 0) != 0) {
    return InvalidArgument("'" + ack_subject + "' is not a JetStream ack subject");
  }
  return conn_->Publish(ack_subject, what);
}

Status JetStream::Ack(const std::string& ack_subject) { return SendAck(ack_subject, "+ACK"); }
Status JetStream::InProgress(const std::string& ack_subject) {
  return SendAck(ack_subject, "+WPI");
}
Status JetStream::Nak(const std::string& ack_subject) { return SendAck(ack_subject, "-NAK"); }

}  // namespace tributary::nats
