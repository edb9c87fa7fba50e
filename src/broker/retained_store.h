// Retained messages: at most one per topic. A retained PUBLISH with a payload sets or
// replaces it; one with an empty payload clears it. New subscriptions receive the ones
// their filter matches (a lookup reads the topics that begin with the filter's levels
// before its first wildcard: all of them only for a filter that starts with one).
//
// Limits (0: none) bound what clients can make it hold, in memory and on disk: a
// payload's size, the messages and bytes (topics and payloads) held in all, and the
// messages and bytes held for one publisher (Message::origin_client_id; the server's own
// publishes, with none, take no share), so that one device cannot fill the store and deny
// retaining to the others. A message that would pass one is not stored; replacing a
// topic's message without growing the store (or its publisher's share) is always
// allowed, and so is a clear. A topic's message replaced by another publisher's moves
// from the first one's share to the second's. Load() takes what was saved whatever
// the limits (set lower since, they refuse new messages until the store is back under).
// A message applied as not counted (the server's own $SYS topics: a fixed few, never
// saved) passes no limit and takes none of them.
//
//   limits: 2 messages                 held            Apply(...)
//                                      a, b            set c        -> kStoreFull
//                                      a, b            set a again  -> stored
//                                      a, b            clear b      -> cleared; set c: stored
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

struct RetainedLimits {
  size_t max_payload_bytes = 0;  // one message's payload
  size_t max_messages = 0;       // held in all
  uint64_t max_bytes = 0;        // topics and payloads held in all
  size_t max_messages_per_client = 0;  // held for one publisher
  uint64_t max_bytes_per_client = 0;   // topics and payloads held for one publisher
};

// Why a retained message was not stored.
enum class RetainRefusal : uint8_t { kNone, kPayloadTooLarge, kStoreFull, kClientShareFull };

// What the store holds for one publisher.
struct RetainedShare {
  size_t messages = 0;
  uint64_t bytes = 0;
};

class RetainedStore {
 public:
  RetainedStore() = default;
  explicit RetainedStore(RetainedLimits limits) : limits_(limits) {}

  // Sets (non-empty payload) or clears (empty payload) the retained message of its topic,
  // unless the one retained, or the clear applied last, arrived after it (Message::seq),
  // or the limits refuse it: returns which (kNone: stored, cleared or stale).
  RetainRefusal Apply(const MessagePtr& msg, bool counted = true);
  // What Apply would say now of `client_id`'s message on `topic` with a payload of
  // `payload_bytes` (a later Apply may still refuse it, if others filled the store
  // meanwhile).
  RetainRefusal Check(std::string_view topic, size_t payload_bytes,
                      std::string_view client_id) const;
  const RetainedLimits& limits() const { return limits_; }

  // How long, and how many, clears are remembered: a message older than a clear whose
  // verdict comes back later than this would set its topic again.
  static constexpr int64_t kClearKeptMs = 10 * 60 * 1000;
  static constexpr size_t kMaxClearsKept = 65536;
  // Messages whose topic matches `filter` (non-shared) and that have not expired.
  std::vector<MessagePtr> Match(std::string_view filter, int64_t now_ms) const;
  MessagePtr Get(const std::string& topic) const;
  size_t size() const;              // every message
  size_t counted_messages() const;  // of them, those the limits count
  uint64_t bytes() const;           // their topics and payloads
  RetainedShare share(std::string_view client_id) const;  // counted, held for the publisher

  // Loads without marking changes (at start-up).
  void Load(const MessagePtr& msg);
  // Topics changed since the last call, with their message (null when cleared).
  std::vector<std::pair<std::string, MessagePtr>> TakeChanges();
  // Every retained message (for a full snapshot).
  std::vector<MessagePtr> All() const;

 private:
  RetainRefusal CheckLocked(std::string_view topic, size_t payload_bytes,
                            std::string_view client_id) const;
  // Sets or replaces the topic's message, or removes it (null); keeps the counts.
  void Put(const MessagePtr& msg, bool counted);
  void Remove(std::string_view topic);
  // Adds (sign 1) or takes away (-1) a counted message from the store's and its
  // publisher's counts.
  void Count(const Message& m, int sign);
  bool Counted(std::string_view topic) const { return uncounted_.count(topic) == 0; }

  const RetainedLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, MessagePtr, std::less<>> messages_;
  std::set<std::string, std::less<>> uncounted_;  // topics of messages_ not counted
  uint64_t bytes_ = 0;                            // topics and payloads of the counted messages
  std::map<std::string, RetainedShare, std::less<>> shares_;  // of them, by publisher
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
