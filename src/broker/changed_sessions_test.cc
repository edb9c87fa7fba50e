// ChangedSessions and the sessions that tell it of their changes.
#include "broker/changed_sessions.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "broker/session.h"
#include "broker/testing/null_sink.h"

namespace tributary::broker {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

using testing::NullSink;

MessagePtr Msg(const std::string& topic) {
  auto m = std::make_shared<Message>();
  m->topic = topic;
  m->payload = "p";
  m->qos = mqtt::QoS::kAtLeastOnce;
  return m;
}

TEST(ChangedSessionsTest, TakeReturnsEachIdOnceAndEmptiesTheSet) {
  ChangedSessions c;
  c.Add("b");
  c.Add("a");
  c.Add("b");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(Sorted(c.Take()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.Take().empty());
}

TEST(ChangedSessionsTest, TakeWithALimitLeavesTheRestForTheNextCall) {
  ChangedSessions c;
  for (const char* id : {"a", "b", "c", "d", "e"}) c.Add(id);
  std::vector<std::string> first = c.Take(3);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(c.size(), 2u);
  std::vector<std::string> all = c.Take(3);
  EXPECT_EQ(all.size(), 2u);
  all.insert(all.end(), first.begin(), first.end());
  EXPECT_EQ(Sorted(all), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(c.size(), 0u);
}

// A session tells the set once until its mark is cleared, however often it changes;
// a change after the clear tells it again. An unchanged session never does.
TEST(ChangedSessionsTest, ASessionIsReportedAtItsFirstChangeAfterEachClear) {
  ChangedSessions changed;
  std::vector<std::shared_ptr<Session>> sessions;
  for (int i = 0; i < 1000; ++i) {
    sessions.push_back(std::make_shared<Session>("s" + std::to_string(i), 100, &changed));
  }
  EXPECT_EQ(changed.size(), 0u) << "a session nothing happened to is not changed";

  auto sink = std::make_shared<NullSink>();
  Session& s7 = *sessions[7];
  s7.Attach(sink, mqtt::Version::kV5, 10, 60);
  ASSERT_TRUE(s7.Detach(sink.get(), 1));
  EXPECT_TRUE(s7.Enqueue(Msg("t"), mqtt::QoS::kAtLeastOnce, false, {}));
  EXPECT_EQ(changed.Take(), std::vector<std::string>{"s7"});

  // Marked still: further changes are not told until the mark is cleared.
  EXPECT_TRUE(s7.Enqueue(Msg("t"), mqtt::QoS::kAtLeastOnce, false, {}));
  EXPECT_EQ(changed.size(), 0u);
  s7.ClearChangedMark();
  EXPECT_EQ(changed.size(), 0u) << "clearing the mark is not a change";
  EXPECT_TRUE(s7.Enqueue(Msg("t"), mqtt::QoS::kAtLeastOnce, false, {}));
  EXPECT_EQ(changed.Take(), std::vector<std::string>{"s7"});

  // Restored from disk, a session starts unchanged.
  Session restored(s7.Snapshot(), 100, &changed);
  EXPECT_EQ(changed.size(), 0u);
  SubscriptionRecord rec;
  EXPECT_EQ(restored.AddSubscription("a/b", rec), Session::SubscriptionAdded::kNew);
  EXPECT_EQ(changed.Take(), std::vector<std::string>{"s7"});
}

}  // namespace
}  // namespace tributary::broker
