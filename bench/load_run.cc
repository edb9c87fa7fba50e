#include "bench/load_run.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "bench/bench_client.h"
#include "bench/bench_payload.h"
#include "bench/lake_watcher.h"
#include "bench/latency.h"

namespace tributary::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

enum class Phase { kConnecting, kWarmup, kMeasuring, kDraining, kDone };

std::chrono::nanoseconds Seconds(double s) {
  return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}

struct InFlight {
  uint64_t seq = 0;
  int64_t sent_ns = 0;
};

struct Publisher {
  std::unique_ptr<BenchClient> client;
  mqtt::Publish packet;         // reused: only payload and packet id change
  uint64_t next_seq = 0;
  uint32_t unacked = 0;
  uint16_t next_id = 1;
  bool waiting = false;         // queued for room in the window
  bool rate_waiting = false;    // queued for the rate limit's next send
  std::unordered_map<uint16_t, InFlight> in_flight;  // QoS 1, by packet id
  std::vector<uint8_t> acked;   // by seq
};

struct Subscriber {
  std::unique_ptr<BenchClient> client;
  bool subscribed = false;
  std::vector<std::vector<uint8_t>> received;  // [publisher][seq]
};

class LoadRun {
 public:
  explicit LoadRun(const LoadOptions& o)
      : o_(o), deadline_(io_), phase_timer_(io_), rate_timer_(io_) {
    result_.options = o;
    window_limit_ = static_cast<uint64_t>(o.window) * static_cast<uint64_t>(o.subscribers);
  }

