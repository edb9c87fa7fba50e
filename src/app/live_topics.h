// Live topics: the messages the broker accepts, copied to whoever watches a topic filter
// over HTTP, for the console's live view (AWS IoT's "MQTT test client") without an MQTT
// connection from the browser.
//
// A watch is a filter and a buffer of the last kBufferMessages matching messages, each
// numbered; a client polls for the messages after the last number it saw and, when
// there are none yet, the poll waits (up to kMaxWaitMs) for the next one. Messages that
// fell out of the buffer between two polls are counted as dropped, never silently lost.
// A watch nobody polled for kIdleMs goes away. It sees what devices publish (it sits in
// front of the rules engine as the broker's MessageInterceptor) and what the server
// publishes itself (republish actions, monitor events) when that goes through
// PublishInternal(); not the broker's own $SYS statistics.
//
// Cost when nobody watches: one relaxed atomic load per message.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "broker/hooks.h"

namespace tributary::app {

struct LiveMessage {
  uint64_t seq = 0;
  std::string topic;
  std::string payload;       // at most kMaxPayloadBytes of it
  bool truncated = false;    // the payload was longer
  size_t size = 0;           // the whole payload's size
  std::string client_id;     // "" for the server's own messages and HTTP publishes
  bool over_http = false;    // published over HTTP (the console, AWS IoT's HTTPS publish)
  int qos = 0;
  bool retain = false;
  int64_t received_at_ms = 0;
};

struct LiveBatch {
  std::vector<LiveMessage> messages;
  uint64_t next = 0;     // poll with after=next for what follows
  uint64_t dropped = 0;  // messages after `after` that no longer were in the buffer
};

class LiveTopics : public broker::MessageInterceptor {
 public:
  static constexpr size_t kMaxWatches = 32;
  static constexpr size_t kBufferMessages = 1000;
  static constexpr size_t kMaxPayloadBytes = 16 * 1024;
  static constexpr int kMaxWaitMs = 25000;
  static constexpr int64_t kIdleMs = 60000;

  // `next` sees every message after the watches do (the rules engine); may be null.
  explicit LiveTopics(broker::MessageInterceptor* next);
  ~LiveTopics() override;

  void OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) override;
  // For the server's own publishes, which do not pass the interceptor.
  void Offer(std::string_view topic, std::string_view payload, int qos, bool retain);

  struct WatchInfo {
    std::string id;
    std::string filter;
    uint64_t next = 0;
  };
  // kInvalidArgument for a bad or shared filter; kResourceExhausted past kMaxWatches.
  Result<WatchInfo> Watch(const std::string& filter);
  std::vector<WatchInfo> List() const;
  // Answers `respond` once: at once when messages after `after` are buffered (or when
  // wait_ms is 0), else with the first that arrive, or empty after wait_ms. A second
  // poll of the same watch answers the first one empty. kNotFound for an unknown watch.
  void Poll(const std::string& id, uint64_t after, int wait_ms, std::function<void(Result<LiveBatch>)> respond);
  Status Unwatch(const std::string& id);
  // Told of each watch's filter when the watch starts (true) and when it ends (false),
  // under the watches' lock: the NATS bridge receives other servers' messages on it.
  // Set before the first Watch.
  void SetInterestObserver(std::function<void(std::string_view filter, bool present)> fn);
  // Answers every waiting poll (kUnavailable: the server is stopping) and refuses new
  // watches and polls. The server calls it while its HTTP connections can still answer.
  void Close();

 private:
  struct PendingPoll {
    uint64_t after = 0;
    int64_t deadline_ms = 0;
    std::function<void(Result<LiveBatch>)> respond;
  };
  struct Watch_ {
    std::string filter;
    std::deque<LiveMessage> buffer;
    uint64_t next_seq = 1;
    std::optional<PendingPoll> poll;
    int64_t last_seen_ms = 0;
  };
  using Answer = std::pair<std::function<void(Result<LiveBatch>)>, LiveBatch>;

  void Record(std::string_view topic, std::string_view payload, std::string_view client_id, int qos,
              bool retain, int64_t received_at_ms, bool over_http = false);
  static LiveBatch Collect(const Watch_& w, uint64_t after);
  void Housekeeping();

  broker::MessageInterceptor* next_;
  std::atomic<size_t> active_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, Watch_> watches_;
  std::function<void(std::string_view, bool)> interest_;  // mu_
  std::thread housekeeper_;
};

}  // namespace tributary::app
