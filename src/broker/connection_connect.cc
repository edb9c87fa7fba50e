// CONNECT handling: validation, authentication, session open / takeover, CONNACK.
//
//   situation                                     v5 CONNACK reason       3.1.1 return code
//   protocol level not 4 or 5                     0x84 Unsupported        1
//   malformed CONNECT                             0x81 Malformed          (closed, no CONNACK)
//   empty client id with clean session = 0        -                       2
//   Authorizer: kUnauthenticated                  0x86 Bad user/password  4
//   Authorizer: kPermissionDenied                 0x87 Not authorized     5
//   Authorizer: kInvalidArgument                  0x85 Client id invalid  2
//   will topic not allowed to be published        0x87 Not authorized     5
//   authentication method set (enhanced auth)     0x8C Bad auth method    -
#include <algorithm>

#include "base/clock.h"
#include "base/ids.h"
#include "broker/connection.h"
#include "mqtt/topic.h"

namespace tributary::broker {
namespace {

mqtt::ReasonCode ReasonForAuthError(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnauthenticated: return mqtt::ReasonCode::kBadUserNameOrPassword;
    case ErrorCode::kPermissionDenied: return mqtt::ReasonCode::kNotAuthorized;
    case ErrorCode::kInvalidArgument: return mqtt::ReasonCode::kClientIdentifierNotValid;
    case ErrorCode::kUnavailable: return mqtt::ReasonCode::kServerUnavailable;
    default: return mqtt::ReasonCode::kNotAuthorized;
  }
}

// The protocol level byte of a CONNECT, or -1 if the bytes are too short to tell.
int ProtocolLevel(const uint8_t* data, size_t size) {
  size_t i = 1;
  while (i < size && i < 5 && (data[i] & 0x80) != 0) ++i;
  ++i;  // past the last remaining-length byte
  if (i + 2 > size) return -1;
  size_t name_len = (size_t{data[i]} << 8) | data[i + 1];
  size_t level_at = i + 2 + name_len;
  return level_at < size ? data[level_at] : -1;
}

}  // namespace

void Connection::HandleBadConnect(const uint8_t* data, size_t size, mqtt::ReasonCode reason,
                                  const std::string& why) {
  core_->metrics.protocol_errors->Add(1);
  core_->log->info("bad CONNECT remote={} reason={} detail=\"{}\"",
                   transport_->peer().remote_address, mqtt::ReasonCodeName(reason), why);
  if (size == 0 || (data[0] >> 4) != static_cast<uint8_t>(mqtt::PacketType::kConnect)) {
    Terminate();  // not a CONNECT at all: close without answering
    return;
  }
  int level = ProtocolLevel(data, size);
  if (reason == mqtt::ReasonCode::kUnsupportedProtocolVersion || (level != 4 && level != 5)) {
    version_ = level == 5 ? mqtt::Version::kV5 : mqtt::Version::kV311;
    RefuseConnect(mqtt::ReasonCode::kUnsupportedProtocolVersion, "");
    return;
  }
  if (level == 5) {
    version_ = mqtt::Version::kV5;
    RefuseConnect(reason, "");
    return;
  }
  Terminate();  // 3.1.1 has no return code for a malformed CONNECT
}

void Connection::RefuseConnect(mqtt::ReasonCode reason, const std::string& why) {
  if (!why.empty()) {
    core_->log->info("CONNECT refused client_id={} remote={} reason={} detail=\"{}\"",
                     client_id_, transport_->peer().remote_address,
                     mqtt::ReasonCodeName(reason), why);
  }
  mqtt::Connack ack;
  ack.reason = reason;
  if (version_ == mqtt::Version::kV5 && !why.empty() &&
      (client_max_packet_size_ == 0 || why.size() + 16 < client_max_packet_size_)) {
    ack.properties.reason_string = why;
  }
  Send(ack);
  CloseAfterWrite();
}

