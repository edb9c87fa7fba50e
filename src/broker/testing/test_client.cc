#include "broker/testing/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "mqtt/codec.h"

namespace tributary::broker::testing {

Result<std::unique_ptr<TestClient>> TestClient::Open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return IoError(std::string("test client: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return Unavailable("test client: connect to 127.0.0.1:" + std::to_string(port) + ": " +
                       std::strerror(e));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::unique_ptr<TestClient>(new TestClient(fd));
}

Result<std::unique_ptr<TestClient>> TestClient::Connected(int port, mqtt::Connect connect) {
  TRY_ASSIGN(auto c, Open(port));
  c->version = connect.version;
  TRY(c->Send(connect));
  TRY_ASSIGN(auto ack, c->Expect<mqtt::Connack>());
  if (ack.reason != mqtt::ReasonCode::kSuccess) {
    return Unavailable(std::string("test client: CONNACK refused: ") +
                       mqtt::ReasonCodeName(ack.reason));
  }
  return c;
}

TestClient::~TestClient() { ::close(fd_); }

Status TestClient::Send(const mqtt::Packet& packet) {
  std::string out;
  mqtt::Encode(packet, version, &out);
  return SendRaw(out);
}

Status TestClient::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("test client: send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<mqtt::Packet> TestClient::Receive(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::span<const uint8_t> avail(reinterpret_cast<const uint8_t*>(buf_.data()), buf_.size());
    auto f = mqtt::FrameSize(avail, 256 * 1024 * 1024);
    if (f.complete) {
      if (f.error) return ProtocolError("test client: bad frame: " + f.error->message);
      auto d = mqtt::Decode(avail.first(f.size), version);
      buf_.erase(0, f.size);
      if (auto* e = std::get_if<mqtt::DecodeError>(&d)) {
        return ProtocolError("test client: cannot decode: " + e->message);
      }
      return std::get<mqtt::Packet>(std::move(d));
    }
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) return Status(ErrorCode::kDeadlineExceeded, "test client: no packet in time");
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return Status(ErrorCode::kDeadlineExceeded, "test client: no packet in time");
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return Unavailable("test client: connection closed by the broker");
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

bool TestClient::WaitClosed(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = Receive(static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count()) + 1);
    if (!r.ok() && r.status().code() == ErrorCode::kUnavailable) return true;
    if (!r.ok() && r.status().code() == ErrorCode::kDeadlineExceeded) return false;
  }
  return false;
}

Result<mqtt::ReasonCode> TestClient::Subscribe(const std::string& filter, mqtt::QoS qos,
                                               uint32_t subscription_id) {
  mqtt::Subscribe s;
  s.packet_id = next_id_++;
  mqtt::SubscribeOptions o;
  o.max_qos = qos;
  s.filters.emplace_back(filter, o);
  if (subscription_id != 0) s.properties.subscription_identifiers.push_back(subscription_id);
  TRY(Send(s));
  TRY_ASSIGN(auto ack, Expect<mqtt::Suback>());
  if (ack.packet_id != s.packet_id || ack.reasons.size() != 1) {
    return ProtocolError("test client: SUBACK does not match the SUBSCRIBE");
  }
  return ack.reasons[0];
}

Result<mqtt::ReasonCode> TestClient::Publish(const std::string& topic, const std::string& payload,
                                             mqtt::QoS qos, bool retain) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  p.qos = qos;
  p.retain = retain;
  if (qos != mqtt::QoS::kAtMostOnce) p.packet_id = next_id_++;
  TRY(Send(p));
  if (qos == mqtt::QoS::kAtMostOnce) return mqtt::ReasonCode::kSuccess;
  TRY_ASSIGN(auto ack, Expect<mqtt::PubAck>());
  if (ack.packet_id != p.packet_id) return ProtocolError("test client: ack for another id");
  if (qos == mqtt::QoS::kExactlyOnce && !mqtt::IsError(ack.reason)) {
    if (ack.type != mqtt::PacketType::kPubrec) return ProtocolError("test client: expected PUBREC");
    mqtt::PubAck rel;
    rel.type = mqtt::PacketType::kPubrel;
    rel.packet_id = p.packet_id;
    TRY(Send(rel));
    TRY_ASSIGN(auto comp, Expect<mqtt::PubAck>());
    if (comp.type != mqtt::PacketType::kPubcomp) {
      return ProtocolError("test client: expected PUBCOMP");
    }
  }
  return ack.reason;
}

}  // namespace tributary::broker::testing
