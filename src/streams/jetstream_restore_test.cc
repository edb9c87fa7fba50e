// A JetStreamLog making its lost JetStream stream again (JetStreamLog::Restore), driven
// directly against a real nats-server, so that a test can act in the middle of the making.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "nats/connection.h"
#include "nats/jetstream.h"
#include "nats/testing/nats_server.h"
#include "streams/jetstream_log.h"

namespace tributary::streams {
namespace {

constexpr char kStream[] = "s";

nats::StreamSettings Settings() {
  nats::StreamSettings settings;
  settings.name = JetStreamName(kStream);
  settings.subjects = {JetStreamSubject(kStream)};
  return settings;
}

Result<nats::StreamState> MakeStream(nats::JetStream& js) {
  auto state = js.CreateStream(Settings());
  if (!state.ok()) return state;
  if (Status st = js.EnsureConsumer(Settings().name, {.durable = kJetStreamConsumer}); !st.ok()) {
    return st;
  }
  return state;
}

// What an append's `done` saw: its outcome and the log's epoch when it was answered (the
// stream manager names the record by that epoch).
struct Answered {
  Status status;
  std::optional<uint64_t> epoch;
};

// A record appended while the stream is being made again is taken by the new stream: its
// answer waits until the new stream's epoch is the log's, so that the record's id names
// the stream that holds it (it used to be answered under the old epoch when JetStream's
// acknowledgement came before Restore had applied the new stream's state).
TEST(JetStreamLogRestore, AnAppendTakenWhileTheStreamIsMadeAgainIsAnsweredUnderItsEpoch) {
  nats::testing::NatsServer server;
  ASSERT_TRUE(server.Start().ok());
  auto conn = nats::Connection::Connect(server.options());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  nats::JetStream js(conn->get());
  auto opened = MakeStream(js);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();

  JetStreamLogOptions options;
  options.batch_bytes = (*conn)->max_payload() - kJetStreamMessageOverhead;
  std::promise<uint64_t> new_epoch;
  RecordLogHooks hooks;
  hooks.may_restore = [] { return Status::Ok(); };
  bool epoch_told = false;  // the puller's thread only
  hooks.on_epoch = [&](uint64_t epoch) {
    if (!std::exchange(epoch_told, true)) new_epoch.set_value(epoch);
  };
  std::unique_ptr<JetStreamLog> log;
  std::promise<Answered> answered;
  // Makes the stream, then appends a record to it and waits long enough for JetStream's
  // acknowledgement to come before the log has applied the new stream's state.
  auto restore = [&]() -> Result<nats::StreamState> {
    auto state = MakeStream(js);
    if (!state.ok()) return state;
    log->Append("during\n", 0, [&](const Status& st, uint64_t) {
      answered.set_value({st, log->shared_epoch()});
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return state;
  };
  log = std::make_unique<JetStreamLog>(options, &js, kStream, hooks, *opened, restore);
  const std::optional<uint64_t> old_epoch = log->shared_epoch();
  ASSERT_TRUE(old_epoch.has_value());
  ASSERT_TRUE(log->Start().ok());

  ASSERT_TRUE(js.DeleteStream(Settings().name).ok());
  auto epoch = new_epoch.get_future();
  ASSERT_EQ(epoch.wait_for(std::chrono::seconds(15)), std::future_status::ready)
      << "the stream was not made again";
  auto got = answered.get_future();
  ASSERT_EQ(got.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the append was not answered";
  const Answered a = got.get();
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  const uint64_t made_again = epoch.get();
  EXPECT_NE(made_again, *old_epoch);
  EXPECT_EQ(a.epoch, made_again) << "answered under the old stream's epoch";
  log.reset();
}

}  // namespace
}  // namespace tributary::streams
