// The plain data of the JetStream helper (jetstream.h): what a stream and a consumer
// should look like, a stream's state, and a message delivered by a pull.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nats/message.h"

namespace tributary::nats {

struct StreamSettings {
  std::string name;
  std::vector<std::string> subjects;
  std::string retention = "workqueue";  // limits | interest | workqueue (fixed once created)
  std::string storage = "file";         // file | memory (fixed once created)
  int replicas = 1;
  int64_t max_bytes = -1;     // -1: unlimited
  int32_t max_msg_size = -1;  // -1: up to the server's max_payload
  // What a full stream does: "new" refuses the publish (ResourceExhausted, so that
  // producers push back), "old" drops the oldest messages to make room.
  std::string discard = "new";
  // Free text the stream carries for whoever reads its info ("": none). Initialised so
  // that designated initialisers may leave it out.
  std::string description{};
};

struct StreamState {
  uint64_t messages = 0, bytes = 0, first_seq = 0, last_seq = 0;
  int consumers = 0;
  // When the stream was made (RFC 3339, STREAM.INFO's "created"): the same for every
  // client, and new if the stream is deleted and made again.
  std::string created;
  // Its configuration as the server reports it: the subjects it takes and its description.
  std::vector<std::string> subjects;
  std::string description;
};

// A durable pull consumer with explicit acks, delivering everything in the stream.
struct ConsumerSettings {
  std::string durable;
  int64_t ack_wait_ms = 30000;        // unacked this long: delivered again
  int64_t max_ack_pending = 1000000;  // delivered and unacked at most; then pulls wait
  int64_t max_deliver = -1;           // -1: redelivered forever
};

// One message from a pull, with what its ack subject says.
struct Delivered {
  uint64_t stream_seq = 0, consumer_seq = 0, deliveries = 0;  // deliveries: 1 the first time
  int64_t timestamp_ns = 0;  // when the stream stored it, Unix nanoseconds
  uint64_t pending = 0;      // messages left for the consumer after this one
  std::string ack_subject;   // for Ack, InProgress, Nak
  Message msg;               // msg.subject is the subject it was published to
};

}  // namespace tributary::nats
