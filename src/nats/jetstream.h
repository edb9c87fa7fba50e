// A thin JetStream helper over a Connection: make sure a stream and a durable pull
// consumer exist as configured, publish with a PubAck, pull batches, and ack.
//
//   JetStream js(nc.get());
//   TRY(js.EnsureStream({.name = "TELEMETRY", .subjects = {"telemetry.>"}}).status());
//   TRY(js.EnsureConsumer("TELEMETRY", {.durable = "lake-writer", .ack_wait_ms = 60000}));
//   js.Publish("telemetry.dev-1", payload, nullptr, 5000, [](const Status& st, uint64_t seq) { ...
//   }); js.Fetch("TELEMETRY", "lake-writer", 100, 1000,
//            [&](Delivered& d) { ...; (void)js.Ack(d.ack_subject); },
//            [](const Status& st) { ... });
//
// Threads: the blocking calls (Ensure*, StreamInfo, DeleteStream) wait for the server's
// reply and must not be made from a connection callback (they return FailedPrecondition
// there). Publish, Fetch, Ack, InProgress and Nak never block; their callbacks run on the
// connection's I/O thread, and may call Publish, Fetch, Ack, InProgress and Nak. A
// JetStream object holds no state of its own beyond its settings: it may be shared by
// threads, and destroyed while a Publish or Fetch is outstanding (the Connection may not).
//
// Server behaviour (nats-server 2.9.10) a caller should know:
// - Fetch's pull is held by the server until `batch` messages were delivered or `expires`
//   passed, so `done` comes at the latest `expires_ms` later when fewer messages are
//   there; each message reaches `on_message` as soon as it arrives.
// - Acks are fire-and-forget PUBs: OK means queued, not processed; a lost ack means a
//   redelivery after ack_wait, so consumers must tolerate duplicates (deliveries > 1).
// - The server does not answer a pull on a consumer that does not exist; Fetch then asks
//   for the consumer's info after its own timeout and says NotFound.
// - A standalone server refuses to create a stream with replicas > 1, but accepts an
//   update of an existing stream to replicas 3 and reports 3 from then on: EnsureStream
//   cannot tell, so do not raise replicas on a server that is not clustered.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "nats/connection.h"
#include "nats/jetstream_types.h"

namespace tributary::nats {

class JetStream {
 public:
  // `c` must outlive this and every call made through it.
  explicit JetStream(Connection* c, int64_t timeout_ms = 5000, std::string api_prefix = "$JS.API");

  // STREAM.INFO, else STREAM.CREATE. An existing stream whose subjects, replicas,
  // max_bytes, max_msg_size or discard differ is updated (STREAM.UPDATE); one whose
  // retention or storage differ (which no update can change), or whose update the server
  // refuses, gives FailedPrecondition saying what differs.
  Result<StreamState> EnsureStream(const StreamSettings& settings);
  // The same, but an existing stream's state is first shown to `adjust`, which may change
  // the settings wanted of it (to keep something another server set, say): one STREAM.INFO
  // serves both. `adjust` is not called when the stream is made.
  using AdjustSettings = std::function<void(const StreamState& have, StreamSettings* want)>;
  Result<StreamState> EnsureStream(StreamSettings settings, const AdjustSettings& adjust);
  // STREAM.CREATE alone: the server makes the stream, or answers with the one there if its
  // settings are the same; AlreadyExists if one of that name has other settings, which is
  // left as it is. What tells two servers making a stream at once apart: only one of
  // two different settings can win.
  Result<StreamState> CreateStream(const StreamSettings& settings);
  Result<StreamState> StreamInfo(std::string_view stream);  // NotFound if absent
  Status DeleteStream(std::string_view stream);             // NotFound if absent

  // A durable pull consumer with explicit acks delivering everything
  // ($JS.API.CONSUMER.DURABLE.CREATE.<stream>.<durable>); an existing one whose ack_wait,
  // max_ack_pending or max_deliver differ is updated. FailedPrecondition if it exists as
  // a push consumer or with another ack policy; NotFound if the stream does not exist.
  Status EnsureConsumer(std::string_view stream, const ConsumerSettings& settings);

  // Publishes with a reply inbox; `done(status, stream_seq)` runs once, on the PubAck
  // ({"stream":..,"seq":N}) or the failure: a JetStream error reply as JetStreamError
  // says (maximum bytes/messages exceeded → ResourceExhausted); no stream for the subject
  // → Unavailable("JetStream is not available for <subject>"); timeout or lost connection
  // → Unavailable. Runs on the caller's thread if the message cannot be sent at all.
  void Publish(std::string_view subject, std::string_view data, const Headers* headers,
               int64_t timeout_ms, std::function<void(const Status&, uint64_t)> done);

  // Pulls up to `batch` messages, waiting up to `expires_ms` for them; with `max_bytes`
  // > 0, no more bytes than that (the server stops before a message that would pass it).
  // Each message goes to `on_message` (with its ack subject parsed); a 404/408 status reply
  // ("no messages", the pull expired) ends the fetch with OK, as does reaching `batch` or
  // `max_bytes`; another 409 (consumer deleted, too many pulls waiting, limits) ends it
  // with FailedPrecondition or NotFound. `done` runs exactly once, at the end. Messages
  // are not acked: call Ack (or Nak, or InProgress) for each.
  void Fetch(std::string_view stream, std::string_view consumer, int batch, int64_t expires_ms,
             std::function<void(Delivered&)> on_message, std::function<void(const Status&)> done,
             int64_t max_bytes = 0);

  Status Ack(const std::string& ack_subject);         // "+ACK": done with it
  Status InProgress(const std::string& ack_subject);  // "+WPI": restarts its ack_wait
  Status Nak(const std::string& ack_subject);         // "-NAK": deliver it again now

 private:
  // A synchronous API call: $JS.API.<suffix> with `body`; the reply's JSON or its error.
  Result<nlohmann::json> Call(const std::string& suffix, const std::string& body);
  Status SendAck(const std::string& ack_subject, std::string_view what);

  Connection* const conn_;
  const int64_t timeout_ms_;
  const std::string prefix_;  // "$JS.API"
};

}  // namespace tributary::nats
