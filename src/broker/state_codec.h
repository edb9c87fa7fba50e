// Binary encodings of sessions, messages and delayed wills for the state store
// (state_store.h).
//
// All integers big-endian; strings are a u32 length then bytes.
//   message  := u8 version(1) u8 qos u8 retain str origin_client_id i64 received_at_ms
//               u8 has_expiry i64 expires_at_ms str publish
//     where `publish` is the MQTT 5 encoding (codec.h) of a QoS 0 PUBLISH carrying the
//     topic, payload and forwarded properties, so properties need no second format.
//   session  := u8 version(1) str client_id u8 protocol u32 expiry_s i64 disconnected_at_ms
//               u16 next_packet_id
//               u32 n { str filter u8 options u32 subscription_id }          subscriptions
//               u32 n { u8 state u16 packet_id u8 qos u8 retain u32 k { u32 sub_id }
//                       u8 has_message [message] }                            in flight, queue
//               u32 n { u16 packet_id }                                       inbound QoS 2
//   will     := u8 version(1) str client_id i64 due_ms u8 qos u8 retain str thing
//               str principal str publish
//   options  := bits 0-1 max QoS, 2 no local, 3 retain as published, 4-5 retain handling
// QoS 0 entries of the queue are not written. Decoding checks every length and returns
// kDataLoss naming the field that was cut short or out of range.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "broker/message.h"
#include "broker/session.h"
#include "broker/will_state.h"

namespace tributary::broker {

std::string EncodeMessage(const Message& m);
Result<MessagePtr> DecodeMessage(std::string_view data);

std::string EncodeSession(const SessionState& s);
Result<SessionState> DecodeSession(std::string_view data);

std::string EncodeWill(const WillState& s);
Result<WillState> DecodeWill(std::string_view data);

uint8_t PackOptions(const mqtt::SubscribeOptions& o);
mqtt::SubscribeOptions UnpackOptions(uint8_t b);

}  // namespace tributary::broker
