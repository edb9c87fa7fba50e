#include "broker/subscription_tree.h"

#include <algorithm>
#include <functional>
#include <mutex>

#include "mqtt/topic.h"

namespace tributary::broker {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Splits off the level starting at `pos`; `*next` becomes the start of the following
// level or npos when this was the last one.
std::string_view Level(std::string_view s, size_t pos, size_t* next) {
  size_t slash = s.find('/', pos);
  if (slash == std::string_view::npos) {
    *next = std::string_view::npos;
    return s.substr(pos);
  }
  *next = slash + 1;
  return s.substr(pos, slash - pos);
}

}  // namespace

struct SubscriptionTree::Entry {
  std::shared_ptr<Subscriber> subscriber;
  mqtt::SubscribeOptions options;
  uint32_t id = 0;
};

// A filter's subscriptions, or a shared group's members: a vector, which the publish
// path walks, and once there are more than a few, each subscriber's place in it, so that
// a fleet subscribing to one filter costs each subscribe and unsubscribe constant time.
// An unsubscribe moves the last entry into the place it frees: the order is not kept.
struct SubscriptionTree::Entries {
  static constexpr size_t kIndexFrom = 16;
  std::vector<Entry> list;
  std::unique_ptr<std::unordered_map<const Subscriber*, size_t>> index;  // once kIndexFrom

  bool empty() const { return list.empty(); }
  size_t size() const { return list.size(); }

  Entry* Find(const Subscriber* subscriber) {
    if (index) {
      auto it = index->find(subscriber);
      return it == index->end() ? nullptr : &list[it->second];
    }
    for (Entry& e : list) {
      if (e.subscriber.get() == subscriber) return &e;
    }
    return nullptr;
  }

  void Add(Entry entry) {
    list.push_back(std::move(entry));
    if (index) {
      index->emplace(list.back().subscriber.get(), list.size() - 1);
    } else if (list.size() >= kIndexFrom) {
      index = std::make_unique<std::unordered_map<const Subscriber*, size_t>>();
      for (size_t i = 0; i < list.size(); ++i) index->emplace(list[i].subscriber.get(), i);
    }
  }

  bool Remove(const Subscriber* subscriber) {
    Entry* e = Find(subscriber);
    if (e == nullptr) return false;
    size_t at = static_cast<size_t>(e - list.data());
    if (index) index->erase(subscriber);
    if (at + 1 != list.size()) {
      list[at] = std::move(list.back());
      if (index) (*index)[list[at].subscriber.get()] = at;
    }
    list.pop_back();
    if (list.empty()) index.reset();
    return true;
  }
};

struct SubscriptionTree::SharedGroup {
  std::string name;
  Entries members;
  mutable std::atomic<size_t> next{0};
};

struct SubscriptionTree::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>, StringHash, std::equal_to<>> children;
  std::unique_ptr<Node> plus;
  std::unique_ptr<Node> hash;
  Entries entries;
  std::vector<std::unique_ptr<SharedGroup>> groups;

  bool Empty() const { return children.empty() && !plus && !hash && !Subscribed(); }
  bool Subscribed() const { return !entries.empty() || !groups.empty(); }
};

struct SubscriptionTree::Collector {
  std::string_view publisher;
  std::vector<SubscriptionMatch>* out;
  std::vector<SubscriptionMatch> shared;

