#include "app/live_topics.h"

#include <chrono>

#include "base/clock.h"
#include "base/ids.h"
#include "base/thread_name.h"
#include "mqtt/topic.h"

namespace tributary::app {

LiveTopics::LiveTopics(broker::MessageInterceptor* next) : next_(next) {
  housekeeper_ = std::thread([this] {
    SetThreadName("live-topics");
    Housekeeping();
  });
}

LiveTopics::~LiveTopics() {
  Close();
  housekeeper_.join();
}

void LiveTopics::SetInterestObserver(std::function<void(std::string_view, bool)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  interest_ = std::move(fn);
}

void LiveTopics::Close() {
  std::vector<std::function<void(Result<LiveBatch>)>> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, w] : watches_) {
      if (w.poll) waiting.push_back(std::move(w.poll->respond));
      if (interest_) interest_(w.filter, false);
    }
    watches_.clear();
    interest_ = nullptr;  // the bridge it tells may go before this does
    active_.store(0, std::memory_order_relaxed);
  }
  cv_.notify_all();
  for (auto& respond : waiting) respond(Unavailable("the server is stopping"));
}

void LiveTopics::OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) {
  if (active_.load(std::memory_order_relaxed) != 0)
    Record(msg.topic, msg.payload, msg.client_id, static_cast<int>(msg.qos), msg.retain,
           msg.received_at_ms, msg.over_http);
  if (next_ != nullptr) {
    next_->OnPublish(msg, std::move(done));
  } else if (done) {
    done(broker::PublishVerdict::kAccepted);
  }
}

void LiveTopics::Offer(std::string_view topic, std::string_view payload, int qos, bool retain) {
  if (active_.load(std::memory_order_relaxed) != 0) Record(topic, payload, "", qos, retain, WallMillis());
}

void LiveTopics::Record(std::string_view topic, std::string_view payload,
                        std::string_view client_id, int qos, bool retain, int64_t received_at_ms,
                        bool over_http) {
  std::vector<Answer> answers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, w] : watches_) {
      if (!mqtt::TopicMatches(w.filter, topic)) continue;
      LiveMessage m;
      m.seq = w.next_seq++;
      m.topic = std::string(topic);
      m.size = payload.size();
      m.truncated = payload.size() > kMaxPayloadBytes;
      m.payload = std::string(payload.substr(0, kMaxPayloadBytes));
      m.client_id = std::string(client_id);
      m.over_http = over_http;
      m.qos = qos;
      m.retain = retain;
      m.received_at_ms = received_at_ms;
      w.buffer.push_back(std::move(m));
      if (w.buffer.size() > kBufferMessages) w.buffer.pop_front();
      if (w.poll) {
        answers.emplace_back(std::move(w.poll->respond), Collect(w, w.poll->after));
        w.poll.reset();
        w.last_seen_ms = WallMillis();
      }
    }
  }
  for (auto& [respond, batch] : answers) respond(std::move(batch));
}

LiveBatch LiveTopics::Collect(const Watch_& w, uint64_t after) {
  LiveBatch batch;
  batch.next = w.next_seq - 1;
  if (after > batch.next) after = batch.next;  // a client ahead of us (a restarted watch): from now on
  uint64_t oldest = w.buffer.empty() ? w.next_seq : w.buffer.front().seq;
  if (after + 1 < oldest) batch.dropped = oldest - after - 1;
  for (const LiveMessage& m : w.buffer)
    if (m.seq > after) batch.messages.push_back(m);
  return batch;
}

