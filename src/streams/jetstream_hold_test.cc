// A delete holds a shared JetStream stream closed to records while it drains it
// (JetStreamLogs::CloseIntake) for as long as the delete may take. When the server deleting
// it stops half-way (killed, its machine lost), the other servers open it again once that
// hold is over, instead of refusing the stream's records for good; within the hold they
// leave it closed. Against a real nats-server (testing/jetstream_fixture.h).
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "base/clock.h"
#include "streams/jetstream_log.h"
#include "streams/stream_manager.h"
#include "streams/testing/jetstream_fixture.h"

namespace tributary::streams {
namespace {

using testing::JetStreamLogTest;

TEST(JetStreamHold, AStreamIsHeldPastItsHoldOnlyWhenClosedAndTheHoldIsOver) {
  nats::StreamState closed;
  closed.subjects = {"tributary.closed.s"};
  closed.description = ClosedIntakeDescription(1000);
  EXPECT_FALSE(IntakeHeldPastItsHold("s", closed, 999));
  EXPECT_FALSE(IntakeHeldPastItsHold("s", closed, 1000));
  EXPECT_TRUE(IntakeHeldPastItsHold("s", closed, 1001));
  EXPECT_FALSE(IntakeHeldPastItsHold("other", closed, 1001)) << "another stream's subject";
  // Closed without a hold said (by an earlier version, whose delete may be running yet):
  // held, as it was then.
  closed.description = "";
  EXPECT_FALSE(IntakeHeldPastItsHold("s", closed, 1001));
  closed.description = "held until soon";
  EXPECT_FALSE(IntakeHeldPastItsHold("s", closed, 1001));
  nats::StreamState open;
  open.subjects = {JetStreamSubject("s")};
  EXPECT_FALSE(IntakeHeldPastItsHold("s", open, 1001));
  // Names are encoded in the subject as they are in the JetStream stream's name.
  closed.subjects = {"tributary.closed.a__b_2Ec"};
  closed.description = ClosedIntakeDescription(5);
  EXPECT_TRUE(IntakeHeldPastItsHold("a_b.c", closed, 6));
}

// Another server's delete closed the intake with a 2 s hold and then stopped (nothing of
// it runs on): this server's records are refused while the hold lasts, and taken and
// delivered once it is over, with those taken before.
TEST_F(JetStreamLogTest, AStreamLeftClosedByADeleteThatStoppedIsOpenedAgainAfterItsHold) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  const std::string before = PutRecordId(*m, "s", "before\n");
  ASSERT_FALSE(before.empty());

  auto deleting = Logs();  // the other server's, which stops after closing the intake
  ASSERT_TRUE(deleting);
  const int64_t closed_at = WallMillis();
  ASSERT_TRUE(deleting->CloseIntake("s", /*hold_ms=*/2000).ok());
  deleting.reset();
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_FALSE(IntakeHeldPastItsHold("s", *state, WallMillis())) << state->description;

  std::string after;
  for (int i = 0; i < 100 && after.empty(); ++i) {
    std::promise<std::pair<Status, std::string>> p;
    m->PutRecord("s", "after\n", [&](const Status& st, const std::string& id) {
      p.set_value({st, id});
    });
    auto [st, id] = p.get_future().get();
    if (st.ok()) {
      after = id;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const int64_t accepted_at = WallMillis();
  ASSERT_FALSE(after.empty()) << "records refused for 10 s after a 2 s hold";
  EXPECT_GE(accepted_at - closed_at, 2000) << "taken while the delete's hold lasted";
  EXPECT_EQ(after.substr(0, 16), before.substr(0, 16)) << "the same JetStream stream";
  state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->subjects, std::vector<std::string>{JetStreamSubject("s")});
  EXPECT_EQ(state->description, "");
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), (std::multiset<std::string>{"before", "after"}));
}

// Within the hold a delete on another server is still under way: this server, restarted or
// with the stream updated, leaves the JetStream stream closed (records taken into it now
// could be removed with it) and refuses records, until the delete reopens it.
TEST_F(JetStreamLogTest, AStreamStartedOrUpdatedWhileADeleteHoldsItClosedLeavesItClosed) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  ASSERT_FALSE(PutRecordId(*m, "s", "before\n").empty());
  auto deleting = Logs();  // the other server's, its delete under way
  ASSERT_TRUE(deleting);
  ASSERT_TRUE(deleting->CloseIntake("s", /*hold_ms=*/60'000).ok());

  auto refused = [&](const char* when) {
    std::promise<Status> p;
    m->PutRecord("s", "during\n", [&](const Status& st, const std::string&) { p.set_value(st); });
    Status st = p.get_future().get();
    EXPECT_FALSE(st.ok()) << "a record taken " << when << " while a delete holds the stream closed";
    auto state = JetStreamState("s");
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_TRUE(IntakeHeldUntil("s", *state).has_value())
        << when << ": subjects " << state->subjects.front() << ", description '"
        << state->description << "'";
  };
  StreamConfig updated = Config();
  updated.buffer_interval_s = 1;
  ASSERT_TRUE(m->Update(updated).ok());
  refused("after an update");
  m.reset();
  m = OpenManager(Logs());  // the server restarted
  ASSERT_TRUE(m);
  refused("after a restart");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past a restore wait
  refused("1.5 s after a restart");

  // The delete gives up: the stream takes records again and delivers all of them.
  ASSERT_TRUE(deleting->ReopenIntake("s").ok());
  EXPECT_FALSE(PutUntilAccepted(*m, "s", "after\n").empty());
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), (std::multiset<std::string>{"before", "after"}));
}

}  // namespace
}  // namespace tributary::streams
