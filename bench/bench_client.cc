#include "bench/bench_client.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <span>
#include <utility>

#include "mqtt/codec.h"

namespace tributary::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr uint32_t kMaxPacketBytes = 16 * 1024 * 1024;
}  // namespace

BenchClient::BenchClient(asio::io_context& io, ClientOptions options)
    : socket_(io), ping_timer_(io), options_(std::move(options)) {
  in_.resize(std::max<size_t>(options_.read_buffer_bytes, 64));
}

void BenchClient::Start(const tcp::endpoint& broker, ConnectHandler on_connected) {
  on_connected_ = std::move(on_connected);
  boost::system::error_code ec;
  socket_.open(broker.protocol(), ec);
  if (!ec && options_.source) {
    socket_.bind(tcp::endpoint(*options_.source, 0), ec);
    if (ec) {
      Fail("binding to source address " + options_.source->to_string() + ": " + ec.message());
      return;
    }
  }
  if (ec) {
    Fail("opening a socket: " + ec.message());
    return;
  }
  socket_.async_connect(broker, [this, broker](const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      Fail("connecting to " + broker.address().to_string() + ":" + std::to_string(broker.port()) +
           ": " + ec.message());
      return;
    }
    boost::system::error_code opt_ec;
    socket_.set_option(tcp::no_delay(true), opt_ec);
    SendConnect();
    Read();
  });
}

void BenchClient::SendConnect() {
  mqtt::Connect c;
  c.version = options_.version;
  c.client_id = options_.client_id;
  c.clean_start = true;
  c.keep_alive = options_.keep_alive_s;
  if (options_.version == mqtt::Version::kV5 && options_.receive_maximum != 0) {
    c.properties.receive_maximum = options_.receive_maximum;
  }
  Send(c);
}

void BenchClient::Send(const mqtt::Packet& packet) {
  if (closed_ || close_after_write_) return;
  mqtt::Encode(packet, options_.version, &out_pending_);
  // Write once the current handler is done, so that everything it sends goes out in
  // one system call.
  if (!writing_ && !flush_posted_) {
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [this] {
      flush_posted_ = false;
      if (!writing_) Flush();
    });
  }
}

void BenchClient::Flush() {
  if (out_pending_.empty() || closed_) {
    if (close_after_write_) Close();
    return;
  }
  writing_ = true;
  out_writing_.clear();
  std::swap(out_writing_, out_pending_);
  asio::async_write(socket_, asio::buffer(out_writing_),
                    [this](const boost::system::error_code& ec, size_t) {
                      writing_ = false;
                      if (closed_) return;
                      if (ec) {
                        Fail("writing: " + ec.message());
                        return;
                      }
                      Flush();
                    });
}

void BenchClient::Read() {
  if (in_end_ == in_.size()) {
    // Compact first; grow only when the unconsumed bytes fill the whole buffer.
    if (in_begin_ > 0) {
      std::copy(in_.begin() + in_begin_, in_.begin() + in_end_, in_.begin());
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_end_ == in_.size()) in_.resize(in_.size() * 2);
  }
  socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                          [this](const boost::system::error_code& ec, size_t n) {
                            if (closed_) return;
                            if (ec) {
                              Fail(ec == asio::error::eof ? "the broker closed the connection"
                                                          : "reading: " + ec.message());
                              return;
                            }
                            OnRead(n);
                          });
}

void BenchClient::OnRead(size_t n) {
  in_end_ += n;
  if (!HandleFrames()) return;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  if (!closed_) Read();
}

bool BenchClient::HandleFrames() {
  while (!closed_) {
    std::span<const uint8_t> buf(in_.data() + in_begin_, in_end_ - in_begin_);
    mqtt::FrameInfo frame = mqtt::FrameSize(buf, kMaxPacketBytes);
    if (!frame.complete) return true;
    if (frame.error) {
      Fail("bad frame from the broker: " + frame.error->message);
      return false;
    }
    auto decoded = mqtt::Decode(buf.first(frame.size), options_.version);
    in_begin_ += frame.size;
    if (auto* err = std::get_if<mqtt::DecodeError>(&decoded)) {
      Fail("undecodable packet from the broker: " + err->message);
      return false;
    }
    mqtt::Packet& packet = std::get<mqtt::Packet>(decoded);
    if (!connected_) {
      auto* ack = std::get_if<mqtt::Connack>(&packet);
      if (ack == nullptr) {
        Fail(std::string("expected CONNACK, got ") + mqtt::PacketTypeName(mqtt::TypeOf(packet)));
        return false;
      }
      if (mqtt::IsError(ack->reason)) {
        Fail(std::string("CONNACK refused: ") + mqtt::ReasonCodeName(ack->reason));
        return false;
      }
      connected_ = true;
      SchedulePing();
      if (on_connected_) std::exchange(on_connected_, nullptr)("");
      continue;
    }
    if (std::holds_alternative<mqtt::Pingresp>(packet)) continue;
    if (on_packet_) on_packet_(packet);
  }
  return false;
}

void BenchClient::SchedulePing() {
  if (options_.keep_alive_s == 0) return;
  ping_timer_.expires_after(std::chrono::milliseconds(int64_t{options_.keep_alive_s} * 500));
  ping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || closed_) return;
    Send(mqtt::Pingreq{});
    SchedulePing();
  });
}

void BenchClient::Disconnect() {
  if (closed_) return;
  if (connected_) {
    Send(mqtt::Disconnect{});
    close_after_write_ = true;  // Flush closes once the DISCONNECT is written
  } else {
    Close();
  }
}

void BenchClient::Close() {
  if (closed_) return;
  closed_ = true;
  ping_timer_.cancel();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void BenchClient::Fail(const std::string& what) {
  if (closed_) return;
  Close();
  std::string message = "client " + options_.client_id + ": " + what;
  if (on_connected_) {
    std::exchange(on_connected_, nullptr)(message);
  } else if (on_error_) {
    on_error_(message);
  }
}

}  // namespace tributary::bench