Result<LiveTopics::WatchInfo> LiveTopics::Watch(const std::string& filter) {
  if (!mqtt::IsValidTopicFilter(filter))
    return InvalidArgument("'" + filter + "' is not a valid MQTT topic filter ('+' and '#' only as whole levels, '#' last)");
  if (mqtt::ParseSharedFilter(filter))
    return InvalidArgument("a watch sees every matching message: give the filter without '$share/<group>/'");
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Unavailable("the server is stopping");
  if (watches_.size() >= kMaxWatches)
    return ResourceExhausted("already " + std::to_string(kMaxWatches) +
                             " watches; delete one, or let an unused one lapse (" + std::to_string(kIdleMs / 1000) +
                             " s without a poll)");
  WatchInfo info{RandomHex(8), filter, 0};
  Watch_ w;
  w.filter = filter;
  w.last_seen_ms = WallMillis();
  watches_.emplace(info.id, std::move(w));
  if (interest_) interest_(filter, true);
  active_.store(watches_.size(), std::memory_order_relaxed);
  cv_.notify_all();  // the housekeeper sleeps while there is no watch
  return info;
}

std::vector<LiveTopics::WatchInfo> LiveTopics::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WatchInfo> out;
  for (const auto& [id, w] : watches_) out.push_back({id, w.filter, w.next_seq - 1});
  return out;
}

void LiveTopics::Poll(const std::string& id, uint64_t after, int wait_ms,
                      std::function<void(Result<LiveBatch>)> respond) {
  std::optional<Answer> replaced;
  std::optional<LiveBatch> now;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watches_.find(id);
    if (it != watches_.end()) {
      found = true;
      Watch_& w = it->second;
      w.last_seen_ms = WallMillis();
      if (w.poll) {
        replaced.emplace(std::move(w.poll->respond), Collect(w, w.poll->after));
        w.poll.reset();
      }
      LiveBatch batch = Collect(w, after);
      if (!batch.messages.empty() || batch.dropped != 0 || wait_ms <= 0) {
        now = std::move(batch);
      } else {
        w.poll = PendingPoll{after, WallMillis() + std::min(wait_ms, kMaxWaitMs), std::move(respond)};
      }
    }
  }
  // Answers go out without the lock: a respond may take its time.
  if (!found) {
    respond(NotFound("no watch '" + id + "' (it lapses after " + std::to_string(kIdleMs / 1000) +
                     " s without a poll; start another)"));
    return;
  }
  if (replaced) replaced->first(std::move(replaced->second));
  if (now) respond(std::move(*now));
  cv_.notify_all();
}

Status LiveTopics::Unwatch(const std::string& id) {
  std::optional<Answer> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return NotFound("no watch '" + id + "'");
    if (it->second.poll) waiting.emplace(std::move(it->second.poll->respond), Collect(it->second, it->second.poll->after));
    if (interest_) interest_(it->second.filter, false);
    watches_.erase(it);
    active_.store(watches_.size(), std::memory_order_relaxed);
  }
  if (waiting) waiting->first(std::move(waiting->second));
  return Status::Ok();
}

// Answers polls whose wait is over and removes watches nobody polls any more.
void LiveTopics::Housekeeping() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    // Nothing to time out while nobody watches: sleep until a watch comes (or the end).
    if (watches_.empty()) {
      cv_.wait(lock, [this] { return stopping_ || !watches_.empty(); });
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (stopping_) break;
    int64_t now = WallMillis();
    std::vector<Answer> answers;
    for (auto it = watches_.begin(); it != watches_.end();) {
      Watch_& w = it->second;
      if (w.poll && now >= w.poll->deadline_ms) {
        answers.emplace_back(std::move(w.poll->respond), Collect(w, w.poll->after));
        w.poll.reset();
        w.last_seen_ms = now;
      }
      if (!w.poll && now - w.last_seen_ms > kIdleMs) {
        if (interest_) interest_(w.filter, false);
        it = watches_.erase(it);
      } else {
        ++it;
      }
    }
    active_.store(watches_.size(), std::memory_order_relaxed);
    if (answers.empty()) continue;
    lock.unlock();
    for (auto& [respond, batch] : answers) respond(std::move(batch));
    lock.lock();
  }
}

}  // namespace tributary::app
