// Retained messages: at most one per topic. A retained PUBLISH with a payload sets or
// replaces it; one with an empty payload clears it. New subscriptions receive the ones
// their filter matches (lookup scans the store: it runs at SUBSCRIBE time, not on the
// publish path).
//
// Thread-safety: all methods are thread-safe (one mutex). The set of topics changed
// since the last TakeChanges() is kept for the persistence flusher.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/message.h"

namespace tributary::broker {

class RetainedStore {
 public:
  // Sets (non-empty payload) or clears (empty payload) the retained message of its topic,
  // unless the one retained, or the clear applied last, arrived after it (Message::seq).
  void Apply(const MessagePtr& msg);

  // How long, and how many, clears are remembered: a message older than a clear whose
  // verdict comes back later than this would set its topic again.
  static constexpr int64_t kClearKeptMs = 10 * 60 * 1000;
  static constexpr size_t kMaxClearsKept = 65536;
  // Messages whose topic matches `filter` (non-shared) and that have not expired.
  std::vector<MessagePtr> Match(std::string_view filter, int64_t now_ms) const;
  MessagePtr Get(const std::string& topic) const;
  size_t size() const;

  // Loads without marking changes (at start-up).
  void Load(const MessagePtr& msg);
  // Topics changed since the last call, with their message (null when cleared).
  std::vector<std::pair<std::string, MessagePtr>> TakeChanges();
  // Every retained message (for a full snapshot).
  std::vector<MessagePtr> All() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, MessagePtr, std::less<>> messages_;
  std::set<std::string> changed_;
  // Topics cleared lately, with the clear's Message::seq, and the same in the order
  // applied with their arrival times, for forgetting them.
  struct Clear {
    int64_t at_ms;
    uint64_t seq;
    std::string topic;
  };
  std::map<std::string, uint64_t, std::less<>> cleared_;
  std::deque<Clear> clears_;
};

}  // namespace tributary::broker
