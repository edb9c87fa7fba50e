#include "nats/connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "base/completion_batch.h"
#include "nats/testing/inbox.h"
#include "nats/testing/nats_server.h"

namespace tributary::nats {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

using testing::MillisSince;

using testing::Inbox;
using testing::WaitUntil;

class NatsConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  std::unique_ptr<Connection> Connect() {
    auto c = Connection::Connect(server_.options());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  testing::NatsServer server_;
};

TEST_F(NatsConnectionTest, ConnectsAndReadsInfo) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  EXPECT_TRUE(nc->connected());
  EXPECT_EQ(nc->server_version(), "2.9.10");
  EXPECT_TRUE(nc->jetstream());
  EXPECT_EQ(nc->max_payload(), 1048576u);
  EXPECT_EQ(nc->reconnects(), 0u);
  EXPECT_TRUE(nc->Flush(2000).ok());
}

TEST(NatsConnectTest, ClosedPortIsUnavailableQuicklyNamingHostPort) {
  ConnectOptions o;
  o.port = testing::FreeLoopbackPort();
  auto start = steady_clock::now();
  auto c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_LT(MillisSince(start), 1000);
  EXPECT_EQ(c.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(c.status().message().find("127.0.0.1:" + std::to_string(o.port)), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("refused"), std::string::npos) << c.status().message();
}

TEST(NatsConnectTest, BadCredentialsGiveTheServersReason) {
  testing::NatsServer server({.user = "alice", .password = "s3cret"});
  Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  ConnectOptions o = server.options();
  o.password = "wrong";
  auto start = steady_clock::now();
  auto c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_LT(MillisSince(start), 1500);
  EXPECT_EQ(c.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(c.status().message().find("Authorization Violation"), std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find("wrong"), std::string::npos) << c.status().message();

  o.user.clear();
  o.password.clear();
  EXPECT_EQ(Connection::Connect(o).status().code(), ErrorCode::kUnauthenticated);

  auto good = Connection::Connect(server.options());
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE((*good)->Flush(2000).ok());
}

TEST_F(NatsConnectionTest, PublishSubscribeWithHeadersAndBinaryPayloads) {
  auto sub = Connect();
  auto pub = Connect();
  ASSERT_TRUE(sub && pub);
  Inbox inbox;
  ASSERT_TRUE(sub->Subscribe("bin.>", inbox.Fn()).ok());
  ASSERT_TRUE(sub->Flush(2000).ok());  // the SUB is in place before anything is published

  std::string zeros("\0a\0\r\n\0", 6);
  std::string big(900 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) % 251);
  Headers headers = {{"X-Key", "v1"}, {"x-key", "v2"}, {"Other", "value with  spaces"}};

  ASSERT_TRUE(pub->Publish("bin.zeros", zeros).ok());
  ASSERT_TRUE(pub->Publish("bin.empty", "").ok());
  ASSERT_TRUE(pub->Publish("bin.big", big, "reply.here").ok());
  ASSERT_TRUE(pub->Publish("bin.headers", zeros, "", &headers).ok());
  ASSERT_TRUE(pub->Publish("bin.empty.headers", "", "", &headers).ok());
  ASSERT_TRUE(pub->Publish("bin.big.headers", big, "", &headers).ok());
  ASSERT_TRUE(pub->Flush(5000).ok());

  ASSERT_TRUE(inbox.WaitFor(6));
  auto got = inbox.Take();
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].subject, "bin.zeros");
  EXPECT_EQ(got[0].data, zeros);
  EXPECT_TRUE(got[0].headers.empty());
  EXPECT_EQ(got[1].data, "");
  EXPECT_EQ(got[2].data, big);
  EXPECT_EQ(got[2].reply, "reply.here");
  for (int i : {3, 4, 5}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].headers, headers);
    EXPECT_EQ(got[i].Header("X-KEY"), "v1");
    EXPECT_EQ(got[i].Header("other"), "value with  spaces");
    EXPECT_EQ(got[i].status, 0);
  }
  EXPECT_EQ(got[3].data, zeros);
  EXPECT_EQ(got[4].data, "");
  EXPECT_EQ(got[5].data, big);
}

