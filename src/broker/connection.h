// One MQTT network connection: reads and frames packets, dispatches them by type
// (connection_connect.cc, connection_publish.cc, connection_subscribe.cc), and writes
// everything it has to send in batches (packets queued while a write is in flight go
// out together in the next async write).
//
// Life cycle:  await CONNECT --CONNECT ok--> connected --DISCONNECT / error / kick--> closed
// A connection that sends no CONNECT within options.connect_timeout_ms, or nothing for
// 1.5 x its keep alive, is closed; so is one that has not taken its last packet (a
// DISCONNECT or refusing CONNACK) 2 s after it was sent. Its I/O thread's DeadlineSweep
// checks these deadlines, 4 times a second. Any malformed or unexpected packet closes this
// connection only: v5 clients first get a DISCONNECT (or, for an error in CONNECT, a
// CONNACK) with the reason code; 3.1.1 clients are just disconnected.
//
// Thread-safety: lives on its transport's io_context; every handler runs there. Wake()
// and Kick() may be called from any thread (they post).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/broker_core.h"
#include "broker/session.h"
#include "mqtt/packet.h"
#include "net/mqtt_transport.h"

namespace tributary::broker {

class Connection : public SessionSink, public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<BrokerCore> core, std::unique_ptr<net::MqttTransport> transport);
  ~Connection() override;

  // Starts reading and the CONNECT timeout. Call on the transport's io_context.
  void Start();

  // SessionSink
  void Wake() override;
  bool Accept(const Message& msg, mqtt::QoS qos, bool retain,
              const std::vector<uint32_t>& subscription_ids) override;
  void Kick(mqtt::ReasonCode reason) override;

  // From the DeadlineSweep: acts on a deadline that has passed by `now_ns`
  // (SteadyNanos()); false once the connection is closed (stop watching it).
  bool OnSweep(int64_t now_ns);

 private:
  enum class State : uint8_t { kAwaitConnect, kConnected, kClosing, kClosed };

  // I/O. With nothing partial in rbuf_ and a transport that can wait for readability
  // (plain TCP), a read goes into the thread's buffer (OnReadable), and only the start of
  // a packet that has not wholly arrived is kept in rbuf_; otherwise into rbuf_ (OnRead).
  void DoRead();
  void OnReadable(const boost::system::error_code& ec);
  void OnRead(const boost::system::error_code& ec, size_t n);
  // A read error or end of stream: the connection is over.
  void OnReadError(const boost::system::error_code& ec);
  void NoteReceived(size_t n);
  // Handles the complete packets at the start of `data`; returns the bytes they took.
  size_t HandleFrames(std::span<const uint8_t> data);
  void Send(const mqtt::Packet& packet);
  void StartWrite();
  void OnWrite(const boost::system::error_code& ec, size_t n);
  void Flush();

  // Closing. Fail: a protocol violation or server decision; the will is published.
  void Fail(mqtt::ReasonCode reason, const std::string& why);
  // Closes once the packets queued now are written, or after 2 s.
  void CloseAfterWrite();
  void Terminate();

  // Packets (connection_*.cc)
  void Handle(mqtt::Packet&& packet);
  void HandleConnect(mqtt::Connect&& c);
  void RefuseConnect(mqtt::ReasonCode reason, const std::string& why);
  void HandleBadConnect(const uint8_t* data, size_t size, mqtt::ReasonCode reason,
                        const std::string& why);
  void HandlePublish(mqtt::Publish&& p);
  void AcceptPublish(mqtt::Publish&& p, uint16_t packet_id);
  // Runs on the connection's thread: the interceptor verdicts queued since the last drain.
  void DrainInterceptorVerdicts();
  void HandleAck(const mqtt::PubAck& a);
  void HandleSubscribe(mqtt::Subscribe&& s);
  void HandleUnsubscribe(mqtt::Unsubscribe&& u);
  void HandleDisconnect(const mqtt::Disconnect& d);
  void PublishWill();

  std::shared_ptr<BrokerCore> core_;
  std::unique_ptr<net::MqttTransport> transport_;

  std::vector<uint8_t> rbuf_;  // empty while a TCP connection has nothing partial
  size_t rlen_ = 0;
  // Made by the first packet to send, released after a small write that leaves nothing
  // to send (OnWrite): an idle connection holds none.
  struct WriteBuffers {
    std::string pending;  // encoded packets waiting for the next write
    std::string writing;  // the buffer of the write in flight
  };
  std::unique_ptr<WriteBuffers> out_;
  size_t PendingBytes() const { return out_ ? out_->pending.size() : 0; }
  int64_t read_busy_ns_ = 0;   // the last read that needed a grown read buffer
  int64_t write_busy_ns_ = 0;  // the last write larger than a quarter of the kept capacity
  // kAwaitConnect: when the CONNECT is due; kClosing: when to stop waiting for the write.
  int64_t deadline_ns_ = 0;
  int64_t last_rx_ns_ = 0;
  int64_t last_rx_wall_ms_ = 0;  // the same read's Unix time: the receive time of its PUBLISH

  // Set by CONNECT.
  std::string client_id_;
  std::shared_ptr<const ClientGrant> grant_;
  // Who the client authenticated as (InboundMessage::principal): its certificate's
  // thumbprint, else the grant's principal().
  std::string principal_;
  std::shared_ptr<Session> session_;
  // The session after the connection closed (session_ is reset then): a QoS 2 message
  // refused later lets its identifier go there.
  std::weak_ptr<Session> former_session_;
  // On the heap: a Will takes about 560 bytes, and most connections have none.
  std::unique_ptr<mqtt::Will> will_;
  // Client -> server, index = alias; made by the first PUBLISH that sets an alias.
  std::unique_ptr<std::vector<std::string>> topic_aliases_;
  uint32_t client_max_packet_size_ = 0;  // 0: no limit announced
  uint32_t session_expiry_s_ = 0;
  uint32_t pending_inbound_ = 0;  // QoS 1/2 waiting for the interceptor
  uint32_t pending_inbound_qos2_ = 0;  // of which QoS 2 (their identifiers held already)
  uint16_t keep_alive_s_ = 0;
  mqtt::Version version_ = mqtt::Version::kV5;
  State state_ = State::kAwaitConnect;
  bool connect_expiry_zero_ = true;
  bool write_in_flight_ = false;
  bool close_after_write_ = false;
  bool registered_ = false;
  bool taken_over_ = false;
  bool publish_will_ = true;  // cleared by a normal DISCONNECT, server shutdown

  // Interceptor verdicts arrive from other threads (a stream's WAL writer finishes a
  // whole group commit at once): they are queued here and drained by one posted handler,
  // so a burst costs one hand-off and one write rather than one of each per message.
  struct Verdict {
    MessagePtr msg;  // to route once accepted; null if routed already or nobody could receive it
    uint16_t packet_id;
    mqtt::QoS qos;
    PublishVerdict verdict;
    bool retain_only = false;  // `msg` was delivered already: only the retained store waits
  };
  struct VerdictQueue {
    std::mutex mu;
    std::vector<Verdict> queued;  // mu
    std::vector<Verdict> batch;   // the drain's, swapped with `queued` (keeps capacity)
    bool drain_posted = false;    // mu
  };
  // Routes an accepted message and queues its acknowledgement for the next write (the
  // drain's, or the read loop's for a verdict given during OnPublish).
  void OnInterceptorDone(Verdict& v);
  // Answers a QoS 1/2 PUBLISH with its verdict: the acknowledgement, with the refusal's
  // reason in MQTT 5; a refused 3.1.1 connection is closed (the client sends it again).
  void Acknowledge(mqtt::PacketType type, uint16_t packet_id, PublishVerdict verdict);
  // For a resent QoS 2 PUBLISH whose first copy's verdict is still to come: answers it
  // with that verdict, on this connection's thread, if the client is still here.
  Session::Qos2Waiter ResendWaiter(uint16_t packet_id);
  // Made on the connection's thread before the first message goes to the interceptor,
  // kept until the connection is destroyed (other threads reach it through the verdict
  // callbacks, which hold the connection).
  std::unique_ptr<VerdictQueue> verdicts_;
};

}  // namespace tributary::broker