  void Add(const Node& node) {
    for (const Entry& e : node.entries.list) {
      if (e.options.no_local && e.subscriber->client_id() == publisher) continue;
      SubscriptionMatch m;
      m.subscriber = e.subscriber;
      m.max_qos = e.options.max_qos;
      m.retain_as_published = e.options.retain_as_published;
      if (e.id != 0) m.subscription_ids.push_back(e.id);
      out->push_back(std::move(m));
    }
    for (const auto& g : node.groups) {
      if (g->members.empty()) continue;
      size_t n = g->members.size();
      size_t start = g->next.fetch_add(1, std::memory_order_relaxed);
      const Entry* chosen = &g->members.list[start % n];
      for (size_t i = 0; i < n; ++i) {
        const Entry& cand = g->members.list[(start + i) % n];
        if (cand.subscriber->online()) {
          chosen = &cand;
          break;
        }
      }
      SubscriptionMatch m;
      m.subscriber = chosen->subscriber;
      m.max_qos = chosen->options.max_qos;
      m.retain_as_published = chosen->options.retain_as_published;
      if (chosen->id != 0) m.subscription_ids.push_back(chosen->id);
      shared.push_back(std::move(m));
    }
  }
};

SubscriptionTree::SubscriptionTree() : root_(std::make_unique<Node>()) {}
SubscriptionTree::~SubscriptionTree() = default;

// The slot under `node` that holds the level's child: its `+` or `#` slot, or its child of
// that name, made when `create` (else nullptr when there is none). The slot may be empty.
std::unique_ptr<SubscriptionTree::Node>* SubscriptionTree::Slot(Node* node, std::string_view level,
                                                                bool create) {
  if (level == "+") return &node->plus;
  if (level == "#") return &node->hash;
  auto it = node->children.find(level);
  if (it == node->children.end()) {
    if (!create) return nullptr;
    it = node->children.emplace(std::string(level), nullptr).first;
  }
  return &it->second;
}

SubscriptionTree::Node* SubscriptionTree::Find(std::string_view filter, bool create) {
  Node* node = root_.get();
  size_t pos = 0;
  while (pos != std::string_view::npos) {
    size_t next;
    std::unique_ptr<Node>* slot = Slot(node, Level(filter, pos, &next), create);
    if (slot == nullptr) return nullptr;
    if (!*slot) {
      if (!create) return nullptr;
      *slot = std::make_unique<Node>();
    }
    node = slot->get();
    pos = next;
  }
  return node;
}

void SubscriptionTree::SetInterestObserver(InterestFn observer) {
  std::unique_lock lock(mu_);
  observer_ = std::move(observer);
}

bool SubscriptionTree::Subscribe(const std::shared_ptr<Subscriber>& subscriber,
                                 std::string_view filter, const mqtt::SubscribeOptions& options,
                                 uint32_t subscription_id) {
  auto shared = mqtt::ParseSharedFilter(filter);
  std::unique_lock lock(mu_);
  std::string_view inner = shared ? std::string_view(shared->filter) : filter;
  Node* node = Find(inner, /*create=*/true);
  const bool was_subscribed = node->Subscribed();
  Entries* entries = &node->entries;
  if (shared) {
    auto it = std::find_if(node->groups.begin(), node->groups.end(),
                           [&](const auto& g) { return g->name == shared->group; });
    if (it == node->groups.end()) {
      node->groups.push_back(std::make_unique<SharedGroup>());
      node->groups.back()->name = shared->group;
      it = node->groups.end() - 1;
    }
    entries = &(*it)->members;
  }
  if (Entry* e = entries->Find(subscriber.get())) {
    e->subscriber = subscriber;
    e->options = options;
    e->id = subscription_id;
    return false;
  }
  entries->Add(Entry{subscriber, options, subscription_id});
  count_.fetch_add(1, std::memory_order_release);
  if (!was_subscribed && observer_) observer_(inner, true);
  return true;
}

bool SubscriptionTree::Unsubscribe(const Subscriber* subscriber, std::string_view filter) {
  auto shared = mqtt::ParseSharedFilter(filter);
  std::string_view inner = shared ? std::string_view(shared->filter) : filter;
  std::unique_lock lock(mu_);
  Node* node = Find(inner, /*create=*/false);
  if (node == nullptr) return false;
  Entries* entries = &node->entries;
  auto git = node->groups.end();
  if (shared) {
    git = std::find_if(node->groups.begin(), node->groups.end(),
                       [&](const auto& g) { return g->name == shared->group; });
    if (git == node->groups.end()) return false;
    entries = &(*git)->members;
  }
  if (!entries->Remove(subscriber)) return false;
  count_.fetch_sub(1, std::memory_order_relaxed);
  if (shared && entries->empty()) node->groups.erase(git);
  if (!node->Subscribed() && observer_) observer_(inner, false);
  Prune(inner);
  return true;
}