void Connection::HandleConnect(mqtt::Connect&& c) {
  const BrokerOptions& opt = core_->options;
  version_ = c.version;
  bool assigned_id = false;
  if (c.client_id.empty()) {
    if (version_ == mqtt::Version::kV311 && !c.clean_start) {
      RefuseConnect(mqtt::ReasonCode::kClientIdentifierNotValid,
                    "an empty client id needs clean session = 1");
      return;
    }
    c.client_id = "auto-" + RandomHex(8);
    assigned_id = true;
  }
  client_id_ = c.client_id;
  const mqtt::Properties& pr = c.properties;
  uint16_t receive_maximum = 65535;
  if (version_ == mqtt::Version::kV5) {
    if (pr.receive_maximum && *pr.receive_maximum == 0) {
      RefuseConnect(mqtt::ReasonCode::kProtocolError, "CONNECT: Receive Maximum is 0");
      return;
    }
    if (pr.maximum_packet_size && *pr.maximum_packet_size == 0) {
      RefuseConnect(mqtt::ReasonCode::kProtocolError, "CONNECT: Maximum Packet Size is 0");
      return;
    }
    if (pr.authentication_method) {
      RefuseConnect(mqtt::ReasonCode::kBadAuthenticationMethod,
                    "enhanced authentication is not supported");
      return;
    }
    receive_maximum = pr.receive_maximum.value_or(65535);
    client_max_packet_size_ = pr.maximum_packet_size.value_or(0);
  }
  if (c.will && !mqtt::IsValidTopicName(c.will->topic)) {
    RefuseConnect(mqtt::ReasonCode::kTopicNameInvalid, "CONNECT: invalid will topic");
    return;
  }

  const net::TransportPeer& peer = transport_->peer();
  ClientIdentity id;
  id.client_id = client_id_;
  id.username = c.username;
  id.password = c.password;
  if (peer.certificate && peer.certificate->present) {
    id.cert_common_name = peer.certificate->common_name;
    id.cert_sha256 = peer.certificate->sha256;
  }
  id.listener = peer.listener;
  id.remote_address = peer.remote_address;
  auto auth = core_->auth->Authenticate(id);
  if (!auth.ok()) {
    core_->metrics.auth_failures->Add(1);
    RefuseConnect(ReasonForAuthError(auth.status().code()), auth.status().message());
    return;
  }
  grant_ = std::move(auth).value();
  // As AWS IoT's principal(): a certificate's thumbprint (the certificate id), else who the
  // Authorizer checked.
  principal_ = id.cert_sha256.empty() ? grant_->principal() : id.cert_sha256;
  if (c.will && !grant_->CanPublish(c.will->topic)) {
    core_->metrics.publish_denied->Add(1);
    RefuseConnect(mqtt::ReasonCode::kNotAuthorized,
                  "will topic '" + c.will->topic + "' may not be published by this client");
    return;
  }

  uint32_t expiry;
  bool expiry_lowered = false;
  if (version_ == mqtt::Version::kV311) {
    expiry = c.clean_start ? 0 : opt.max_session_expiry_s;
  } else {
    expiry = pr.session_expiry_interval.value_or(0);
    if (expiry > opt.max_session_expiry_s) {
      expiry = opt.max_session_expiry_s;
      expiry_lowered = true;
    }
  }
  session_expiry_s_ = expiry;
  connect_expiry_zero_ = expiry == 0;
  keep_alive_s_ = c.keep_alive;
  if (c.will) will_ = std::make_unique<mqtt::Will>(std::move(*c.will));
  topic_aliases_.reset();  // made on the first alias a client sets (most never do)

  // The broker caps the messages in flight to the client too: an MQTT 3.1.1 client
  // states no limit, and a window of 65535 holds that many messages for one slow
  // subscriber beyond its queue.
  receive_maximum = std::min(receive_maximum, opt.max_inflight_to_client);
  auto open = core_->OpenSession(client_id_, c.clean_start, shared_from_this(), version_,
                                 receive_maximum, expiry);
  session_ = std::move(open.session);
  core_->CancelWill(client_id_);
  if (open.previous) open.previous->Kick(mqtt::ReasonCode::kSessionTakenOver);

  mqtt::Connack ack;
  ack.session_present = open.present;
  if (version_ == mqtt::Version::kV5) {
    mqtt::Properties& p = ack.properties;
    p.receive_maximum = opt.receive_maximum;
    p.topic_alias_maximum = opt.topic_alias_maximum;
    p.maximum_packet_size = core_->max_packet_size();
    p.retain_available = 1;
    p.wildcard_subscription_available = 1;
    p.shared_subscription_available = 1;
    p.subscription_identifier_available = 1;
    // Maximum QoS is left out on purpose: its absence means QoS 2 (the property may only
    // carry 0 or 1).
    if (assigned_id) p.assigned_client_identifier = client_id_;
    if (expiry_lowered) p.session_expiry_interval = expiry;
  }
  Send(ack);
  state_ = State::kConnected;
  transport_->EndHandshake();  // out of the per-address handshake cap
  registered_ = true;
  core_->AddConnection(this, weak_from_this(), grant_->thing());
  core_->metrics.connections_total->Add(1);
  if (core_->connect_observer) core_->connect_observer(client_id_);
  core_->log->info(
      "client connected client_id={} remote={} listener={} version={} clean_start={} "
      "session_present={} keep_alive={} thing={}",
      client_id_, peer.remote_address, peer.listener, version_ == mqtt::Version::kV5 ? 5 : 4,
      c.clean_start, open.present, keep_alive_s_, grant_->thing());
  Flush();
}

void Connection::HandleDisconnect(const mqtt::Disconnect& d) {
  if (version_ == mqtt::Version::kV5) {
    if (d.properties.session_expiry_interval) {
      if (connect_expiry_zero_ && *d.properties.session_expiry_interval != 0) {
        Fail(mqtt::ReasonCode::kProtocolError,
             "DISCONNECT sets a session expiry after CONNECT had 0");
        return;
      }
      session_expiry_s_ = std::min(*d.properties.session_expiry_interval,
                                   core_->options.max_session_expiry_s);
      session_->set_expiry_interval_s(session_expiry_s_);
    }
    if (d.reason == mqtt::ReasonCode::kDisconnectWithWill) {
      Terminate();  // publish_will_ stays set
      return;
    }
  }
  publish_will_ = false;
  will_.reset();
  Terminate();
}

}  // namespace tributary::broker
