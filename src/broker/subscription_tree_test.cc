#include "broker/subscription_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace tributary::broker {
namespace {

class FakeSubscriber : public Subscriber {
 public:
  explicit FakeSubscriber(std::string id, bool online = true)
      : id_(std::move(id)), online_(online) {}
  const std::string& client_id() const override { return id_; }
  bool online() const override { return online_; }

 private:
  std::string id_;
  bool online_;
};

mqtt::SubscribeOptions Qos(int q) {
  mqtt::SubscribeOptions o;
  o.max_qos = static_cast<mqtt::QoS>(q);
  return o;
}

std::vector<std::string> MatchIds(const SubscriptionTree& t, std::string_view topic,
                                  std::string_view publisher = "") {
  std::vector<SubscriptionMatch> out;
  t.Match(topic, publisher, &out);
  std::vector<std::string> ids;
  for (auto& m : out) ids.push_back(m.subscriber->client_id());
  std::sort(ids.begin(), ids.end());
  return ids;
}

using Ids = std::vector<std::string>;

TEST(SubscriptionTreeTest, WildcardsFollowTheSpecExamples) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  auto b = std::make_shared<FakeSubscriber>("b");
  auto c = std::make_shared<FakeSubscriber>("c");
  auto d = std::make_shared<FakeSubscriber>("d");
  auto e = std::make_shared<FakeSubscriber>("e");
  t.Subscribe(a, "sport/tennis/#", Qos(0), 0);
  t.Subscribe(b, "sport/+", Qos(0), 0);
  t.Subscribe(c, "+/+", Qos(0), 0);
  t.Subscribe(d, "#", Qos(0), 0);
  t.Subscribe(e, "sport/tennis/player1", Qos(0), 0);
  EXPECT_EQ(MatchIds(t, "sport/tennis"), (Ids{"a", "b", "c", "d"}));
  EXPECT_EQ(MatchIds(t, "sport/tennis/player1"), (Ids{"a", "d", "e"}));
  EXPECT_EQ(MatchIds(t, "sport/tennis/player1/ranking"), (Ids{"a", "d"}));
  EXPECT_EQ(MatchIds(t, "sport/"), (Ids{"b", "c", "d"}));
  EXPECT_EQ(MatchIds(t, "sport"), (Ids{"d"}));
  EXPECT_EQ(MatchIds(t, "/finance"), (Ids{"c", "d"}));
  EXPECT_EQ(MatchIds(t, "a/b/c"), (Ids{"d"}));
  EXPECT_EQ(t.size(), 5u);
}

TEST(SubscriptionTreeTest, DollarTopicsSkipLeadingWildcards) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  auto b = std::make_shared<FakeSubscriber>("b");
  auto c = std::make_shared<FakeSubscriber>("c");
  auto d = std::make_shared<FakeSubscriber>("d");
  t.Subscribe(a, "#", Qos(0), 0);
  t.Subscribe(b, "+/broker/uptime", Qos(0), 0);
  t.Subscribe(c, "$SYS/#", Qos(0), 0);
  t.Subscribe(d, "$SYS/+/uptime", Qos(0), 0);
  EXPECT_EQ(MatchIds(t, "$SYS/broker/uptime"), (Ids{"c", "d"}));
  EXPECT_EQ(MatchIds(t, "x/broker/uptime"), (Ids{"a", "b"}));
}

TEST(SubscriptionTreeTest, UnsubscribeRemovesAndPrunes) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  auto b = std::make_shared<FakeSubscriber>("b");
  EXPECT_TRUE(t.Subscribe(a, "x/+/z", Qos(1), 0));
  EXPECT_FALSE(t.Subscribe(a, "x/+/z", Qos(2), 0));  // replaces
  t.Subscribe(b, "x/y/z", Qos(1), 0);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(MatchIds(t, "x/y/z"), (Ids{"a", "b"}));
  EXPECT_TRUE(t.Unsubscribe(a.get(), "x/+/z"));
  EXPECT_FALSE(t.Unsubscribe(a.get(), "x/+/z"));
  EXPECT_FALSE(t.Unsubscribe(a.get(), "never/subscribed"));
  EXPECT_EQ(MatchIds(t, "x/y/z"), (Ids{"b"}));
  EXPECT_TRUE(t.Unsubscribe(b.get(), "x/y/z"));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(MatchIds(t, "x/y/z").empty());
  // The tree is reusable after pruning.
  t.Subscribe(b, "x/y/z", Qos(0), 0);
  EXPECT_EQ(MatchIds(t, "x/y/z"), (Ids{"b"}));
}