void SubscriptionTree::Prune(std::string_view filter) {
  // The path from the root to the filter's node, then drop empty nodes bottom-up. A named
  // child is erased by its name, not looked for among its siblings: a level such as
  // "devices/<thing>" may have a whole fleet of them.
  struct Step {
    Node* parent;
    std::unique_ptr<Node>* slot;
    std::string_view level;
  };
  std::vector<Step> path;
  Node* node = root_.get();
  size_t pos = 0;
  while (pos != std::string_view::npos) {
    size_t next;
    std::string_view level = Level(filter, pos, &next);
    std::unique_ptr<Node>* slot = Slot(node, level, /*create=*/false);
    if (slot == nullptr || !*slot) return;
    path.push_back({node, slot, level});
    node = slot->get();
    pos = next;
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if (!(*it->slot)->Empty()) break;
    if (it->slot == &it->parent->plus || it->slot == &it->parent->hash) {
      it->slot->reset();
    } else {
      it->parent->children.erase(it->parent->children.find(it->level));
    }
  }
}

void SubscriptionTree::Walk(const Node& node, std::string_view topic, size_t pos,
                            bool dollar_root, Collector& c) {
  if (pos == std::string_view::npos) {
    c.Add(node);
    if (node.hash) c.Add(*node.hash);  // "a/#" matches "a"
    return;
  }
  if (node.hash && !dollar_root) c.Add(*node.hash);
  size_t next;
  std::string_view level = Level(topic, pos, &next);
  auto it = node.children.find(level);
  if (it != node.children.end()) Walk(*it->second, topic, next, false, c);
  if (node.plus && !dollar_root) Walk(*node.plus, topic, next, false, c);
}

void SubscriptionTree::Match(std::string_view topic, std::string_view publisher_client_id,
                             std::vector<SubscriptionMatch>* out) const {
  // Many deployments have no MQTT subscribers at all (rules consume everything): skip
  // the lock then. A SUBSCRIBE acknowledged before this PUBLISH arrived has been counted
  // (its count is released under the lock; the acknowledgement left through a socket).
  if (count_.load(std::memory_order_acquire) == 0) return;
  size_t start = out->size();
  Collector c{publisher_client_id, out, {}};
  {
    std::shared_lock lock(mu_);
    Walk(*root_, topic, 0, !topic.empty() && topic[0] == '$', c);
  }
  // One match per client: highest QoS, every subscription identifier.
  if (out->size() - start > 1) {
    std::sort(out->begin() + start, out->end(), [](const auto& a, const auto& b) {
      return a.subscriber.get() < b.subscriber.get();
    });
    size_t w = start;
    for (size_t r = start + 1; r < out->size(); ++r) {
      SubscriptionMatch& keep = (*out)[w];
      SubscriptionMatch& cur = (*out)[r];
      if (cur.subscriber.get() == keep.subscriber.get()) {
        keep.max_qos = std::max(keep.max_qos, cur.max_qos);
        keep.retain_as_published = keep.retain_as_published || cur.retain_as_published;
        keep.subscription_ids.insert(keep.subscription_ids.end(), cur.subscription_ids.begin(),
                                     cur.subscription_ids.end());
      } else {
        ++w;
        if (w != r) (*out)[w] = std::move(cur);
      }
    }
    out->resize(w + 1);
  }
  for (auto& m : c.shared) out->push_back(std::move(m));
}

}  // namespace tributary::broker
