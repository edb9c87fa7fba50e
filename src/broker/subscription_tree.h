// The subscription index: a trie over topic levels, so that matching a topic walks only
// the branches its levels (and the '+' / '#' children) lead to, never every subscription.
//
//   filter                 topic                matches   note
//   a/b                    a/b                  yes
//   a/+                    a/b                  yes
//   a/#                    a                    yes       '#' matches the parent level too
//   +/#                    $SYS/x               no        '$' topics skip root wildcards
//   $share/g/a/+           a/b                  yes       one member of group g per message
//
// Overlapping subscriptions of one client yield ONE match with the highest granted QoS,
// retain-as-published if any matching subscription asked for it, and every matching
// subscription identifier (MQTT 5 3.3.4). Each shared group yields one member per
// message, round-robin, preferring members whose session is online; shared matches are
// separate from (and never merged with) the client's ordinary matches.
//
// Interest: an observer (SetInterestObserver) is told when a filter gains its first
// subscription and when it loses its last, ordinary and shared alike ($share/g/a/+
// counts for a/+). The NATS bridge subscribes to what other servers publish on exactly
// those filters.
//
// Thread-safety: Match takes a shared lock (many publishers at once); Subscribe and
// Unsubscribe take the exclusive lock. The interest observer runs under the exclusive
// lock, so its calls come in the order the changes were made; it must not call back
// into the tree.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/packet.h"

namespace tributary::broker {

// Whoever receives messages: a session in the broker, a recorder in tests.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual const std::string& client_id() const = 0;
  // Used to prefer online members of a shared group.
  virtual bool online() const = 0;
};

struct SubscriptionMatch {
  std::shared_ptr<Subscriber> subscriber;
  mqtt::QoS max_qos = mqtt::QoS::kAtMostOnce;
  bool retain_as_published = false;
  std::vector<uint32_t> subscription_ids;
};

class SubscriptionTree {
 public:
  // `present`: the filter has its first subscription (true) or lost its last (false).
  using InterestFn = std::function<void(std::string_view filter, bool present)>;

  SubscriptionTree();
  ~SubscriptionTree();

  // Set before the first Subscribe (it is not told of what is already there).
  void SetInterestObserver(InterestFn observer);

  // Adds or replaces `subscriber`'s subscription to `filter` (which may be a
  // $share/group/ filter). Returns true when it is new (false when it replaced one).
  // `subscription_id` 0 means none.
  bool Subscribe(const std::shared_ptr<Subscriber>& subscriber, std::string_view filter,
                 const mqtt::SubscribeOptions& options, uint32_t subscription_id);
  // Returns false when there was no such subscription.
  bool Unsubscribe(const Subscriber* subscriber, std::string_view filter);

  // Appends the matches for a PUBLISH on `topic` by `publisher_client_id` (for no-local)
  // to `out`.
  void Match(std::string_view topic, std::string_view publisher_client_id,
             std::vector<SubscriptionMatch>* out) const;

  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct Node;
  struct Entry;
  struct Entries;
  struct SharedGroup;
  struct Collector;
  static void Walk(const Node& node, std::string_view topic, size_t pos, bool dollar_root,
                   Collector& c);
  static std::unique_ptr<Node>* Slot(Node* node, std::string_view level, bool create);
  Node* Find(std::string_view filter, bool create);
  void Prune(std::string_view filter);

  mutable std::shared_mutex mu_;
  InterestFn observer_;
  std::unique_ptr<Node> root_;
  std::atomic<size_t> count_{0};
};

}  // namespace tributary::broker