// A fleet under one level ("devices/<thing>/...") going away: each unsubscribe drops its
// thing's node from a parent with tens of thousands of children, under the lock every
// publish's match waits for. Finding that child by its name keeps it constant time; a
// scan of the parent's children made the fleet's teardown quadratic (26 s here
// for 60,000 things, against 0.1 s).
TEST(SubscriptionTreeTest, AFleetUnsubscribesInTimeLinearInItsSize) {
  constexpr int kThings = 60000;
  SubscriptionTree t;
  std::vector<std::shared_ptr<FakeSubscriber>> things;
  for (int i = 0; i < kThings; ++i) {
    things.push_back(std::make_shared<FakeSubscriber>("thing-" + std::to_string(i)));
    t.Subscribe(things.back(), "devices/thing-" + std::to_string(i) + "/cmd", Qos(1), 0);
  }
  ASSERT_EQ(t.size(), static_cast<size_t>(kThings));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kThings; ++i) {
    ASSERT_TRUE(t.Unsubscribe(things[i].get(), "devices/thing-" + std::to_string(i) + "/cmd"));
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_LT(took, std::chrono::seconds(4))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  // Every node went with its last subscription: the same filters subscribe again.
  t.Subscribe(things[7], "devices/thing-7/cmd", Qos(0), 0);
  EXPECT_EQ(MatchIds(t, "devices/thing-7/cmd"), (Ids{"thing-7"}));
}

// A fleet that all subscribe to one filter (a broadcast topic, a shared group): each
// subscribe looks for the client among the filter's subscribers and each unsubscribe
// takes it out, under the lock every publish's match waits for. With an index by client
// that is constant time; a scan of the subscribers made the fleet's connects and
// disconnects quadratic (7.3 s here for 100,000 things, against 0.1 s).
TEST(SubscriptionTreeTest, AFleetOnOneFilterSubscribesAndUnsubscribesInLinearTime) {
  constexpr int kThings = 100000;
  for (std::string filter : {"fleet/commands", "$share/workers/fleet/jobs"}) {
    SubscriptionTree t;
    std::vector<std::shared_ptr<FakeSubscriber>> things;
    for (int i = 0; i < kThings; ++i) {
      things.push_back(std::make_shared<FakeSubscriber>("thing-" + std::to_string(i)));
    }
    auto start = std::chrono::steady_clock::now();
    for (auto& thing : things) ASSERT_TRUE(t.Subscribe(thing, filter, Qos(1), 0));
    // Subscribing again replaces, whoever it is among them.
    for (int i : {0, kThings / 2, kThings - 1}) {
      EXPECT_FALSE(t.Subscribe(things[i], filter, Qos(0), 0));
    }
    ASSERT_EQ(t.size(), static_cast<size_t>(kThings));
    // Every other thing leaves; the rest are still matched, each once.
    for (int i = 0; i < kThings; i += 2) ASSERT_TRUE(t.Unsubscribe(things[i].get(), filter));
    for (int i = 0; i < kThings; i += 2) EXPECT_FALSE(t.Unsubscribe(things[i].get(), filter));
    std::string topic = filter == "fleet/commands" ? "fleet/commands" : "fleet/jobs";
    std::vector<SubscriptionMatch> out;
    if (filter == "fleet/commands") {
      t.Match(topic, "", &out);
      ASSERT_EQ(out.size(), static_cast<size_t>(kThings / 2));
      for (const auto& m : out) {
        int n = std::stoi(m.subscriber->client_id().substr(6));
        EXPECT_EQ(n % 2, 1) << m.subscriber->client_id();
      }
    } else {
      // The group hands each message to one member, in turn over those left.
      std::set<std::string> members;
      for (int i = 0; i < kThings / 2; ++i) {
        out.clear();
        t.Match(topic, "", &out);
        ASSERT_EQ(out.size(), 1u);
        members.insert(out[0].subscriber->client_id());
      }
      EXPECT_EQ(members.size(), static_cast<size_t>(kThings / 2));
    }
    for (int i = 1; i < kThings; i += 2) ASSERT_TRUE(t.Unsubscribe(things[i].get(), filter));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(t.size(), 0u);
    EXPECT_TRUE(MatchIds(t, topic).empty());
    EXPECT_LT(took, std::chrono::seconds(2))
        << filter << ": " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
        << " ms";
  }
}

TEST(SubscriptionTreeTest, OverlappingSubscriptionsDeliverOnceWithMaxQosAndAllIds) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  t.Subscribe(a, "home/+/temp", Qos(0), 7);
  t.Subscribe(a, "home/#", Qos(2), 9);
  t.Subscribe(a, "home/kitchen/temp", Qos(1), 0);
  std::vector<SubscriptionMatch> out;
  t.Match("home/kitchen/temp", "", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].max_qos, mqtt::QoS::kExactlyOnce);
  auto ids = out[0].subscription_ids;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint32_t>{7, 9}));
}

