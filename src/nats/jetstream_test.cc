#include "nats/jetstream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "nats/testing/inbox.h"
#include "nats/testing/nats_server.h"

namespace tributary::nats {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

using testing::MillisSince;

struct Fetched {
  std::vector<Delivered> messages;
  Status status;
  int64_t millis = 0;  // until `done`
};

class JetStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    auto c = Connection::Connect(server_.options());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    nc_ = std::move(*c);
    js_ = std::make_unique<JetStream>(nc_.get());
  }

  // A workqueue stream "WORK" on work.> with one consumer "w".
  void MakeWorkQueue(int64_t ack_wait_ms = 30000, int64_t max_bytes = -1) {
    auto state =
        js_->EnsureStream({.name = "WORK", .subjects = {"work.>"}, .max_bytes = max_bytes});
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    Status st = js_->EnsureConsumer("WORK", {.durable = "w", .ack_wait_ms = ack_wait_ms});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Result<uint64_t> PublishSync(const std::string& subject, const std::string& data,
                               const Headers* h = nullptr) {
    std::promise<Result<uint64_t>> p;
    js_->Publish(subject, data, h, 2000, [&](const Status& st, uint64_t seq) {
      p.set_value(st.ok() ? Result<uint64_t>(seq) : Result<uint64_t>(st));
    });
    return p.get_future().get();
  }

  Fetched FetchSync(int batch, int64_t expires_ms, std::string consumer = "w",
                    int64_t max_bytes = 0) {
    auto result = std::make_shared<Fetched>();
    std::promise<void> done;
    auto start = steady_clock::now();
    js_->Fetch(
        "WORK", consumer, batch, expires_ms,
        [result](Delivered& d) { result->messages.push_back(std::move(d)); },
        [&, result](const Status& st) {
          result->status = st;
          result->millis = MillisSince(start);
          done.set_value();
        },
        max_bytes);
    done.get_future().wait();
    return std::move(*result);
  }

  uint64_t StoredMessages() {
    auto info = js_->StreamInfo("WORK");
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->messages : ~0ull;
  }

  nlohmann::json ConsumerConfig(const std::string& stream, const std::string& consumer) {
    auto reply = nc_->RequestSync("$JS.API.CONSUMER.INFO." + stream + "." + consumer, "", 2000);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? nlohmann::json::parse(reply->data)["config"] : nlohmann::json();
  }

  testing::NatsServer server_;
  std::unique_ptr<Connection> nc_;
  std::unique_ptr<JetStream> js_;
};

