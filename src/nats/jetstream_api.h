// JetStream's JSON API as pure functions: name checks, the configurations sent, the
// replies and errors read back, and the ack subjects of pulled messages. jetstream.h
// puts them on the wire; tests check them on literal strings.
//
// Errors come back as {"error":{"code":404,"err_code":10059,"description":"stream not found"}}
// and become a Status "JetStream: stream not found (10059)" coded by `code`:
//
//   code 404 → NotFound          code 400 → InvalidArgument     code 503 → Unavailable
//   otherwise → FailedPrecondition
//   err_code 10054 (message size exceeds maximum allowed), 10077 (maximum bytes/messages
//   exceeded, with discard "new"), 10002/10028/10047 (account, memory, storage resources
//   exceeded) → ResourceExhausted, whatever the code.
//
// Ack subjects (what a pulled message's reply subject says):
//
//   $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp ns>.<pending>
//   $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>
//          .<timestamp ns>.<pending>.<random>          (12 tokens; domain "_" = none)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "nats/jetstream_types.h"

namespace tributary::nats {

// Stream and consumer names: 1..255 bytes, none of '.', '*', '>', blanks or control
// characters (they become subject tokens). InvalidArgument naming `kind` ("stream").
Status ValidateJetStreamName(std::string_view kind, std::string_view name);

// InvalidArgument for values the server would refuse less clearly (retention, storage,
// discard, replicas).
Status ValidateStreamSettings(const StreamSettings& settings);

// {"error":{...}} → Status, as in the table above.
Status JetStreamError(const nlohmann::json& error);

// An API reply: the JSON, or its error as a Status; ProtocolError if it is not JSON.
Result<nlohmann::json> ParseApiReply(std::string_view data);
// A PubAck's stream sequence number. The common answer, {"stream":"S","seq":N} with no
// "error", is read without a JSON parser (one per published record); anything else goes
// through ParseApiReply, errors included.
Result<uint64_t> ParsePubAck(std::string_view data);

// The STREAM.CREATE body for `settings`.
nlohmann::json StreamConfigJson(const StreamSettings& settings);

// The "state" object of a stream info reply.
StreamState ParseStreamState(const nlohmann::json& state);
// A STREAM.INFO, CREATE or UPDATE reply: its state, creation time, subjects and description.
StreamState ParseStreamInfo(const nlohmann::json& reply);

// How an existing stream's "config" differs from `want` ("" if in nothing EnsureStream
// manages), e.g. "subjects [a.>] → [a.>, b.>], max_bytes -1 → 1048576". *fixed is set
// when the difference is in retention or storage, which no update can change.
std::string StreamDifference(const StreamSettings& want, const nlohmann::json& have, bool* fixed);

// `have` with the fields EnsureStream manages set from `want`: the STREAM.UPDATE body.
nlohmann::json UpdatedStreamConfig(const StreamSettings& want, nlohmann::json have);

// The CONSUMER.DURABLE.CREATE body: a durable pull consumer, explicit acks, deliver all.
nlohmann::json ConsumerCreateJson(std::string_view stream, const ConsumerSettings& settings);

// How an existing consumer's "config" differs in what EnsureConsumer manages ("" if not).
// *fixed is set for a push consumer or another ack policy, which no update can change.
std::string ConsumerDifference(const ConsumerSettings& want, const nlohmann::json& have,
                               bool* fixed);

struct AckMetadata {
  std::string domain;  // "" when the subject has none (or "_")
  std::string stream, consumer;
  uint64_t deliveries = 0, stream_seq = 0, consumer_seq = 0, pending = 0;
  int64_t timestamp_ns = 0;
};
// Either form above; ProtocolError for anything else.
Result<AckMetadata> ParseAckSubject(std::string_view subject);

}  // namespace tributary::nats