TEST_F(NatsConnectionTest, PublishEncodedSendsTheBlockAsItIsAndWakesOncePerBatch) {
  auto sub = Connect();
  auto pub = Connect();
  ASSERT_TRUE(sub && pub);
  Inbox inbox;
  ASSERT_TRUE(sub->Subscribe("enc.>", inbox.Fn()).ok());
  ASSERT_TRUE(sub->Flush(2000).ok());
  Headers headers = {{"Origin", "here"}, {"Seq", "7"}};
  const std::string block = EncodeHeaderBlock(headers).value();

  ASSERT_TRUE(pub->PublishEncoded("enc.alone", "a", block).ok());
  ASSERT_TRUE(pub->PublishEncoded("enc.bare", "b", "").ok());
  {
    CompletionBatch batch;  // as a broker thread handling one read's PUBLISHes
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(pub->PublishEncoded("enc.batch", std::to_string(i), block).ok());
    }
  }  // the I/O thread is woken here
  EXPECT_EQ(pub->PublishEncoded("enc.bad subject", "x", block).code(), ErrorCode::kInvalidArgument);

  ASSERT_TRUE(inbox.WaitFor(102)) << inbox.size();
  auto got = inbox.Take();
  EXPECT_EQ(got[0].subject, "enc.alone");
  EXPECT_EQ(got[0].headers, headers);
  EXPECT_EQ(got[1].data, "b");
  EXPECT_TRUE(got[1].headers.empty());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(got[2 + i].data, std::to_string(i));
    EXPECT_EQ(got[2 + i].Header("seq"), "7");
  }
}

