// A blocking MQTT client on the codec, for exact protocol checks in socket tests: it
// sends any packet (or raw bytes) and reads packets back with a timeout. Plain TCP on
// loopback only. Not thread-safe; one per test thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "mqtt/packet.h"

namespace tributary::broker::testing {

class TestClient {
 public:
  // Opens a TCP connection to 127.0.0.1:port (no MQTT yet).
  static Result<std::unique_ptr<TestClient>> Open(int port);
  // Opens and completes CONNECT/CONNACK; fails unless the CONNACK reason is success.
  static Result<std::unique_ptr<TestClient>> Connected(int port, mqtt::Connect connect);
  ~TestClient();

  mqtt::Version version = mqtt::Version::kV5;

  Status Send(const mqtt::Packet& packet);
  Status SendRaw(std::string_view bytes);
  // The next packet within `timeout_ms`: kDeadlineExceeded on timeout, kUnavailable when
  // the broker closed the connection, kProtocolError if the bytes do not decode.
  Result<mqtt::Packet> Receive(int timeout_ms = 2000);
  // The next packet of type T, skipping none: fails if another type arrives first.
  template <typename T>
  Result<T> Expect(int timeout_ms = 2000) {
    TRY_ASSIGN(mqtt::Packet p, Receive(timeout_ms));
    if (auto* v = std::get_if<T>(&p)) return std::move(*v);
    return ProtocolError(std::string("expected another packet type, got ") +
                         mqtt::PacketTypeName(mqtt::TypeOf(p)));
  }
  // True when the broker closes the connection within `timeout_ms` (packets received
  // meanwhile are discarded).
  bool WaitClosed(int timeout_ms = 2000);

  // Subscribe to one filter and wait for the SUBACK; returns its first reason code.
  Result<mqtt::ReasonCode> Subscribe(const std::string& filter, mqtt::QoS qos,
                                     uint32_t subscription_id = 0);
  // QoS 0/1/2 publish including the acknowledgement flow (PUBACK, or PUBREC/PUBREL/PUBCOMP);
  // returns the reason code of the PUBACK / PUBREC.
  Result<mqtt::ReasonCode> Publish(const std::string& topic, const std::string& payload,
                                   mqtt::QoS qos, bool retain = false);

 private:
  explicit TestClient(int fd) : fd_(fd) {}
  int fd_;
  std::string buf_;
  uint16_t next_id_ = 1;
};

}  // namespace tributary::broker::testing