TEST_F(JetStreamTest, EnsureStreamCreatesUpdatesAndExplains) {
  StreamSettings s{.name = "ORDERS", .subjects = {"orders.>"}};
  auto created = js_->EnsureStream(s);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->messages, 0u);
  auto again = js_->EnsureStream(s);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE(PublishSync("orders.new", "1").ok());
  auto info = js_->StreamInfo("ORDERS");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->messages, 1u);
  EXPECT_EQ(info->last_seq, 1u);

  // Subjects and max_bytes can change; the stream keeps its messages.
  s.subjects = {"orders.>", "returns.>"};
  s.max_bytes = 1 << 20;
  auto updated = js_->EnsureStream(s);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->messages, 1u);
  auto seq = PublishSync("returns.x", "2");
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, 2u);

  // Retention cannot change: the error says what differs.
  StreamSettings limits = s;
  limits.retention = "limits";
  auto refused = js_->EnsureStream(limits);
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("retention workqueue → limits"), std::string::npos)
      << refused.status().message();

  // A single server refuses to create a replicated stream; the server's reason is passed on.
  auto no_cluster =
      js_->EnsureStream({.name = "REPLICATED", .subjects = {"replicated"}, .replicas = 3});
  EXPECT_EQ(no_cluster.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(no_cluster.status().message().find(
                "replicas > 1 not supported in non-clustered mode (10074)"),
            std::string::npos)
      << no_cluster.status().message();

  // A JetStream error's code becomes the Status code: overlapping subjects are a 400.
  auto overlap = js_->EnsureStream({.name = "OTHER", .subjects = {"orders.new"}});
  EXPECT_EQ(overlap.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(overlap.status().message().find(
                "JetStream: subjects overlap with an existing stream (10065)"),
            std::string::npos)
      << overlap.status().message();

  EXPECT_EQ(js_->EnsureStream({.name = "bad.name", .subjects = {"b"}}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(js_->EnsureStream({.name = "x", .subjects = {"x"}, .storage = "disk"}).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(JetStreamTest, StreamInfoAndDeleteSayNotFound) {
  auto missing = js_->StreamInfo("NOPE");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("JetStream: stream not found (10059)"),
            std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("'NOPE'"), std::string::npos);
  EXPECT_EQ(js_->DeleteStream("NOPE").code(), ErrorCode::kNotFound);
  EXPECT_EQ(js_->StreamInfo("a b").status().code(), ErrorCode::kInvalidArgument);

  ASSERT_TRUE(js_->EnsureStream({.name = "TEMP", .subjects = {"temp"}}).ok());
  EXPECT_TRUE(js_->DeleteStream("TEMP").ok());
  EXPECT_EQ(js_->StreamInfo("TEMP").status().code(), ErrorCode::kNotFound);
}

// CreateStream never changes a stream that is there: the same settings answer with it
// (messages and all), other settings are AlreadyExists and leave it as it was.
TEST_F(JetStreamTest, CreateStreamMakesOrFindsButNeverChanges) {
  StreamSettings s{.name = "LOGS", .subjects = {"logs.>"}};
  auto created = js_->CreateStream(s);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(PublishSync("logs.a", "1").ok());
  auto same = js_->CreateStream(s);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->messages, 1u);
  EXPECT_EQ(same->created, created->created);

  StreamSettings other = s;
  other.subjects = {"closed.logs"};
  auto refused = js_->CreateStream(other);
  EXPECT_EQ(refused.status().code(), ErrorCode::kAlreadyExists) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("creating JetStream stream 'LOGS'"), std::string::npos)
      << refused.status().message();
  auto seq = PublishSync("logs.b", "2");
  ASSERT_TRUE(seq.ok()) << "still on its own subjects: " << seq.status().ToString();
  EXPECT_EQ(*seq, 2u);
  EXPECT_EQ(js_->CreateStream({.name = "bad.name", .subjects = {"b"}}).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(JetStreamTest, EnsureConsumerCreatesAndUpdates) {
  MakeWorkQueue(30000);
  EXPECT_TRUE(js_->EnsureConsumer("WORK", {.durable = "w", .ack_wait_ms = 30000}).ok());
  EXPECT_EQ(ConsumerConfig("WORK", "w")["ack_wait"], 30000000000LL);

  ASSERT_TRUE(
      js_->EnsureConsumer("WORK", {.durable = "w", .ack_wait_ms = 5000, .max_ack_pending = 50})
          .ok());
  auto config = ConsumerConfig("WORK", "w");
  EXPECT_EQ(config["ack_wait"], 5000000000LL);
  EXPECT_EQ(config["max_ack_pending"], 50);

  Status no_stream = js_->EnsureConsumer("NOPE", {.durable = "w"});
  EXPECT_EQ(no_stream.code(), ErrorCode::kNotFound) << no_stream.ToString();
  // A workqueue stream takes one unfiltered consumer only.
  Status second = js_->EnsureConsumer("WORK", {.durable = "other"});
  EXPECT_EQ(second.code(), ErrorCode::kInvalidArgument) << second.ToString();
  EXPECT_EQ(js_->EnsureConsumer("WORK", {.durable = "a.b"}).code(), ErrorCode::kInvalidArgument);
}

TEST_F(JetStreamTest, PublishFetchAckEmptiesTheWorkQueue) {
  MakeWorkQueue();
  Headers h = {{"Device", "dev-7"}};
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    auto seq = PublishSync("work.item." + std::to_string(i), "payload-" + std::to_string(i),
                           i == 2 ? &h : nullptr);
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    seqs.push_back(*seq);
  }
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(StoredMessages(), 5u);

  Fetched f = FetchSync(10, 300);  // fewer than asked for: ends when the pull expires
  EXPECT_TRUE(f.status.ok()) << f.status.ToString();
  EXPECT_GE(f.millis, 250);
  ASSERT_EQ(f.messages.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const Delivered& d = f.messages[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(d.stream_seq, i + 1);
    EXPECT_EQ(d.consumer_seq, i + 1);
    EXPECT_EQ(d.deliveries, 1u);
    EXPECT_EQ(d.pending, 4 - i);
    EXPECT_GT(d.timestamp_ns, 1600000000000000000);
    EXPECT_EQ(d.msg.subject, "work.item." + std::to_string(i));
    EXPECT_EQ(d.msg.data, "payload-" + std::to_string(i));
    EXPECT_EQ(d.ack_subject.rfind("$JS.ACK.WORK.w.1.", 0), 0u) << d.ack_subject;
  }
  EXPECT_EQ(f.messages[2].msg.Header("device"), "dev-7");

  for (const Delivered& d : f.messages) ASSERT_TRUE(js_->Ack(d.ack_subject).ok());
  ASSERT_TRUE(nc_->Flush(2000).ok());
  auto start = steady_clock::now();
  while (StoredMessages() != 0 && MillisSince(start) < 2000)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(StoredMessages(), 0u);
  EXPECT_EQ(js_->Ack("not.an.ack").code(), ErrorCode::kInvalidArgument);
}

TEST_F(JetStreamTest, FetchEndsAtItsBatchWithoutWaitingForExpiry) {
  MakeWorkQueue();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(PublishSync("work.x", std::to_string(i)).ok());
  Fetched f = FetchSync(2, 5000);
  EXPECT_TRUE(f.status.ok()) << f.status.ToString();
  EXPECT_LT(f.millis, 1000);
  ASSERT_EQ(f.messages.size(), 2u);
  EXPECT_EQ(f.messages[1].stream_seq, 2u);

  Fetched rest = FetchSync(1, 5000);
  ASSERT_EQ(rest.messages.size(), 1u);
  EXPECT_EQ(rest.messages[0].stream_seq, 3u);

  Fetched none = FetchSync(5, 200);
  EXPECT_TRUE(none.status.ok()) << none.status.ToString();
  EXPECT_TRUE(none.messages.empty());
  EXPECT_LT(none.millis, 1000);
}

// A pull with a byte limit ends, without waiting for its expiry, before the message that
// would pass the limit; the next pull starts there.
TEST_F(JetStreamTest, FetchEndsAtItsByteLimit) {
  MakeWorkQueue();
  const std::string kilobyte(1000, 'k');
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(PublishSync("work.x", kilobyte).ok());
  Fetched f = FetchSync(100, 5000, "w", /*max_bytes=*/2500);
  EXPECT_TRUE(f.status.ok()) << f.status.ToString();
  EXPECT_LT(f.millis, 1000);
  ASSERT_EQ(f.messages.size(), 2u);
  Fetched rest = FetchSync(100, 300, "w", /*max_bytes=*/1 << 20);
  EXPECT_TRUE(rest.status.ok()) << rest.status.ToString();
  ASSERT_EQ(rest.messages.size(), 3u);
  EXPECT_EQ(rest.messages[0].stream_seq, 3u);
  // A message larger than the limit cannot be pulled with it: said, not taken for "none".
  ASSERT_TRUE(PublishSync("work.x", kilobyte).ok());
  Fetched small = FetchSync(100, 300, "w", /*max_bytes=*/500);
  EXPECT_EQ(small.status.code(), ErrorCode::kFailedPrecondition) << small.status.ToString();
  EXPECT_NE(small.status.message().find("MaxBytes"), std::string::npos) << small.status.ToString();
  EXPECT_TRUE(small.messages.empty());
}

TEST_F(JetStreamTest, UnackedMessagesComeBackAfterAckWait) {
  MakeWorkQueue(/*ack_wait_ms=*/1000);
  ASSERT_TRUE(PublishSync("work.x", "again").ok());
  Fetched first = FetchSync(1, 500);
  ASSERT_EQ(first.messages.size(), 1u);
  EXPECT_EQ(first.messages[0].deliveries, 1u);

  auto start = steady_clock::now();
  Fetched second = FetchSync(1, 3000);
  ASSERT_EQ(second.messages.size(), 1u) << second.status.ToString();
  EXPECT_EQ(second.messages[0].stream_seq, first.messages[0].stream_seq);
  EXPECT_EQ(second.messages[0].deliveries, 2u);
  EXPECT_EQ(second.messages[0].msg.data, "again");
  EXPECT_LT(MillisSince(start), 2500);

  // Nak: delivered again at once.
  ASSERT_TRUE(js_->Nak(second.messages[0].ack_subject).ok());
  Fetched third = FetchSync(1, 2000);
  ASSERT_EQ(third.messages.size(), 1u);
  EXPECT_EQ(third.messages[0].deliveries, 3u);
  EXPECT_LT(third.millis, 500);
}

TEST_F(JetStreamTest, InProgressPostponesRedelivery) {
  MakeWorkQueue(/*ack_wait_ms=*/1000);
  ASSERT_TRUE(PublishSync("work.x", "slow").ok());
  auto start = steady_clock::now();
  Fetched first = FetchSync(1, 500);
  ASSERT_EQ(first.messages.size(), 1u);

  std::this_thread::sleep_for(milliseconds(600) - (steady_clock::now() - start));
  ASSERT_TRUE(js_->InProgress(first.messages[0].ack_subject).ok());
  ASSERT_TRUE(nc_->Flush(2000).ok());
  // Without the +WPI it would come back at ~1000 ms; now not before ~1600 ms.
  Fetched during = FetchSync(1, 1300 - MillisSince(start));
  EXPECT_TRUE(during.messages.empty()) << "redelivered at " << MillisSince(start) << " ms";

  Fetched later = FetchSync(1, 3000);
  ASSERT_EQ(later.messages.size(), 1u);
  EXPECT_EQ(later.messages[0].deliveries, 2u);
  EXPECT_GE(MillisSince(start), 1500);
}

TEST_F(JetStreamTest, MaxBytesExceededIsResourceExhausted) {
  MakeWorkQueue(30000, /*max_bytes=*/1024);
  std::string data(400, 'x');
  Result<uint64_t> seq = uint64_t{0};
  int accepted = 0;
  while (accepted < 10) {
    seq = PublishSync("work.big", data);
    if (!seq.ok()) break;
    ++accepted;
  }
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(seq.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(seq.status().message().find("maximum bytes exceeded (10077)"), std::string::npos)
      << seq.status().message();
}

TEST_F(JetStreamTest, PublishWithoutAStreamIsUnavailable) {
  auto start = steady_clock::now();
  auto seq = PublishSync("nobody.listens", "x");
  EXPECT_EQ(seq.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(seq.status().message().find("JetStream is not available for nobody.listens"),
            std::string::npos)
      << seq.status().message();
  EXPECT_LT(MillisSince(start), 1000);
}

TEST_F(JetStreamTest, FetchFromAMissingConsumerIsNotFound) {
  MakeWorkQueue();
  Fetched f = FetchSync(1, 200, "ghost");
  EXPECT_EQ(f.status.code(), ErrorCode::kNotFound) << f.status.ToString();
  EXPECT_NE(f.status.message().find("consumer not found"), std::string::npos) << f.status.message();
  EXPECT_LT(f.millis, 3000);

  std::promise<Status> bad;
  js_->Fetch("WORK", "w", 0, 100, nullptr, [&](const Status& st) { bad.set_value(st); });
  EXPECT_EQ(bad.get_future().get().code(), ErrorCode::kInvalidArgument);
}

TEST_F(JetStreamTest, FetchFailsWhenTheConnectionIsLost) {
  MakeWorkQueue();
  std::promise<Status> ended;
  js_->Fetch("WORK", "w", 1, 5000, nullptr, [&](const Status& st) { ended.set_value(st); });
  ASSERT_TRUE(nc_->Flush(2000).ok());
  server_.Kill();
  auto f = ended.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  Status st = f.get();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_NE(st.message().find("lost"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tributary::nats