  Result<LoadResult> Run() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(o_.host, ec);
    if (ec) return InvalidArgument("--host '" + o_.host + "' is not an IP address: " + ec.message());
    broker_ = tcp::endpoint(address, o_.port);
    subscriber_broker_ = tcp::endpoint(address, o_.subscriber_port ? o_.subscriber_port : o_.port);
    origin_ns_ = SteadyNanos();
    if (!o_.lake_dir.empty()) {
      lake_ = std::make_unique<LakeWatcher>(o_.lake_dir, origin_ns_, o_.publishers);
      TRY(lake_->Start());
      lake_->DeferReading(true);  // until the measuring window ends
    }
    deadline_.expires_after(Seconds(o_.connect_timeout_s));
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && phase_ == Phase::kConnecting) {
        start_error_ = "not every client connected and subscribed within " +
                       std::to_string(o_.connect_timeout_s) + " s";
        Finish();
      }
    });
    StartSubscribers();
    io_.run();
    if (!start_error_.empty()) return Unavailable(start_error_);
    return std::move(result_);
  }

 private:
  ClientOptions ClientFor(const std::string& role, int index) {
    ClientOptions c;
    c.version = o_.version;
    c.client_id = "bench-" + role + "-" + std::to_string(index) + "-" + std::to_string(::getpid());
    c.keep_alive_s = o_.keep_alive_s;
    c.read_buffer_bytes = role == "sub" ? 256 * 1024 : 4096;
    return c;
  }

  void StartSubscribers() {
    if (o_.subscribers == 0) return StartPublishers();
    std::string filter = o_.publishers == 1 ? o_.topic_prefix + "0" : o_.topic_prefix + "#";
    subs_.resize(static_cast<size_t>(o_.subscribers));
    for (int s = 0; s < o_.subscribers; ++s) {
      Subscriber& sub = subs_[static_cast<size_t>(s)];
      sub.received.resize(static_cast<size_t>(o_.publishers));
      sub.client = std::make_unique<BenchClient>(io_, ClientFor("sub", s));
      sub.client->set_on_error([this](const std::string& what) { OnClientError(what); });
      sub.client->set_on_packet([this, s, filter](mqtt::Packet& p) { OnSubscriberPacket(s, p); });
      sub.client->Start(subscriber_broker_, [this, s, filter](const std::string& error) {
        if (!error.empty()) return OnClientError(error);
        mqtt::Subscribe req;
        req.packet_id = 1;
        mqtt::SubscribeOptions opts;
        opts.max_qos = static_cast<mqtt::QoS>(o_.qos);
        req.filters.emplace_back(filter, opts);
        subs_[static_cast<size_t>(s)].client->Send(req);
      });
    }
  }

  void StartPublishers() {
    pubs_.resize(static_cast<size_t>(o_.publishers));
    for (int p = 0; p < o_.publishers; ++p) {
      Publisher& pub = pubs_[static_cast<size_t>(p)];
      pub.packet.qos = static_cast<mqtt::QoS>(o_.qos);
      pub.packet.topic = o_.topic_prefix + std::to_string(p);
      pub.client = std::make_unique<BenchClient>(io_, ClientFor("pub", p));
      pub.client->set_on_error([this](const std::string& what) { OnClientError(what); });
      pub.client->set_on_packet([this, p](mqtt::Packet& packet) { OnPublisherPacket(p, packet); });
      pub.client->Start(broker_, [this](const std::string& error) {
        if (!error.empty()) return OnClientError(error);
        if (++publishers_connected_ == o_.publishers) BeginWarmup();
      });
    }
  }

  void BeginWarmup() {
    phase_ = Phase::kWarmup;
    deadline_.cancel();
    if (o_.rate > 0) {
      rate_refilled_ns_ = SteadyNanos();
      RefillRate();
    }
    for (int p = 0; p < o_.publishers; ++p) TrySend(p);
    phase_timer_.expires_after(Seconds(o_.warmup_s));
    phase_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || phase_ != Phase::kWarmup) return;
      phase_ = Phase::kMeasuring;
      measure_start_ns_ = SteadyNanos();
      phase_timer_.expires_after(Seconds(o_.duration_s));
      phase_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || phase_ != Phase::kMeasuring) return;
        measure_end_ns_ = SteadyNanos();
        result_.seconds = static_cast<double>(measure_end_ns_ - measure_start_ns_) / 1e9;
        if (lake_) lake_->DeferReading(false);
        phase_ = Phase::kDraining;
        drain_deadline_ns_ = SteadyNanos() + Seconds(o_.drain_s).count();
        PollDrain();
      });
    });
  }

  bool Sending() const { return phase_ == Phase::kWarmup || phase_ == Phase::kMeasuring; }

  void TrySend(int p) {
    Publisher& pub = pubs_[static_cast<size_t>(p)];
    while (Sending()) {
      if (o_.qos == 1 && pub.unacked >= static_cast<uint32_t>(o_.inflight)) return;
      if (o_.subscribers > 0 && in_system_ >= window_limit_) {
        if (!pub.waiting) {
          pub.waiting = true;
          waiting_.push_back(p);
        }
        return;
      }
      if (o_.rate > 0) {
        if (rate_tokens_ < 1) {
          if (!pub.rate_waiting) {
            pub.rate_waiting = true;
            rate_waiting_.push_back(p);
          }
          return;
        }
        rate_tokens_ -= 1;
      }
      SendOne(p, pub);
    }
  }

  void SendOne(int p, Publisher& pub) {
    uint64_t seq = pub.next_seq++;
    int64_t now = SteadyNanos() - origin_ns_;
    PayloadFields fields{static_cast<uint32_t>(p), seq, now};
    MakePayload(fields, o_.payload_bytes, &pub.packet.payload);
    if (o_.qos == 1) {
      pub.packet.packet_id = pub.next_id;
      pub.next_id = pub.next_id == 65535 ? 1 : pub.next_id + 1;
      pub.in_flight[pub.packet.packet_id] = InFlight{seq, now};
      ++pub.unacked;
    }
    in_system_ += static_cast<uint64_t>(o_.subscribers);
    ++result_.sent;
    pub.client->Send(pub.packet);
  }

  void OnPublisherPacket(int p, mqtt::Packet& packet) {
    Publisher& pub = pubs_[static_cast<size_t>(p)];
    auto* ack = std::get_if<mqtt::PubAck>(&packet);
    if (ack == nullptr || ack->type != mqtt::PacketType::kPuback) {
      return OnClientError("publisher " + std::to_string(p) + ": unexpected " +
                           mqtt::PacketTypeName(mqtt::TypeOf(packet)) + " from the broker");
    }
    auto it = pub.in_flight.find(ack->packet_id);
    if (it == pub.in_flight.end()) {
      return OnClientError("publisher " + std::to_string(p) + ": PUBACK for packet id " +
                           std::to_string(ack->packet_id) + " that is not in flight");
    }
    if (mqtt::IsError(ack->reason)) {
      return OnClientError("publisher " + std::to_string(p) + ": PUBACK refused message " +
                           std::to_string(it->second.seq) + ": " +
                           mqtt::ReasonCodeName(ack->reason));
    }
    uint64_t seq = it->second.seq;
    if (pub.acked.size() <= seq) pub.acked.resize(seq + 1 + seq / 2, 0);
    pub.acked[seq] = 1;
    // With no subscriber the acknowledgements are what is measured.
    if (o_.subscribers == 0 && phase_ == Phase::kMeasuring) {
      ++result_.messages;
      latency_.Add(SteadyNanos() - origin_ns_ - it->second.sent_ns);
    }
    pub.in_flight.erase(it);
    --pub.unacked;
    ++result_.acked;
    TrySend(p);
  }

  void OnSubscriberPacket(int s, mqtt::Packet& packet) {
    Subscriber& sub = subs_[static_cast<size_t>(s)];
    if (auto* publish = std::get_if<mqtt::Publish>(&packet)) {
      int64_t now = SteadyNanos() - origin_ns_;
      if (publish->qos == mqtt::QoS::kAtLeastOnce) {
        mqtt::PubAck ack;
        ack.packet_id = publish->packet_id;
        sub.client->Send(ack);
      }
      auto fields = ParsePayload(publish->payload);
      if (!fields || fields->pub >= static_cast<uint32_t>(o_.publishers)) {
        return OnClientError("subscriber " + std::to_string(s) + ": payload on '" +
                             publish->topic + "' is not one of ours");
      }
      auto& seen = sub.received[fields->pub];
      if (seen.size() <= fields->seq) seen.resize(fields->seq + 1 + fields->seq / 2, 0);
      if (seen[fields->seq]) {
        ++result_.duplicates;
        return;
      }
      seen[fields->seq] = 1;
      ++result_.delivered;
      if (phase_ == Phase::kMeasuring) {
        ++result_.messages;
        latency_.Add(now - fields->sent_ns);
      }
      if (in_system_ > 0) --in_system_;
      ServeWaiting();
      return;
    }
    if (auto* suback = std::get_if<mqtt::Suback>(&packet)) {
      if (suback->reasons.size() != 1 ||
          static_cast<int>(suback->reasons[0]) != o_.qos) {
        start_error_ = "subscriber " + std::to_string(s) + ": SUBACK did not grant QoS " +
                       std::to_string(o_.qos) + " (got " +
                       (suback->reasons.empty() ? std::string("no reason code")
                                                : mqtt::ReasonCodeName(suback->reasons[0])) +
                       ")";
        return Finish();
      }
      sub.subscribed = true;
      if (++subscribers_ready_ == o_.subscribers) StartPublishers();
      return;
    }
    OnClientError("subscriber " + std::to_string(s) + ": unexpected " +
                  mqtt::PacketTypeName(mqtt::TypeOf(packet)) + " from the broker");
  }

  // --rate: every millisecond, the sends due since the last refill (at most 10 ms' worth
  // banked), taken by the publishers waiting for them in turn.
  void RefillRate() {
    int64_t now = SteadyNanos();
    double due = o_.rate * static_cast<double>(now - rate_refilled_ns_) / 1e9;
    rate_refilled_ns_ = now;
    rate_tokens_ = std::min(rate_tokens_ + due, std::max(1.0, o_.rate / 100));
    while (!rate_waiting_.empty() && rate_tokens_ >= 1 && Sending()) {
      int p = rate_waiting_.front();
      rate_waiting_.pop_front();
      pubs_[static_cast<size_t>(p)].rate_waiting = false;
      TrySend(p);
    }
    if (!Sending()) return;
    rate_timer_.expires_after(std::chrono::milliseconds(1));
    rate_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) RefillRate();
    });
  }

  // Deliveries free room in the window; blocked publishers take turns to use it.
  void ServeWaiting() {
    while (!waiting_.empty() && in_system_ < window_limit_ && Sending()) {
      int p = waiting_.front();
      waiting_.pop_front();
      pubs_[static_cast<size_t>(p)].waiting = false;
      TrySend(p);
    }
  }

  void PollDrain() {
    bool unacked = false;
    for (const Publisher& pub : pubs_) unacked = unacked || pub.unacked > 0;
    // QoS 1: every message is acknowledged once the publishers have nothing in flight.
    uint64_t expected = o_.qos == 1 ? result_.acked : result_.sent;
    bool drained = in_system_ == 0 && !unacked &&
                   (!lake_ || lake_->distinct_records() >= expected);
    if (drained || SteadyNanos() >= drain_deadline_ns_) {
      result_.drained = drained;
      return Finish();
    }
    phase_timer_.expires_after(std::chrono::milliseconds(5));
    phase_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) PollDrain();
    });
  }

  void OnClientError(const std::string& what) {
    if (phase_ == Phase::kDone) return;
    if (phase_ == Phase::kConnecting) {
      start_error_ = what;
    } else if (result_.error.empty()) {
      result_.error = what;
    }
    if (result_.seconds == 0 && phase_ == Phase::kMeasuring) {
      measure_end_ns_ = SteadyNanos();
      result_.seconds = static_cast<double>(measure_end_ns_ - measure_start_ns_) / 1e9;
    }
    Finish();
  }

  void CountLost() {
    for (size_t p = 0; p < pubs_.size(); ++p) {
      const Publisher& pub = pubs_[p];
      for (uint64_t seq = 0; seq < pub.next_seq; ++seq) {
        bool counted = o_.qos == 0 || (seq < pub.acked.size() && pub.acked[seq]);
        if (!counted) continue;
        for (const Subscriber& sub : subs_) {
          const auto& seen = sub.received[p];
          if (seq >= seen.size() || !seen[seq]) ++result_.lost;
        }
        if (lake_ && !lake_->Seen(static_cast<uint32_t>(p), seq)) ++result_.lake.missing;
      }
    }
  }

  // After lake_->Stop(): latency of the records sent in the measuring window.
  void CountLake() {
    LakeFigures& f = result_.lake;
    f.records = lake_->distinct_records();
    f.objects = lake_->objects();
    f.duplicates = lake_->duplicates();
    f.foreign = lake_->foreign();
    f.error = lake_->error();
    if (measure_end_ns_ == 0) return;
    int64_t from = measure_start_ns_ - origin_ns_, to = measure_end_ns_ - origin_ns_;
    LatencyRecorder latency;
    for (const LakeRecord& r : lake_->records()) {
      if (r.sent_ns < from || r.sent_ns >= to) continue;
      ++f.window_records;
      latency.Add(r.seen_ns - r.sent_ns);
    }
    f.p50_us = latency.PercentileMicros(0.50);
    f.p99_us = latency.PercentileMicros(0.99);
    f.max_us = latency.PercentileMicros(1.0);
  }

  void Finish() {
    if (phase_ == Phase::kDone) return;
    bool started = phase_ != Phase::kConnecting;
    phase_ = Phase::kDone;
    deadline_.cancel();
    phase_timer_.cancel();
    rate_timer_.cancel();
    if (lake_) lake_->Stop();
    if (started) {
      if (lake_) CountLake();
      CountLost();
      result_.p50_us = latency_.PercentileMicros(0.50);
      result_.p99_us = latency_.PercentileMicros(0.99);
      result_.max_us = latency_.PercentileMicros(1.0);
    }
    for (Subscriber& sub : subs_) {
      if (sub.client) sub.client->Disconnect();
    }
    for (Publisher& pub : pubs_) {
      if (pub.client) pub.client->Disconnect();
    }
    // Let the DISCONNECT packets go out, then stop whatever is still pending.
    phase_timer_.expires_after(std::chrono::milliseconds(200));
    phase_timer_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
  }

  const LoadOptions o_;
  asio::io_context io_;
  tcp::endpoint broker_;
  tcp::endpoint subscriber_broker_;
  asio::steady_timer deadline_;
  asio::steady_timer phase_timer_;
  asio::steady_timer rate_timer_;
  Phase phase_ = Phase::kConnecting;
  std::vector<Subscriber> subs_;
  std::vector<Publisher> pubs_;
  std::deque<int> waiting_;
  std::deque<int> rate_waiting_;  // publishers waiting for --rate's next send
  double rate_tokens_ = 0;        // sends due and not yet made
  int64_t rate_refilled_ns_ = 0;
  int subscribers_ready_ = 0;
  int publishers_connected_ = 0;
  uint64_t in_system_ = 0;   // message copies sent and not yet delivered
  uint64_t window_limit_ = 0;
  int64_t origin_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t measure_end_ns_ = 0;
  int64_t drain_deadline_ns_ = 0;
  LatencyRecorder latency_;
  std::unique_ptr<LakeWatcher> lake_;
  std::string start_error_;
  LoadResult result_;
};

}  // namespace

Result<LoadResult> RunLoad(const LoadOptions& options) {
  if (options.qos != 0 && options.qos != 1) return InvalidArgument("--qos must be 0 or 1");
  if (options.publishers < 1 || options.subscribers < 0) {
    return InvalidArgument("--publishers must be at least 1 and --subscribers at least 0");
  }
  if (options.subscribers == 0 && options.qos != 1) {
    return InvalidArgument("--subscribers 0 needs --qos 1 (PUBACKs are what is measured)");
  }
  if (options.inflight < 1 || options.inflight > 65000 || options.window < 1) {
    return InvalidArgument("--inflight must be 1..65000 and --window at least 1");
  }
  std::string probe;
  if (!MakePayload(PayloadFields{static_cast<uint32_t>(options.publishers), 1'000'000'000,
                                 1'000'000'000'000},
                   options.payload_bytes, &probe)) {
    return InvalidArgument("--payload-bytes " + std::to_string(options.payload_bytes) +
                           " is too small for the payload's fields (try 250)");
  }
  LoadRun run(options);
  return run.Run();
}

}  // namespace tributary::bench
