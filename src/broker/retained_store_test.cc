#include "broker/retained_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace tributary::broker {
namespace {

MessagePtr Retained(const std::string& topic, const std::string& payload, uint64_t seq,
                    int64_t at_ms = 1000, const std::string& client_id = "") {
  auto m = std::make_shared<Message>();
  m->origin_client_id = client_id;
  m->topic = topic;
  m->payload = payload;
  m->retain = true;
  m->seq = seq;
  m->received_at_ms = at_ms;
  return m;
}

std::string Payload(const RetainedStore& store, const std::string& topic) {
  MessagePtr m = store.Get(topic);
  return m ? m->payload : "<none>";
}

// Verdicts may come back out of arrival order: the later message wins, set or clear.
TEST(RetainedStoreTest, TheLaterMessageWinsWhateverOrderTheyAreApplied) {
  RetainedStore store;
  store.Apply(Retained("a", "new", 2));
  store.Apply(Retained("a", "old", 1));
  EXPECT_EQ(Payload(store, "a"), "new");
  // A clear that arrived after a set whose verdict comes later: the topic stays clear.
  store.Apply(Retained("b", "", 4));
  store.Apply(Retained("b", "set before the clear", 3));
  EXPECT_EQ(Payload(store, "b"), "<none>");
  EXPECT_EQ(store.size(), 1u);
  // A set after the clear takes the topic again.
  store.Apply(Retained("b", "after", 5));
  EXPECT_EQ(Payload(store, "b"), "after");
}

TEST(RetainedStoreTest, ClearsAreForgottenAfterAWhile) {
  RetainedStore store;
  store.Apply(Retained("c", "", 10, 1000));
  // Long after, an unrelated message lets the old clear go.
  store.Apply(Retained("other", "x", 11, 1000 + RetainedStore::kClearKeptMs + 1));
  store.Apply(Retained("c", "very late", 9, 1000 + RetainedStore::kClearKeptMs + 1));
  EXPECT_EQ(Payload(store, "c"), "very late");
  // A clear recorded again for a topic keeps the newer one when the older is forgotten.
  RetainedStore kept;
  kept.Apply(Retained("d", "", 1, 0));
  kept.Apply(Retained("d", "", 3, RetainedStore::kClearKeptMs));
  kept.Apply(Retained("e", "x", 4, RetainedStore::kClearKeptMs + 1));  // forgets the first
  kept.Apply(Retained("d", "late", 2, RetainedStore::kClearKeptMs + 1));
  EXPECT_EQ(Payload(kept, "d"), "<none>");
}

// Past its limits the store refuses a message that would grow it: a payload too large, a
// new topic past the count, a message past the bytes. Replacing a topic's message no
// larger, and a clear, always go through, and a clear makes room.
TEST(RetainedStoreTest, LimitsRefuseWhatWouldGrowTheStorePastThem) {
  RetainedStore store({/*max_payload_bytes=*/10, /*max_messages=*/2, /*max_bytes=*/20});
  EXPECT_EQ(store.Apply(Retained("big", std::string(11, 'x'), 1)), RetainRefusal::kPayloadTooLarge);
  EXPECT_EQ(store.Apply(Retained("a", "12345", 2)), RetainRefusal::kNone);  // 6 bytes
  EXPECT_EQ(store.Apply(Retained("b", "123", 3)), RetainRefusal::kNone);    // 4 more
  EXPECT_EQ(store.bytes(), 10u);
  EXPECT_EQ(store.Check("c", 1, ""), RetainRefusal::kStoreFull);  // a third message
  EXPECT_EQ(store.Apply(Retained("c", "1", 4)), RetainRefusal::kStoreFull);
  EXPECT_EQ(Payload(store, "c"), "<none>");
  // Replacing: within the bytes, yes; past them, no (the topic keeps its message).
  EXPECT_EQ(store.Apply(Retained("a", "123456789", 5)), RetainRefusal::kNone);  // 10 bytes
  EXPECT_EQ(store.bytes(), 14u);
  EXPECT_EQ(store.Apply(Retained("b", "1234567890", 6)), RetainRefusal::kStoreFull);  // 25
  EXPECT_EQ(Payload(store, "b"), "123");
  // A clear goes through and makes room.
  EXPECT_EQ(store.Apply(Retained("a", "", 7)), RetainRefusal::kNone);
  EXPECT_EQ(store.bytes(), 4u);
  EXPECT_EQ(store.Apply(Retained("c", "1", 8)), RetainRefusal::kNone);
  EXPECT_EQ(store.size(), 2u);
}

// What was saved is loaded whatever the limits; over them, the store refuses growth but
// still takes a topic's message replaced by one no larger.
TEST(RetainedStoreTest, LoadTakesEverythingAndLimitsThenStopGrowth) {
  RetainedStore store({0, /*max_messages=*/1, /*max_bytes=*/5});
  store.Load(Retained("a", "12345", 1));
  store.Load(Retained("b", "12345", 2));
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.bytes(), 12u);
  EXPECT_EQ(store.Apply(Retained("c", "1", 3)), RetainRefusal::kStoreFull);
  EXPECT_EQ(store.Apply(Retained("a", "123456", 4)), RetainRefusal::kStoreFull);
  EXPECT_EQ(store.Apply(Retained("a", "1", 5)), RetainRefusal::kNone);
  EXPECT_EQ(Payload(store, "a"), "1");
  EXPECT_EQ(store.bytes(), 8u);
}