TEST(SubscriptionTreeTest, NoLocalSkipsThePublisher) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  auto b = std::make_shared<FakeSubscriber>("b");
  mqtt::SubscribeOptions nl = Qos(1);
  nl.no_local = true;
  t.Subscribe(a, "chat", nl, 0);
  t.Subscribe(b, "chat", Qos(1), 0);
  EXPECT_EQ(MatchIds(t, "chat", "a"), (Ids{"b"}));
  EXPECT_EQ(MatchIds(t, "chat", "c"), (Ids{"a", "b"}));
}

TEST(SubscriptionTreeTest, RetainAsPublishedIsKeptPerMatch) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  mqtt::SubscribeOptions rap = Qos(0);
  rap.retain_as_published = true;
  t.Subscribe(a, "r/#", rap, 0);
  std::vector<SubscriptionMatch> out;
  t.Match("r/1", "", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].retain_as_published);
}

TEST(SubscriptionTreeTest, SharedGroupsRoundRobinAndStaySeparate) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a");
  auto b = std::make_shared<FakeSubscriber>("b");
  auto c = std::make_shared<FakeSubscriber>("c");
  t.Subscribe(a, "$share/g/jobs/+", Qos(1), 0);
  t.Subscribe(b, "$share/g/jobs/+", Qos(1), 0);
  t.Subscribe(c, "$share/h/jobs/#", Qos(0), 0);
  t.Subscribe(a, "jobs/#", Qos(0), 0);  // a also has an ordinary subscription
  std::map<std::string, int> counts;
  for (int i = 0; i < 10; ++i) {
    std::vector<SubscriptionMatch> out;
    t.Match("jobs/1", "", &out);
    // One from group g, one from group h, one ordinary (a).
    ASSERT_EQ(out.size(), 3u);
    for (auto& m : out) counts[m.subscriber->client_id()]++;
  }
  EXPECT_EQ(counts["c"], 10);
  // a: 10 ordinary + 5 from the group; b: 5 from the group.
  EXPECT_EQ(counts["a"], 15);
  EXPECT_EQ(counts["b"], 5);
}

TEST(SubscriptionTreeTest, SharedGroupPrefersOnlineMembers) {
  SubscriptionTree t;
  auto a = std::make_shared<FakeSubscriber>("a", /*online=*/false);
  auto b = std::make_shared<FakeSubscriber>("b", /*online=*/true);
  t.Subscribe(a, "$share/g/t", Qos(1), 0);
  t.Subscribe(b, "$share/g/t", Qos(1), 0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(MatchIds(t, "t"), (Ids{"b"}));
  EXPECT_TRUE(t.Unsubscribe(b.get(), "$share/g/t"));
  EXPECT_EQ(MatchIds(t, "t"), (Ids{"a"}));  // offline member still gets it (queued)
  EXPECT_TRUE(t.Unsubscribe(a.get(), "$share/g/t"));
  EXPECT_TRUE(MatchIds(t, "t").empty());
  EXPECT_EQ(t.size(), 0u);
}

TEST(SubscriptionTreeTest, TheInterestObserverHearsAFiltersFirstAndLastSubscription) {
  SubscriptionTree t;
  std::vector<std::string> heard;
  t.SetInterestObserver([&](std::string_view filter, bool present) {
    heard.push_back((present ? "+" : "-") + std::string(filter));
  });
  auto a = std::make_shared<FakeSubscriber>("a");
  auto b = std::make_shared<FakeSubscriber>("b");
  t.Subscribe(a, "devices/+/cmd", Qos(1), 0);
  t.Subscribe(b, "devices/+/cmd", Qos(0), 0);          // a second subscriber: nothing new
  t.Subscribe(a, "devices/+/cmd", Qos(0), 7);          // replaced: nothing new
  t.Subscribe(a, "$share/g/devices/+/cmd", Qos(0), 0); // shared, same filter: nothing new
  t.Subscribe(b, "$share/g/alerts/#", Qos(0), 0);      // shared only: the inner filter
  t.Subscribe(a, "devices/x/cmd/more", Qos(0), 0);     // a deeper node of its own
  EXPECT_EQ(heard, (Ids{"+devices/+/cmd", "+alerts/#", "+devices/x/cmd/more"}));
  heard.clear();
  EXPECT_FALSE(t.Unsubscribe(b.get(), "never/subscribed"));
  EXPECT_TRUE(t.Unsubscribe(a.get(), "devices/+/cmd"));
  EXPECT_TRUE(t.Unsubscribe(b.get(), "devices/+/cmd"));
  EXPECT_TRUE(heard.empty()) << "the shared subscription still wants devices/+/cmd";
  EXPECT_TRUE(t.Unsubscribe(a.get(), "$share/g/devices/+/cmd"));
  EXPECT_TRUE(t.Unsubscribe(b.get(), "$share/g/alerts/#"));
  EXPECT_TRUE(t.Unsubscribe(a.get(), "devices/x/cmd/more"));
  EXPECT_EQ(heard, (Ids{"-devices/+/cmd", "-alerts/#", "-devices/x/cmd/more"}));
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace tributary::broker
