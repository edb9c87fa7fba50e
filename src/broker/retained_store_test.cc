#include "broker/retained_store.h"

#include <gtest/gtest.h>

namespace tributary::broker {
namespace {

MessagePtr Retained(const std::string& topic, const std::string& payload, uint64_t seq,
                    int64_t at_ms = 1000) {
  auto m = std::make_shared<Message>();
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

}  // namespace
}  // namespace tributary::broker
