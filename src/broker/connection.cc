#include "broker/connection.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "broker/deadline_sweep.h"
#include "mqtt/codec.h"

namespace tributary::broker {
namespace {

// A connection's own read buffer (a TLS or WebSocket connection's, and a TCP
// connection's while it holds the start of a packet) starts small, so that idle
// connections cost little memory, doubles whenever a read fills it, up to kMaxReadChunk
// of free space per read, and goes back to the initial size (TCP: to none) when the
// client is quiet again (kReleaseAfterQuietNs). A TCP connection with nothing partial
// reads into its thread's buffer of kMaxReadChunk.
constexpr size_t kInitialReadBuffer = 256;
constexpr size_t kMaxReadChunk = 64 * 1024;
// Write buffers up to this capacity are kept between writes. Larger ones, and a read
// buffer grown past its initial size, were grown for a burst: they are released by the
// first small read or write (at the latest the PINGREQ and PINGRESP of the keep alive)
// after kReleaseAfterQuietNs without a large one, so that idle connections do not each
// keep the largest buffers they ever needed, and traffic that comes in waves does not
// reallocate on every wave.
constexpr size_t kKeptWriteCapacity = 16 * 1024;
// After a write this small with nothing more to send, the write buffers are released.
constexpr size_t kSmallWrite = 1024;
constexpr int64_t kReleaseAfterQuietNs = 1'000'000'000;
constexpr size_t kMaxPendingBytes = 1 << 20;  // stop pulling from the session beyond this
constexpr size_t kBatchItems = 256;

}  // namespace

Connection::Connection(std::shared_ptr<BrokerCore> core,
                       std::unique_ptr<net::MqttTransport> transport)
    : core_(std::move(core)), transport_(std::move(transport)) {}

Connection::~Connection() = default;

void Connection::Start() {
  last_rx_ns_ = SteadyNanos();
  deadline_ns_ = last_rx_ns_ + int64_t{core_->options.connect_timeout_ms} * 1'000'000;
  DeadlineSweep::Of(transport_->context()).Watch(weak_from_this());
  DoRead();
}

// ---- reading

namespace {

// The buffer that reads of connections with nothing partial go into: one per I/O thread,
// used only within one OnReadable (which never runs another connection's).
uint8_t* ThreadReadBuffer() {
  thread_local const std::unique_ptr<uint8_t[]> buffer(new uint8_t[kMaxReadChunk]);
  return buffer.get();
}

}  // namespace

void Connection::DoRead() {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  if (rlen_ == 0 && transport_->CanWaitReadable()) {
    // A buffer grown for large packets goes once the client has been quiet a while.
    if (!rbuf_.empty() && last_rx_ns_ - read_busy_ns_ >= kReleaseAfterQuietNs) {
      std::vector<uint8_t>().swap(rbuf_);
    }
    transport_->AsyncWaitReadable([self = shared_from_this()](
                                      const boost::system::error_code& ec, size_t) {
      self->OnReadable(ec);
    });
    return;
  }
  if (rbuf_.size() < kInitialReadBuffer) rbuf_.resize(kInitialReadBuffer);
  // Grow when less than a quarter is free (a partial packet waits in the buffer).
  if (rbuf_.size() - rlen_ < rbuf_.size() / 4) rbuf_.resize(rbuf_.size() * 2);
  transport_->AsyncRead(boost::asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
                        [self = shared_from_this()](const boost::system::error_code& ec,
                                                    size_t n) { self->OnRead(ec, n); });
}

void Connection::OnReadable(const boost::system::error_code& ec) {
  if (state_ == State::kClosed) return;
  boost::system::error_code rec = ec;
  uint8_t* buf = ThreadReadBuffer();
  size_t n = rec ? 0 : transport_->ReadSome(boost::asio::buffer(buf, kMaxReadChunk), rec);
  if (rec == boost::asio::error::would_block || rec == boost::asio::error::try_again) {
    DoRead();  // readable was a false alarm
    return;
  }
  if (rec) {
    OnReadError(rec);
    return;
  }
  NoteReceived(n);
  size_t off = HandleFrames({buf, n});
  if (state_ == State::kClosed) return;
  if (off < n) {
    // The start of a packet: keep it until the rest comes (OnRead).
    rlen_ = n - off;
    if (rbuf_.size() < rlen_ * 2) rbuf_.resize(std::max(kInitialReadBuffer, rlen_ * 2));
    std::memcpy(rbuf_.data(), buf + off, rlen_);
    read_busy_ns_ = last_rx_ns_;
  }
  StartWrite();
  DoRead();
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  if (state_ == State::kClosed) return;
  if (ec) {
    OnReadError(ec);
    return;
  }
  NoteReceived(n);
  // A read that filled the buffer means the client is sending fast: read more at once.
  bool filled = rlen_ + n == rbuf_.size();
  rlen_ += n;
  if (filled && rbuf_.size() < kMaxReadChunk) rbuf_.resize(rbuf_.size() * 2);
  size_t off = HandleFrames({rbuf_.data(), rlen_});
  if (state_ == State::kClosed) return;
  if (off > 0) {
    std::memmove(rbuf_.data(), rbuf_.data() + off, rlen_ - off);
    rlen_ -= off;
  }
  if (rbuf_.size() > kInitialReadBuffer) {
    if (rlen_ > 0 || n > kInitialReadBuffer / 2) {
      read_busy_ns_ = last_rx_ns_;
    } else if (last_rx_ns_ - read_busy_ns_ >= kReleaseAfterQuietNs) {
      std::vector<uint8_t>(kInitialReadBuffer).swap(rbuf_);
    }
  }
  StartWrite();
  DoRead();
}

void Connection::OnReadError(const boost::system::error_code& ec) {
  if (state_ != State::kClosing) {
    core_->log->debug("connection closed by peer client_id={} remote={} error=\"{}\"",
                      client_id_, transport_->peer().remote_address, ec.message());
  }
  Terminate();
}

void Connection::NoteReceived(size_t n) {
  core_->metrics.bytes_received->Add(n);
  last_rx_ns_ = SteadyNanos();
  last_rx_wall_ms_ = WallMillis();
}

size_t Connection::HandleFrames(std::span<const uint8_t> data) {
  // What the read's PUBLISH start goes to each destination in one go when the batch
  // closes: a delivery stream appends the read's records to its WAL under one lock.
  CompletionBatch batch;
  size_t off = 0;
  while (state_ == State::kAwaitConnect || state_ == State::kConnected) {
    std::span<const uint8_t> avail = data.subspan(off);
    mqtt::FrameInfo f = mqtt::FrameSize(avail, core_->max_packet_size());
    if (!f.complete) break;
    if (f.error) {
      if (state_ == State::kAwaitConnect) {
        HandleBadConnect(avail.data(), avail.size(), f.error->reason, f.error->message);
      } else {
        Fail(f.error->reason, f.error->message);
      }
      break;
    }
    auto decoded = mqtt::Decode(avail.first(f.size), version_);
    if (auto* err = std::get_if<mqtt::DecodeError>(&decoded)) {
      if (state_ == State::kAwaitConnect) {
        HandleBadConnect(avail.data(), f.size, err->reason, err->message);
      } else {
        Fail(err->reason, err->message);
      }
      break;
    }
    off += f.size;
    Handle(std::get<mqtt::Packet>(std::move(decoded)));
  }
  return off;
}

void Connection::Handle(mqtt::Packet&& packet) {
  if (state_ == State::kAwaitConnect) {
    if (auto* c = std::get_if<mqtt::Connect>(&packet)) {
      HandleConnect(std::move(*c));
    } else {
      // MQTT-3.1.0-1: the first packet must be CONNECT; close without answering.
      core_->metrics.protocol_errors->Add(1);
      core_->log->info("first packet is not CONNECT remote={} type={}",
                       transport_->peer().remote_address,
                       mqtt::PacketTypeName(mqtt::TypeOf(packet)));
      Terminate();
    }
    return;
  }
  switch (mqtt::TypeOf(packet)) {
    case mqtt::PacketType::kPublish:
      HandlePublish(std::get<mqtt::Publish>(std::move(packet)));
      break;
    case mqtt::PacketType::kPuback:
    case mqtt::PacketType::kPubrec:
    case mqtt::PacketType::kPubrel:
    case mqtt::PacketType::kPubcomp:
      HandleAck(std::get<mqtt::PubAck>(packet));
      break;
    case mqtt::PacketType::kSubscribe:
      HandleSubscribe(std::get<mqtt::Subscribe>(std::move(packet)));
      break;
    case mqtt::PacketType::kUnsubscribe:
      HandleUnsubscribe(std::get<mqtt::Unsubscribe>(std::move(packet)));
      break;
    case mqtt::PacketType::kPingreq:
      Send(mqtt::Pingresp{});
      break;
    case mqtt::PacketType::kDisconnect:
      HandleDisconnect(std::get<mqtt::Disconnect>(packet));
      break;
    case mqtt::PacketType::kConnect:
      Fail(mqtt::ReasonCode::kProtocolError, "second CONNECT on an established connection");
      break;
    case mqtt::PacketType::kAuth:
      Fail(mqtt::ReasonCode::kProtocolError,
           "AUTH without an authentication method in CONNECT (enhanced auth not offered)");
      break;
    default:
      Fail(mqtt::ReasonCode::kProtocolError,
           std::string("a client may not send ") + mqtt::PacketTypeName(mqtt::TypeOf(packet)));
      break;
  }
}

// ---- writing

void Connection::Send(const mqtt::Packet& packet) {
  if (state_ == State::kClosed) return;
  if (!out_) out_ = std::make_unique<WriteBuffers>();
  mqtt::Encode(packet, version_, &out_->pending);
}

void Connection::StartWrite() {
  if (write_in_flight_ || PendingBytes() == 0 || state_ == State::kClosed) return;
  std::swap(out_->pending, out_->writing);
  out_->pending.clear();
  write_in_flight_ = true;
  transport_->AsyncWrite(boost::asio::buffer(out_->writing),
                         [self = shared_from_this()](const boost::system::error_code& ec,
                                                     size_t n) { self->OnWrite(ec, n); });
}

void Connection::OnWrite(const boost::system::error_code& ec, size_t n) {
  write_in_flight_ = false;
  out_->writing.clear();
  if (state_ == State::kClosed) return;
  if (ec) {
    Terminate();
    return;
  }
  core_->metrics.bytes_sent->Add(n);
  if (out_->pending.empty() && n <= kSmallWrite) {
    // A small write and nothing more to send: most connections are idle after it (the
    // CONNACK, a PINGRESP), so they hold no write buffers.
    out_.reset();
  } else if (out_->writing.capacity() > kKeptWriteCapacity ||
             out_->pending.capacity() > kKeptWriteCapacity) {
    int64_t now = SteadyNanos();
    if (n > kKeptWriteCapacity / 4) {
      write_busy_ns_ = now;
    } else if (now - write_busy_ns_ >= kReleaseAfterQuietNs) {
      std::string().swap(out_->writing);
      if (out_->pending.empty()) std::string().swap(out_->pending);
    }
  }
  if (close_after_write_ && PendingBytes() == 0) {
    Terminate();
    return;
  }
  Flush();
}

void Connection::Flush() {
  if (state_ == State::kConnected && session_) {
    // The thread's: no connection holds on to it, and Flush never runs inside another.
    thread_local std::vector<Outbound> batch;
    int64_t now = WallMillis();
    while (PendingBytes() < kMaxPendingBytes) {
      batch.clear();
      size_t refused = session_->NextBatch(this, kBatchItems, &batch);
      if (refused > 0) core_->metrics.messages_dropped->Add(refused);
      if (batch.empty() && refused == 0) break;
      for (Outbound& ob : batch) {
        if (ob.pubrel) {
          mqtt::PubAck rel;
          rel.type = mqtt::PacketType::kPubrel;
          rel.packet_id = ob.packet_id;
          Send(rel);
          continue;
        }
        if (!out_) out_ = std::make_unique<WriteBuffers>();
        ob.msg->AppendEncoded(version_, ob.qos, ob.retain, ob.packet_id, ob.dup,
                              ob.subscription_ids, now, &out_->pending);
        core_->metrics.messages_sent->Add(1);
      }
      if (batch.size() < kBatchItems && refused == 0) break;
    }
    batch.clear();
  }
  StartWrite();
}

void Connection::Wake() {
  boost::asio::post(transport_->context(), [self = shared_from_this()] { self->Flush(); });
}

bool Connection::Accept(const Message& msg, mqtt::QoS qos, bool retain,
                        const std::vector<uint32_t>& subscription_ids) {
  int64_t now = WallMillis();
  if (msg.Expired(now)) return false;
  if (grant_ && !grant_->CanReceive(msg.topic)) return false;
  if (client_max_packet_size_ != 0 &&
      msg.EncodedSize(version_, qos, retain, subscription_ids, now) > client_max_packet_size_) {
    core_->log->debug("message too large for client dropped client_id={} topic={} limit={}",
                      client_id_, msg.topic, client_max_packet_size_);
    return false;
  }
  return true;
}

void Connection::Kick(mqtt::ReasonCode reason) {
  boost::asio::post(transport_->context(), [self = shared_from_this(), reason] {
    if (self->state_ != State::kConnected) {
      if (self->state_ == State::kAwaitConnect) self->Terminate();
      return;
    }
    if (reason == mqtt::ReasonCode::kSessionTakenOver) self->taken_over_ = true;
    if (reason == mqtt::ReasonCode::kServerShuttingDown) self->publish_will_ = false;
    self->core_->log->info("disconnecting client client_id={} reason={}", self->client_id_,
                           mqtt::ReasonCodeName(reason));
    self->Fail(reason, "");
  });
}

// ---- deadlines

bool Connection::OnSweep(int64_t now_ns) {
  switch (state_) {
    case State::kAwaitConnect:
      if (now_ns >= deadline_ns_) {
        core_->log->info("no CONNECT within {} ms remote={}", core_->options.connect_timeout_ms,
                         transport_->peer().remote_address);
        Terminate();
      }
      break;
    case State::kConnected:
      // Keep alive 0 turns the check off.
      if (keep_alive_s_ != 0) {
        int64_t idle_ms = (now_ns - last_rx_ns_) / 1'000'000;
        if (idle_ms >= int64_t{keep_alive_s_} * 1500) {
          Fail(mqtt::ReasonCode::kKeepAliveTimeout,
               "no packet for " + std::to_string(idle_ms) + " ms with keep alive " +
                   std::to_string(keep_alive_s_) + " s");
        }
      }
      break;
    case State::kClosing:
      // Do not wait forever for a peer that does not read.
      if (now_ns >= deadline_ns_) Terminate();
      break;
    case State::kClosed:
      break;
  }
  return state_ != State::kClosed;
}

// ---- closing

void Connection::Fail(mqtt::ReasonCode reason, const std::string& why) {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  if (!why.empty()) {
    core_->metrics.protocol_errors->Add(1);
    core_->log->info("closing connection client_id={} remote={} reason={} detail=\"{}\"",
                     client_id_, transport_->peer().remote_address,
                     mqtt::ReasonCodeName(reason), why);
  }
  if (state_ == State::kConnected && version_ == mqtt::Version::kV5) {
    mqtt::Disconnect d;
    d.reason = reason;
    if (!why.empty()) d.properties.reason_string = why;
    // The reason string is optional: leave it out rather than exceed the client's limit.
    if (client_max_packet_size_ != 0 && mqtt::EncodedSize(d, version_) > client_max_packet_size_) {
      d.properties.reason_string.reset();
    }
    Send(d);
    CloseAfterWrite();
    return;
  }
  Terminate();
}

void Connection::CloseAfterWrite() {
  state_ = State::kClosing;
  close_after_write_ = true;
  deadline_ns_ = SteadyNanos() + 2'000'000'000;
  StartWrite();
}

void Connection::Terminate() {
  if (state_ == State::kClosed) return;
  bool was_connected = state_ == State::kConnected || state_ == State::kClosing;
  state_ = State::kClosed;
  transport_->Close();
  if (was_connected && session_) {
    bool still_owner = core_->CloseSession(session_, this);
    if (will_ && publish_will_ && !core_->stopping.load()) {
      // Taken over: the new connection resumed the session, so only an undelayed will
      // fires (MQTT 5 3.1.3.2.2).
      uint32_t delay = will_->properties.will_delay_interval.value_or(0);
      if ((still_owner && !taken_over_) || delay == 0) PublishWill();
    }
    core_->log->info("client disconnected client_id={} remote={}", client_id_,
                     transport_->peer().remote_address);
  }
  if (registered_) core_->RemoveConnection(this);
  former_session_ = session_;
  session_.reset();
}

}  // namespace tributary::broker