TEST_F(NatsConnectionTest, ManyMessagesFromFourThreadsArriveInOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25000;
  auto sub = Connect();
  auto pub = Connect();
  ASSERT_TRUE(sub && pub);
  std::mutex mu;
  std::vector<int> next(kThreads, 0);
  std::atomic<int> received{0}, out_of_order{0};
  ASSERT_TRUE(sub->Subscribe("load.*",
                             [&](Message& m) {
                               int thread = m.subject.back() - '0';
                               int seq = std::stoi(m.data);
                               std::lock_guard lock(mu);
                               if (seq != next[thread]) ++out_of_order;
                               next[thread] = seq + 1;
                               ++received;
                             })
                  .ok());
  ASSERT_TRUE(sub->Flush(2000).ok());

  auto start = steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string subject = "load." + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        if (!pub->Publish(subject, std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(pub->Flush(5000).ok());
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(WaitUntil([&] { return received == kThreads * kPerThread; }, 10000))
      << received << " of " << kThreads * kPerThread;
  EXPECT_EQ(out_of_order, 0);
  RecordProperty("millis", static_cast<int>(MillisSince(start)));
}

TEST_F(NatsConnectionTest, RequestReply) {
  auto responder = Connect();
  auto requester = Connect();
  ASSERT_TRUE(responder && requester);
  Connection* r = responder.get();
  ASSERT_TRUE(r->Subscribe("svc.echo", [r](Message& m) {
                 Headers h = {{"Echo-Of", std::string(m.Header("Trace"))}};
                 (void)r->Publish(m.reply, "echo:" + m.data, "", &h);
               }).ok());
  ASSERT_TRUE(responder->Flush(2000).ok());

  Headers trace = {{"Trace", "t-1"}};
  auto reply = requester->RequestSync("svc.echo", "hi", 2000, &trace);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->data, "echo:hi");
  EXPECT_EQ(reply->Header("echo-of"), "t-1");

  // Asynchronous requests, many at once, each answered once.
  constexpr int kRequests = 200;
  std::atomic<int> ok{0}, calls{0};
  std::promise<void> all;
  for (int i = 0; i < kRequests; ++i) {
    requester->Request("svc.echo", std::to_string(i), 5000, [&, i](Result<Message> m) {
      if (m.ok() && m->data == "echo:" + std::to_string(i)) ++ok;
      if (++calls == kRequests) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(ok, kRequests);
}

TEST_F(NatsConnectionTest, RequestTimesOut) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  ASSERT_TRUE(nc->Subscribe("svc.silent", [](Message&) {}).ok());
  ASSERT_TRUE(nc->Flush(2000).ok());
  auto start = steady_clock::now();
  auto reply = nc->RequestSync("svc.silent", "", 300);
  int64_t took = MillisSince(start);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("timed out after 300 ms"), std::string::npos)
      << reply.status().message();
  EXPECT_GE(took, 290);
  EXPECT_LT(took, 1500);
}

TEST_F(NatsConnectionTest, NoRespondersIsUnavailableQuickly) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  auto start = steady_clock::now();
  auto reply = nc->RequestSync("svc.nobody", "x", 5000);
  ASSERT_FALSE(reply.ok());
  EXPECT_LT(MillisSince(start), 1000);
  EXPECT_EQ(reply.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(reply.status().message(), "no responders on svc.nobody");
}

TEST_F(NatsConnectionTest, RequestManyGetsEveryReplyUntilTheTimeout) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  Connection* c = nc.get();
  ASSERT_TRUE(c->Subscribe("svc.three", [c](Message& m) {
                 for (int i = 0; i < 3; ++i) (void)c->Publish(m.reply, std::to_string(i));
               }).ok());
  ASSERT_TRUE(c->Flush(2000).ok());

  // Until the timeout: three replies, then the error, then nothing.
  std::mutex mu;
  std::vector<std::string> seen;
  std::promise<Status> ended;
  c->RequestMany("svc.three", "", 300, [&](Result<Message> m) {
    if (!m.ok()) {
      ended.set_value(m.status());
      return false;
    }
    std::lock_guard lock(mu);
    seen.push_back(m->data);
    return true;
  });
  auto f = ended.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  Status end = f.get();
  EXPECT_EQ(end.code(), ErrorCode::kUnavailable);
  EXPECT_NE(end.message().find("timed out"), std::string::npos) << end.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2"}));

  // Returning false ends it: no more calls, not even the timeout.
  std::atomic<int> calls{0};
  c->RequestMany("svc.three", "", 300, [&](Result<Message>) {
    ++calls;
    return false;
  });
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(calls, 1);
}

TEST_F(NatsConnectionTest, CallbacksMayPublishRequestAndUnsubscribe) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  Connection* c = nc.get();
  ASSERT_TRUE(
      c->Subscribe("svc.echo", [c](Message& m) { (void)c->Publish(m.reply, m.data); }).ok());
  std::promise<std::string> answer;
  std::atomic<int> calls{0};
  auto sid = std::make_shared<uint64_t>(0);
  auto subscribed = c->Subscribe("chain", [c, &answer, &calls, sid](Message& m) {
    ++calls;
    c->Unsubscribe(*sid);
    c->Request("svc.echo", "via:" + m.data, 2000, [&answer](Result<Message> r) {
      answer.set_value(r.ok() ? r->data : r.status().ToString());
    });
    // A blocking call on the I/O thread is refused, not a deadlock.
    auto sync = c->RequestSync("svc.echo", "x", 100);
    if (sync.status().code() != ErrorCode::kFailedPrecondition)
      answer.set_value("RequestSync was allowed");
  });
  ASSERT_TRUE(subscribed.ok());
  *sid = *subscribed;
  ASSERT_TRUE(c->Flush(2000).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c->Publish("chain", "go").ok());
  auto f = answer.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(f.get(), "via:go");
  ASSERT_TRUE(c->Flush(2000).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(NatsConnectionTest, RefusesBadSubjectsAndOversizedMessages) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  for (const char* subject : {"", "a b", "a.*", "a.>", "a..b"}) {
    EXPECT_EQ(nc->Publish(subject, "x").code(), ErrorCode::kInvalidArgument) << subject;
  }
  EXPECT_EQ(nc->Publish("ok", "x", "bad reply").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(nc->Subscribe("a b", [](Message&) {}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(nc->Subscribe("a.>.b", [](Message&) {}).status().code(), ErrorCode::kInvalidArgument);

  std::string at_limit(nc->max_payload(), 'x');
  EXPECT_TRUE(nc->Publish("big", at_limit).ok());
  std::string over(nc->max_payload() + 1, 'x');
  Status st = nc->Publish("big", over);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("max_payload of 1048576"), std::string::npos) << st.message();
  Headers h = {{"K", "v"}};
  EXPECT_EQ(nc->Publish("big", at_limit, "", &h).code(), ErrorCode::kInvalidArgument);

  // A request that cannot be sent fails at once, on the caller's thread.
  std::thread::id called_on;
  Status result;
  nc->Request("big", over, 1000, [&](Result<Message> m) {
    called_on = std::this_thread::get_id();
    result = m.status();
  });
  EXPECT_EQ(called_on, std::this_thread::get_id());
  EXPECT_EQ(result.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(nc->Flush(2000).ok());  // still connected: nothing bad was sent
}

TEST_F(NatsConnectionTest, ReconnectsAfterTheServerIsKilled) {
  auto nc = Connect();
  auto other = Connect();
  ASSERT_TRUE(nc && other);
  Inbox inbox;
  ASSERT_TRUE(nc->Subscribe("events.>", inbox.Fn()).ok());
  ASSERT_TRUE(nc->Subscribe("svc.silent", [](Message&) {}).ok());
  ASSERT_TRUE(nc->Flush(2000).ok());

  std::promise<Status> pending;
  nc->Request("svc.silent", "", 10000, [&](Result<Message> m) { pending.set_value(m.status()); });
  ASSERT_TRUE(nc->Flush(2000).ok());

  server_.Kill();
  auto f = pending.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  Status lost = f.get();
  EXPECT_EQ(lost.code(), ErrorCode::kUnavailable);
  EXPECT_NE(lost.message().find("connection to NATS 127.0.0.1:" + std::to_string(server_.port()) +
                                " lost"),
            std::string::npos)
      << lost.message();
  EXPECT_TRUE(WaitUntil([&] { return !nc->connected(); }, 2000));
  EXPECT_EQ(nc->Publish("events.a", "x").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(nc->RequestSync("svc.silent", "", 1000).status().code(), ErrorCode::kUnavailable);

  // Subscribed while disconnected: sent when the connection comes back.
  Inbox later;
  ASSERT_TRUE(nc->Subscribe("later", later.Fn()).ok());

  Status restarted = server_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  ASSERT_TRUE(WaitUntil([&] { return nc->connected() && other->connected(); }, 5000));
  EXPECT_EQ(nc->reconnects(), 1u);
  EXPECT_EQ(other->reconnects(), 1u);

  ASSERT_TRUE(nc->Flush(2000).ok());
  ASSERT_TRUE(other->Flush(2000).ok());
  ASSERT_TRUE(other->Publish("events.after", "back").ok());
  ASSERT_TRUE(other->Publish("later", "too").ok());
  ASSERT_TRUE(other->Flush(2000).ok());
  ASSERT_TRUE(inbox.WaitFor(1));
  EXPECT_EQ(inbox.Take()[0].data, "back");
  ASSERT_TRUE(later.WaitFor(1));
  // Requests work again on the new connection (the inbox was re-subscribed).
  ASSERT_TRUE(other
                  ->Subscribe("svc.echo",
                              [o = other.get()](Message& m) { (void)o->Publish(m.reply, m.data); })
                  .ok());
  ASSERT_TRUE(other->Flush(2000).ok());
  auto echo = nc->RequestSync("svc.echo", "again", 2000);
  ASSERT_TRUE(echo.ok()) << echo.status().ToString();
  EXPECT_EQ(echo->data, "again");
}

TEST_F(NatsConnectionTest, AServerThatStopsAnsweringPingsIsLeft) {
  ConnectOptions o = server_.options();
  o.ping_interval_ms = 100;
  o.connect_timeout_ms = 300;
  auto c = Connection::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto nc = std::move(*c);
  ASSERT_TRUE(nc->Subscribe("svc.silent", [](Message&) {}).ok());
  ASSERT_TRUE(nc->Flush(2000).ok());
  std::promise<Status> pending;
  nc->Request("svc.silent", "", 10000, [&](Result<Message> m) { pending.set_value(m.status()); });

  server_.Pause();  // the socket stays open; nothing is answered
  auto f = pending.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  Status st = f.get();
  server_.Resume();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_NE(st.message().find("no PONG to the last 2 PINGs"), std::string::npos) << st.message();
  EXPECT_TRUE(WaitUntil([&] { return nc->connected(); }, 5000));
  EXPECT_GE(nc->reconnects(), 1u);
  EXPECT_TRUE(nc->Flush(2000).ok());
}

TEST_F(NatsConnectionTest, ClosingFailsOutstandingRequests) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  ASSERT_TRUE(nc->Subscribe("svc.silent", [](Message&) {}).ok());
  ASSERT_TRUE(nc->Flush(2000).ok());
  std::promise<Status> pending;
  nc->Request("svc.silent", "", 10000, [&](Result<Message> m) { pending.set_value(m.status()); });
  auto start = steady_clock::now();
  nc.reset();
  EXPECT_LT(MillisSince(start), 1500);
  auto f = pending.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  Status st = f.get();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(st.message(), "NATS connection closed");
}

TEST_F(NatsConnectionTest, AStalledServerBoundsTheQueue) {
  auto nc = Connect();
  ASSERT_NE(nc, nullptr);
  server_.Pause();
  std::string chunk(512 * 1024, 'x');
  Status st;
  size_t queued = 0;
  for (int i = 0; i < 1000 && st.ok(); ++i) {
    st = nc->Publish("stalled", chunk);
    if (st.ok()) queued += chunk.size();
  }
  server_.Resume();
  EXPECT_EQ(st.code(), ErrorCode::kResourceExhausted) << st.ToString();
  // The limit (less a message and its protocol line), plus what the socket buffers took.
  EXPECT_GE(queued, Connection::kMaxQueuedBytes - 2 * chunk.size());
  EXPECT_LT(queued, Connection::kMaxQueuedBytes + (16u << 20));
  EXPECT_TRUE(nc->Flush(5000).ok());
  EXPECT_TRUE(nc->Publish("stalled", chunk).ok());
}

}  // namespace
}  // namespace tributary::nats
