// A minimal asynchronous MQTT client for the load generator: one TCP connection,
// CONNECT/CONNACK, then packets in and out through the project's codec (mqtt/codec.h).
// It does no retries and no session handling: the load generator drives the protocol
// itself and wants to see every failure. With a keep alive it sends PINGREQ every
// half keep-alive period and swallows the PINGRESPs.
//
// Writes are batched: packets sent by one handler, or while a write is in flight, are
// appended to a pending buffer and go out together in one write, so a publisher that
// sends a burst costs one system call, not one per packet.
//
// Thread-safety: none. A client and every handler it calls live on the one thread
// that runs its io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/packet.h"

namespace tributary::bench {

struct ClientOptions {
  mqtt::Version version = mqtt::Version::kV311;
  std::string client_id;
  uint16_t keep_alive_s = 0;                   // 0: no keep alive, no PINGREQ
  std::optional<boost::asio::ip::address> source;  // local address to bind, if any
  size_t read_buffer_bytes = 4096;             // initial size; grows for larger packets
  uint16_t receive_maximum = 0;                // v5 CONNECT property when non-zero
};

class BenchClient {
 public:
  // Called for every packet after the CONNACK.
  using PacketHandler = std::function<void(mqtt::Packet& packet)>;
  // Called once when the client fails or the broker closes the connection; `what`
  // says which client and what went wrong.
  using ErrorHandler = std::function<void(const std::string& what)>;
  // Called once with an empty string when the CONNACK accepted the client, or with
  // the reason it did not.
  using ConnectHandler = std::function<void(const std::string& error)>;

  BenchClient(boost::asio::io_context& io, ClientOptions options);
  BenchClient(const BenchClient&) = delete;
  BenchClient& operator=(const BenchClient&) = delete;

  void set_on_packet(PacketHandler h) { on_packet_ = std::move(h); }
  void set_on_error(ErrorHandler h) { on_error_ = std::move(h); }

  // Connects the socket, sends CONNECT and waits for CONNACK.
  void Start(const boost::asio::ip::tcp::endpoint& broker, ConnectHandler on_connected);

  // Encodes `packet` and queues it for writing. Ignored once the client is closed.
  void Send(const mqtt::Packet& packet);

  // Sends DISCONNECT (when connected) and closes the socket after it is written.
  void Disconnect();
  // Closes the socket now; no handler is called afterwards.
  void Close();

  bool connected() const { return connected_ && !closed_; }
  bool closed() const { return closed_; }
  const std::string& client_id() const { return options_.client_id; }

 private:
  void SendConnect();
  void Read();
  void OnRead(size_t n);
  bool HandleFrames();  // false once the client failed
  void Flush();
  void Fail(const std::string& what);
  void SchedulePing();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer ping_timer_;
  ClientOptions options_;
  PacketHandler on_packet_;
  ErrorHandler on_error_;
  ConnectHandler on_connected_;
  std::vector<uint8_t> in_;
  size_t in_begin_ = 0;  // first unconsumed byte
  size_t in_end_ = 0;    // one past the last byte read
  std::string out_pending_;
  std::string out_writing_;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool connected_ = false;
  bool closed_ = false;
  bool close_after_write_ = false;
};

}  // namespace tributary::bench