// Messages applied as not counted (the server's $SYS topics) pass no limit and take none.
TEST(RetainedStoreTest, UncountedMessagesTakeNoShareOfTheLimits) {
  RetainedStore store({0, /*max_messages=*/1, /*max_bytes=*/100});
  EXPECT_EQ(store.Apply(Retained("$SYS/x", std::string(200, 'x'), 1), /*counted=*/false),
            RetainRefusal::kNone);
  EXPECT_EQ(store.Apply(Retained("a", "1", 2)), RetainRefusal::kNone);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.counted_messages(), 1u);
  EXPECT_EQ(store.bytes(), 2u);
  EXPECT_EQ(store.Apply(Retained("$SYS/x", "", 3), /*counted=*/false), RetainRefusal::kNone);
  EXPECT_EQ(store.bytes(), 2u);
  EXPECT_EQ(store.size(), 1u);
}

// One publisher's share is bounded on its own, so that it cannot fill the store for all:
// others still retain, and a topic taken over by another publisher moves to its share.
TEST(RetainedStoreTest, EachPublisherHasItsOwnShare) {
  RetainedLimits limits;
  limits.max_messages = 10;
  limits.max_messages_per_client = 2;
  limits.max_bytes_per_client = 12;
  RetainedStore store(limits);
  auto by = [](const std::string& client, const std::string& topic, const std::string& payload,
               uint64_t seq) { return Retained(topic, payload, seq, 1000, client); };
  EXPECT_EQ(store.Apply(by("d1", "a", "1234", 1)), RetainRefusal::kNone);  // 5 bytes
  EXPECT_EQ(store.Apply(by("d1", "b", "1234", 2)), RetainRefusal::kNone);  // 10
  EXPECT_EQ(store.Check("c", 1, "d1"), RetainRefusal::kClientShareFull);
  EXPECT_EQ(store.Apply(by("d1", "c", "1", 3)), RetainRefusal::kClientShareFull);
  EXPECT_EQ(Payload(store, "c"), "<none>");
  // Its own topics: replaced within its bytes, yes; grown past them, no.
  EXPECT_EQ(store.Apply(by("d1", "a", "12345", 4)), RetainRefusal::kNone);  // 11
  EXPECT_EQ(store.Apply(by("d1", "a", "1234567", 5)), RetainRefusal::kClientShareFull);
  EXPECT_EQ(Payload(store, "a"), "12345");
  EXPECT_EQ(store.share("d1").messages, 2u);
  EXPECT_EQ(store.share("d1").bytes, 11u);
  // Another device and the server itself still retain.
  EXPECT_EQ(store.Apply(by("d2", "c", "1", 6)), RetainRefusal::kNone);
  EXPECT_EQ(store.Apply(by("", "s1", "1", 7)), RetainRefusal::kNone);
  EXPECT_EQ(store.Apply(by("", "s2", "1", 8)), RetainRefusal::kNone);
  EXPECT_EQ(store.Apply(by("", "s3", "1", 9)), RetainRefusal::kNone);
  EXPECT_EQ(store.share("").messages, 0u);
  // d2 takes over d1's topic: it leaves d1's share for d2's, and d1 has room again.
  EXPECT_EQ(store.Apply(by("d2", "b", "1", 10)), RetainRefusal::kNone);
  EXPECT_EQ(store.share("d1").messages, 1u);
  EXPECT_EQ(store.share("d1").bytes, 6u);
  EXPECT_EQ(store.share("d2").messages, 2u);
  EXPECT_EQ(store.Apply(by("d1", "c2", "1", 11)), RetainRefusal::kNone);
  // A clear by anyone frees its topic's share; a publisher holding nothing is forgotten.
  EXPECT_EQ(store.Apply(by("d1", "c", "", 12)), RetainRefusal::kNone);
  EXPECT_EQ(store.Apply(by("d1", "b", "", 13)), RetainRefusal::kNone);
  EXPECT_EQ(store.share("d2").messages, 0u);
  EXPECT_EQ(store.share("d2").bytes, 0u);
  // Loaded messages count too.
  RetainedStore loaded(limits);
  loaded.Load(by("d1", "x", "1", 1));
  loaded.Load(by("d1", "y", "1", 2));
  EXPECT_EQ(loaded.Apply(by("d1", "z", "1", 3)), RetainRefusal::kClientShareFull);
}

