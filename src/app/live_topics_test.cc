#include "app/live_topics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

namespace tributary::app {
namespace {

// Records what reached the interceptor behind the watches.
class Next : public broker::MessageInterceptor {
 public:
  void OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) override {
    topics.push_back(std::string(msg.topic));
    if (done) done(broker::PublishVerdict::kQuotaExceeded);
  }
  std::vector<std::string> topics;
};

broker::InboundMessage Message(std::string_view topic, std::string_view payload) {
  broker::InboundMessage m{};
  m.client_id = "dev-1";
  m.topic = topic;
  m.payload = payload;
  m.qos = mqtt::QoS::kAtLeastOnce;
  m.received_at_ms = 1000;
  return m;
}

// Polls and waits for the answer (bounded).
Result<LiveBatch> PollNow(LiveTopics& live, const std::string& id, uint64_t after, int wait_ms = 0) {
  auto promise = std::make_shared<std::promise<Result<LiveBatch>>>();
  auto future = promise->get_future();
  live.Poll(id, after, wait_ms, [promise](Result<LiveBatch> b) { promise->set_value(std::move(b)); });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return Unavailable("poll never answered");
  return future.get();
}

TEST(LiveTopicsTest, AWatchSeesMatchingMessagesAndTheNextInterceptorSeesEveryOne) {
  Next next;
  LiveTopics live(&next);
  auto w = live.Watch("sensors/+/pm");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  broker::PublishVerdict verdict = broker::PublishVerdict::kAccepted;
  live.OnPublish(Message("sensors/a/pm", "{\"pm25\": 1}"), [&](broker::PublishVerdict v) { verdict = v; });
  live.OnPublish(Message("sensors/a/temp", "x"), {});
  live.Offer("sensors/b/pm", "from the server", 1, false);
  EXPECT_EQ(verdict, broker::PublishVerdict::kQuotaExceeded);  // the next interceptor's verdict stands
  EXPECT_EQ(next.topics, (std::vector<std::string>{"sensors/a/pm", "sensors/a/temp"}));

  auto batch = PollNow(live, w->id, 0);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->messages.size(), 2u);
  EXPECT_EQ(batch->messages[0].topic, "sensors/a/pm");
  EXPECT_EQ(batch->messages[0].client_id, "dev-1");
  EXPECT_EQ(batch->messages[0].payload, "{\"pm25\": 1}");
  EXPECT_EQ(batch->messages[1].client_id, "");
  EXPECT_EQ(batch->next, 2u);
  EXPECT_EQ(batch->dropped, 0u);
  EXPECT_TRUE(PollNow(live, w->id, 2)->messages.empty());
}

TEST(LiveTopicsTest, AWaitingPollIsAnsweredByTheNextMessageOrEmptyAtItsDeadline) {
  LiveTopics live(nullptr);
  auto w = live.Watch("#");
  ASSERT_TRUE(w.ok());
  auto promise = std::make_shared<std::promise<Result<LiveBatch>>>();
  auto future = promise->get_future();
  live.Poll(w->id, 0, 5000, [promise](Result<LiveBatch> b) { promise->set_value(std::move(b)); });
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  live.OnPublish(Message("a/b", "hello"), {});
  ASSERT_EQ(future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto batch = future.get();
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->messages.size(), 1u);
  EXPECT_EQ(batch->messages[0].payload, "hello");

  auto start = std::chrono::steady_clock::now();
  auto empty = PollNow(live, w->id, 1, 300);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->messages.empty());
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST(LiveTopicsTest, ASecondPollAnswersTheFirstEmpty) {
  LiveTopics live(nullptr);
  auto w = live.Watch("#");
  auto first = std::make_shared<std::promise<Result<LiveBatch>>>();
  auto first_future = first->get_future();
  live.Poll(w->id, 0, 5000, [first](Result<LiveBatch> b) { first->set_value(std::move(b)); });
  auto second = PollNow(live, w->id, 0, 0);
  ASSERT_EQ(first_future.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_TRUE(first_future.get()->messages.empty());
  EXPECT_TRUE(second.ok());
}

TEST(LiveTopicsTest, MessagesPastTheBufferAreCountedAsDroppedAndLongPayloadsCut) {
  LiveTopics live(nullptr);
  auto w = live.Watch("t");
  for (size_t i = 0; i < LiveTopics::kBufferMessages + 5; ++i) live.OnPublish(Message("t", "x"), {});
  auto batch = PollNow(live, w->id, 0);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->messages.size(), LiveTopics::kBufferMessages);
  EXPECT_EQ(batch->dropped, 5u);
  EXPECT_EQ(batch->messages.front().seq, 6u);
  EXPECT_EQ(batch->next, LiveTopics::kBufferMessages + 5);

  std::string big(LiveTopics::kMaxPayloadBytes + 10, 'a');
  live.OnPublish(Message("t", big), {});
  auto cut = PollNow(live, w->id, batch->next);
  ASSERT_EQ(cut->messages.size(), 1u);
  EXPECT_TRUE(cut->messages[0].truncated);
  EXPECT_EQ(cut->messages[0].size, big.size());
  EXPECT_EQ(cut->messages[0].payload.size(), LiveTopics::kMaxPayloadBytes);
}

TEST(LiveTopicsTest, BadFiltersUnknownWatchesAndTheWatchLimitAreRefusedWithReasons) {
  LiveTopics live(nullptr);
  EXPECT_EQ(live.Watch("a/#/b").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(live.Watch("").status().code(), ErrorCode::kInvalidArgument);
  auto shared = live.Watch("$share/g/a");
  EXPECT_EQ(shared.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(shared.status().message().find("$share"), std::string::npos);
  auto unknown = PollNow(live, "nope", 0);
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(live.Unwatch("nope").code(), ErrorCode::kNotFound);
  std::vector<std::string> ids;
  for (size_t i = 0; i < LiveTopics::kMaxWatches; ++i) ids.push_back(live.Watch("a/" + std::to_string(i))->id);
  EXPECT_EQ(live.Watch("one/more").status().code(), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(live.Unwatch(ids[0]).ok());
  EXPECT_TRUE(live.Watch("one/more").ok());
  EXPECT_EQ(live.List().size(), LiveTopics::kMaxWatches);
}

TEST(LiveTopicsTest, CloseAnswersWaitingPollsAndRefusesNewWatches) {
  LiveTopics live(nullptr);
  auto w = live.Watch("#");
  auto promise = std::make_shared<std::promise<Result<LiveBatch>>>();
  auto future = promise->get_future();
  live.Poll(w->id, 0, 20000, [promise](Result<LiveBatch> b) { promise->set_value(std::move(b)); });
  live.Close();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_EQ(future.get().status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(live.Watch("#").status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(PollNow(live, w->id, 0).status().code(), ErrorCode::kNotFound);
  live.OnPublish(Message("a", "b"), {});  // nothing to record, nothing breaks
}

TEST(LiveTopicsTest, StoppingAnswersAWaitingPoll) {
  auto promise = std::make_shared<std::promise<Result<LiveBatch>>>();
  auto future = promise->get_future();
  {
    LiveTopics live(nullptr);
    auto w = live.Watch("#");
    live.Poll(w->id, 0, 20000, [promise](Result<LiveBatch> b) { promise->set_value(std::move(b)); });
  }
  ASSERT_EQ(future.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_EQ(future.get().status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tributary::app
