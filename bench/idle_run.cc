#include "bench/idle_run.h"

#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "bench/bench_client.h"

namespace tributary::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

class IdleRun {
 public:
  IdleRun(const IdleOptions& o, std::function<void(const IdleResult&)> on_all_connected)
      : o_(o), on_all_connected_(std::move(on_all_connected)), timer_(io_),
        signals_(io_, SIGINT, SIGTERM) {
    result_.options = o;
  }

  Result<IdleResult> Run() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(o_.host, ec);
    if (ec) return InvalidArgument("--host '" + o_.host + "' is not an IP address: " + ec.message());
    broker_ = tcp::endpoint(address, o_.port);
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) Finish();
    });
    timer_.expires_after(Duration(o_.connect_timeout_s));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || holding_) return;
      Fail("only " + std::to_string(result_.connected) + " of " + std::to_string(o_.connections) +
           " connections were up after " + std::to_string(o_.connect_timeout_s) + " s");
    });
    clients_.reserve(static_cast<size_t>(o_.connections));
    start_ns_ = SteadyNanos();
    for (int i = 0; i < o_.concurrency && next_ < o_.connections; ++i) OpenNext();
    io_.run();
    return std::move(result_);
  }

 private:
  static std::chrono::nanoseconds Duration(double s) {
    return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
  }

  void OpenNext() {
    int i = next_++;
    ClientOptions c;
    c.version = o_.version;
    c.client_id = "idle-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    c.keep_alive_s = o_.keep_alive_s;
    c.read_buffer_bytes = 64;
    if (o_.source_addresses > 1) {
      c.source = asio::ip::make_address_v4(0x7F000001u + static_cast<uint32_t>(i % o_.source_addresses));
    }
    clients_.push_back(std::make_unique<BenchClient>(io_, std::move(c)));
    BenchClient* client = clients_.back().get();
    client->set_on_error([this](const std::string& what) {
      ++result_.dropped;
      if (result_.error.empty()) result_.error = what;
    });
    client->set_on_packet([](mqtt::Packet&) {});
    client->Start(broker_, [this](const std::string& error) {
      if (!error.empty()) return Fail(error);
      ++result_.connected;
      if (next_ < o_.connections) OpenNext();
      if (result_.connected == o_.connections) Hold();
    });
  }

  void Hold() {
    holding_ = true;
    result_.connect_seconds = static_cast<double>(SteadyNanos() - start_ns_) / 1e9;
    if (on_all_connected_) on_all_connected_(result_);
    hold_start_ns_ = SteadyNanos();
    timer_.expires_after(Duration(o_.hold_s));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Finish();
    });
  }

  void Fail(const std::string& what) {
    if (result_.error.empty()) result_.error = what;
    Finish();
  }

  void Finish() {
    if (done_) return;
    done_ = true;
    if (holding_) result_.held_seconds = static_cast<double>(SteadyNanos() - hold_start_ns_) / 1e9;
    timer_.cancel();
    signals_.cancel();
    for (auto& c : clients_) c->Disconnect();
    timer_.expires_after(std::chrono::milliseconds(500));
    timer_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
  }

  const IdleOptions o_;
  std::function<void(const IdleResult&)> on_all_connected_;
  asio::io_context io_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  tcp::endpoint broker_;
  std::vector<std::unique_ptr<BenchClient>> clients_;
  int next_ = 0;
  bool holding_ = false;
  bool done_ = false;
  int64_t start_ns_ = 0;
  int64_t hold_start_ns_ = 0;
  IdleResult result_;
};

}  // namespace

std::string IdleResult::ToJsonLine(const std::string& event) const {
  nlohmann::ordered_json j;
  j["event"] = event;
  j["broker_label"] = options.broker_label;
  j["connections"] = options.connections;
  j["connected"] = connected;
  j["dropped"] = dropped;
  j["connect_seconds"] = std::round(connect_seconds * 1000) / 1000;
  j["held_seconds"] = std::round(held_seconds * 1000) / 1000;
  if (!error.empty()) j["error"] = error;
  return j.dump();
}

Result<IdleResult> RunIdle(const IdleOptions& options,
                           std::function<void(const IdleResult&)> on_all_connected) {
  if (options.connections < 1 || options.concurrency < 1) {
    return InvalidArgument("--idle-connections and --concurrency must be at least 1");
  }
  if (options.source_addresses < 1 || options.source_addresses > 254) {
    return InvalidArgument("--source-addresses must be 1..254");
  }
  IdleRun run(options, std::move(on_all_connected));
  return run.Run();
}

}  // namespace tributary::bench