std::vector<std::string> MatchedTopics(const RetainedStore& store, std::string_view filter) {
  std::vector<std::string> topics;
  for (const auto& m : store.Match(filter, 1000)) topics.push_back(m->topic);
  std::sort(topics.begin(), topics.end());
  return topics;
}

// A wildcard filter gets every retained message it matches, and only those: among topics
// that share its leading levels, that only begin with them, and that sort around them.
TEST(RetainedStoreTest, WildcardFiltersGetExactlyTheTopicsTheyMatch) {
  RetainedStore store;
  uint64_t seq = 0;
  for (const char* topic :
       {"a", "a/b", "a/b/c", "a/c", "ab", "ab/b", "a0/b", "a.b", "$SYS/a", "b/b", "/b"}) {
    store.Apply(Retained(topic, "x", ++seq));
  }
  using Topics = std::vector<std::string>;
  EXPECT_EQ(MatchedTopics(store, "a/#"), (Topics{"a", "a/b", "a/b/c", "a/c"}));
  EXPECT_EQ(MatchedTopics(store, "a/+"), (Topics{"a/b", "a/c"}));
  EXPECT_EQ(MatchedTopics(store, "a/b/#"), (Topics{"a/b", "a/b/c"}));
  EXPECT_EQ(MatchedTopics(store, "+/b"), (Topics{"/b", "a/b", "a0/b", "ab/b", "b/b"}));
  EXPECT_EQ(MatchedTopics(store, "#"),
            (Topics{"/b", "a", "a.b", "a/b", "a/b/c", "a/c", "a0/b", "ab", "ab/b", "b/b"}));
  EXPECT_EQ(MatchedTopics(store, "$SYS/#"), (Topics{"$SYS/a"}));
  EXPECT_EQ(MatchedTopics(store, "/+"), (Topics{"/b"}));
  EXPECT_EQ(MatchedTopics(store, "ab/+"), (Topics{"ab/b"}));
  EXPECT_TRUE(MatchedTopics(store, "c/#").empty());
}

// A fleet that keeps one retained message a thing ("devices/<thing>/state") and whose
// things each subscribe to "devices/<thing>/#" when they connect: each subscription
// reads the messages under its thing's levels, not every message retained, so the
// fleet's reconnection is not quadratic in its size (10 s here for 20,000 things
// when each read them all, against 50 ms).
TEST(RetainedStoreTest, AWildcardFilterReadsOnlyTheTopicsUnderItsLeadingLevels) {
  constexpr int kThings = 20000;
  RetainedStore store;
  for (int i = 0; i < kThings; ++i) {
    store.Apply(Retained("devices/thing-" + std::to_string(i) + "/state", "on", i + 1));
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kThings; ++i) {
    std::string thing = "devices/thing-" + std::to_string(i);
    auto matched = store.Match(thing + "/#", 1000);
    ASSERT_EQ(matched.size(), 1u) << thing;
    ASSERT_EQ(matched[0]->topic, thing + "/state");
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(2))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

}  // namespace
}  // namespace tributary::broker
