// BrokerCore's session bookkeeping: which detached sessions expire and when, which
// sessions and delayed wills persistence is told to write, and when delayed wills go out.
#include "broker/broker_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

#include "base/clock.h"
#include "broker/testing/null_sink.h"

namespace tributary::broker {
namespace {

using Ids = std::vector<std::string>;

using testing::NullSink;

class BrokerCoreTest : public ::testing::Test {
 protected:
  BrokerCoreTest() : core_(BrokerOptions{}, nullptr, &auth_, nullptr) {}

  // Connects `id` and returns its session and the connection's sink.
  std::pair<std::shared_ptr<Session>, std::shared_ptr<NullSink>> Open(const std::string& id,
                                                                      uint32_t expiry_s,
                                                                      bool clean = false) {
    auto sink = std::make_shared<NullSink>();
    auto r = core_.OpenSession(id, clean, sink, mqtt::Version::kV5, 10, expiry_s);
    return {r.session, sink};
  }
  void OpenAndClose(const std::string& id, uint32_t expiry_s) {
    auto [session, sink] = Open(id, expiry_s);
    ASSERT_TRUE(core_.CloseSession(session, sink.get()));
  }
  // The ids of the sessions a flush would write, then of those it would delete.
  std::pair<Ids, Ids> TakeChanges(size_t max_upserts = SIZE_MAX) {
    BrokerCore::SessionChanges c = core_.TakeSessionChanges(max_upserts);
    Ids upserts;
    for (const auto& u : c.upserts) upserts.push_back(u.client_id);
    std::sort(upserts.begin(), upserts.end());
    std::sort(c.gone.begin(), c.gone.end());
    return {upserts, c.gone};
  }
  Ids TakeUpserts() { return TakeChanges().first; }

  AllowAllAuthorizer auth_;
  BrokerCore core_;
};

TEST_F(BrokerCoreTest, ADetachedSessionExpiresWhenDueAndNotBefore) {
  int64_t start = WallMillis();
  OpenAndClose("one-second", 1);
  OpenAndClose("one-hour", 3600);
  OpenAndClose("never", kSessionNeverExpires);
  OpenAndClose("clean", 0);
  EXPECT_EQ(core_.FindSession("clean"), nullptr) << "expiry 0 ends the session at once";
  EXPECT_EQ(core_.expiring_session_count(), 2u);

  EXPECT_EQ(core_.SweepSessions(start), Ids{});
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 1000), Ids{"one-second"});
  EXPECT_EQ(core_.FindSession("one-second"), nullptr);
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 3599 * 1000), Ids{});
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 3600 * 1000), Ids{"one-hour"});
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 1000ll * 0xFFFFFFFFu), Ids{});
  EXPECT_NE(core_.FindSession("never"), nullptr);
  EXPECT_EQ(core_.expiring_session_count(), 0u);
}

TEST_F(BrokerCoreTest, ASessionAttachedAgainDoesNotExpireByItsEarlierDisconnection) {
  OpenAndClose("back", 1);
  auto [session, sink] = Open("back", 1);  // resumed
  EXPECT_EQ(core_.expiring_session_count(), 0u);
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 5000), Ids{});
  EXPECT_EQ(core_.FindSession("back"), session);

  // A connection taken over by a newer one: its close does not start the expiry.
  auto [same, newer] = Open("back", 1);
  ASSERT_EQ(same, session);
  EXPECT_FALSE(core_.CloseSession(session, sink.get()));
  EXPECT_EQ(core_.expiring_session_count(), 0u);
  ASSERT_TRUE(core_.CloseSession(session, newer.get()));
  EXPECT_EQ(core_.expiring_session_count(), 1u);
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 1000), Ids{"back"});
}

TEST_F(BrokerCoreTest, ACleanStartEndsTheDetachedSessionAndItsExpiry) {
  OpenAndClose("c", 60);
  auto [fresh, sink] = Open("c", 60, /*clean=*/true);
  EXPECT_EQ(core_.expiring_session_count(), 0u);
  ASSERT_TRUE(core_.CloseSession(fresh, sink.get()));
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 59 * 1000), Ids{});
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 60 * 1000), Ids{"c"});
}

TEST_F(BrokerCoreTest, ARestoredSessionExpiresFromItsSavedDisconnection) {
  SessionState saved;
  saved.client_id = "restored";
  saved.expiry_interval_s = 10;
  saved.disconnected_at_ms = 1'000'000;
  core_.RestoreSession(saved);
  saved.client_id = "forever";
  saved.expiry_interval_s = kSessionNeverExpires;
  core_.RestoreSession(saved);
  EXPECT_EQ(core_.expiring_session_count(), 1u);
  EXPECT_EQ(core_.SweepSessions(1'009'999), Ids{});
  EXPECT_EQ(core_.SweepSessions(1'010'000), Ids{"restored"});
  EXPECT_EQ(TakeChanges(), (std::pair<Ids, Ids>{{}, {"restored"}})) << "to be deleted";
}

// Persistence is told of the sessions that changed or went, and of no other: of a
// thousand idle sessions, the one a message was queued for.
TEST_F(BrokerCoreTest, OnlyChangedAndRemovedSessionsAreToldToPersistence) {
  for (int i = 0; i < 1000; ++i) OpenAndClose("d" + std::to_string(i), 3600);
  EXPECT_EQ(TakeUpserts().size(), 1000u) << "new sessions are written";
  EXPECT_EQ(TakeChanges(), (std::pair<Ids, Ids>{}));

  auto m = std::make_shared<Message>();
  m->topic = "t";
  m->qos = mqtt::QoS::kAtLeastOnce;
  core_.Enqueue(core_.FindSession("d42").get(), m, mqtt::QoS::kAtLeastOnce, false, {});
  EXPECT_EQ(TakeChanges(), (std::pair<Ids, Ids>{{"d42"}, {}}));
  core_.Enqueue(core_.FindSession("d42").get(), m, mqtt::QoS::kAtLeastOnce, false, {});
  EXPECT_EQ(TakeUpserts(), Ids{"d42"}) << "a change after the snapshot is told again";

  auto [fresh, sink] = Open("d7", 3600, /*clean=*/true);  // the old one removed, a new one
  EXPECT_EQ(TakeUpserts(), Ids{"d7"});
  EXPECT_EQ(core_.SweepSessions(WallMillis() + 3600 * 1000).size(), 999u);
  EXPECT_EQ(TakeChanges().second.size(), 999u) << "expired sessions are deleted";
}

TEST_F(BrokerCoreTest, ASessionThatBecomesPersistentIsWritten) {
  auto [session, first] = Open("x", 0);  // clean: not persistent
  EXPECT_EQ(TakeChanges(), (std::pair<Ids, Ids>{{}, {"x"}}));
  // Taken over, while online, by a connection that keeps it for an hour.
  auto [same, second] = Open("x", 3600);
  ASSERT_EQ(same, session);
  EXPECT_EQ(TakeUpserts(), Ids{"x"});
}

TEST_F(BrokerCoreTest, ChangesPastTheBatchAndChangesNotWrittenAreTakenAgain) {
  for (int i = 0; i < 5; ++i) OpenAndClose("b" + std::to_string(i), 60);
  EXPECT_EQ(TakeChanges(3).first.size(), 3u);
  BrokerCore::SessionChanges rest = core_.TakeSessionChanges(3);
  ASSERT_EQ(rest.upserts.size(), 2u);
  EXPECT_EQ(TakeChanges(), (std::pair<Ids, Ids>{}));
  core_.ReturnSessionChanges(rest);  // the write failed
  EXPECT_EQ(TakeUpserts().size(), 2u);
}

TEST_F(BrokerCoreTest, ConnectedClientsAreThoseAttachedWithTheirTimes) {
  const int64_t before = WallMillis();
  auto [a, sink_a] = Open("a", 60);
  OpenAndClose("b", 60);  // detached: not connected
  auto [c, sink_c] = Open("c", 0);
  auto connected = core_.ConnectedClients();
  std::sort(connected.begin(), connected.end());
  ASSERT_EQ(connected.size(), 2u);
  EXPECT_EQ(connected[0].first, "a");
  EXPECT_EQ(connected[1].first, "c");
  for (const auto& [id, at] : connected) {
    EXPECT_GE(at, before) << id;
    EXPECT_LE(at, WallMillis()) << id;
  }
  ASSERT_TRUE(core_.CloseSession(a, sink_a.get()));
  connected = core_.ConnectedClients();
  ASSERT_EQ(connected.size(), 1u);
  EXPECT_EQ(connected[0].first, "c");
}

mqtt::Publish Will(const std::string& id) {
  mqtt::Publish p;
  p.topic = "gone/" + id;
  p.payload = id;
  p.qos = mqtt::QoS::kAtLeastOnce;
  return p;
}

// Delayed wills are published when due, soonest first, and a sweep looks at no other.
TEST_F(BrokerCoreTest, DelayedWillsArePublishedWhenDue) {
  auto [watcher, sink] = Open("watcher", 0);
  SubscriptionRecord rec;
  rec.options.max_qos = mqtt::QoS::kAtLeastOnce;
  watcher->AddSubscription("gone/#", rec);
  core_.tree.Subscribe(watcher, "gone/#", rec.options, 0);

  for (int i = 0; i < 1000; ++i) {
    std::string id = "w" + std::to_string(i);
    core_.ScheduleWill(id, {}, Will(id), 1'000'000 + i);
  }
  mqtt::Publish with_properties = Will("w3");
  with_properties.properties.content_type = "text/plain";
  with_properties.properties.user_properties = {{"k", "v"}};
  with_properties.retain = true;
  core_.ScheduleWill("w3", {}, with_properties, 1'000'003);
  core_.ScheduleWill("w5", {}, Will("w5"), 2'000'000);  // scheduled again: the later time
  core_.CancelWill("w6");
  EXPECT_EQ(core_.pending_will_count(), 999u);
  EXPECT_EQ(core_.SweepWills(999'999), 0u);
  EXPECT_EQ(core_.SweepWills(1'000'009), 8u);  // w0..w9 but w5 and w6
  EXPECT_EQ(watcher->queued(), 8u);
  std::vector<Outbound> out;
  watcher->NextBatch(sink.get(), 100, &out);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out[0].msg->topic, "gone/w0");
  EXPECT_EQ(out[0].msg->origin_client_id, "w0");
  EXPECT_EQ(out[7].msg->topic, "gone/w9");
  EXPECT_EQ(out[0].msg->properties, mqtt::Properties{});
  EXPECT_EQ(out[0].msg->payload, "w0");
  EXPECT_EQ(out[0].qos, mqtt::QoS::kAtLeastOnce);
  EXPECT_EQ(out[3].msg->topic, "gone/w3");
  EXPECT_EQ(out[3].msg->properties.content_type, "text/plain");
  ASSERT_EQ(out[3].msg->properties.user_properties.size(), 1u);
  EXPECT_TRUE(out[3].msg->retain);
  EXPECT_FALSE(out[0].msg->retain);
  EXPECT_EQ(core_.SweepWills(1'999'999), 990u);
  EXPECT_EQ(core_.pending_will_count(), 1u);
  EXPECT_EQ(core_.metrics.wills_pending->Value(), 1);
  EXPECT_EQ(core_.SweepWills(2'000'000), 1u);
  EXPECT_EQ(core_.pending_will_count(), 0u);
}

// Persistence is told of each will scheduled, published or cancelled, once per flush,
// and a will read back from disk is not a change but is published when due.
TEST_F(BrokerCoreTest, WillsScheduledPublishedOrCancelledAreToldToPersistence) {
  auto take = [&](size_t max_upserts = SIZE_MAX) {
    BrokerCore::WillChanges c = core_.TakeWillChanges(max_upserts);
    Ids upserts;
    for (const auto& u : c.upserts) upserts.push_back(u.client_id);
    std::sort(upserts.begin(), upserts.end());
    std::sort(c.gone.begin(), c.gone.end());
    return std::pair<Ids, Ids>{upserts, c.gone};
  };
  mqtt::Publish with_properties = Will("a");
  with_properties.properties.correlation_data = "id-7";
  core_.ScheduleWill("a", {"thing-a", "cert:a"}, with_properties, 1'000);
  core_.ScheduleWill("b", {}, Will("b"), 2'000);
  core_.ScheduleWill("c", {}, Will("c"), 3'000);
  core_.ScheduleWill("c", {}, Will("c"), 3'500);  // scheduled again: one change
  core_.CancelWill("nobody");                     // had none: no change
  BrokerCore::WillChanges first = core_.TakeWillChanges(SIZE_MAX);
  ASSERT_EQ(first.upserts.size(), 3u);
  EXPECT_TRUE(first.gone.empty());
  auto a = std::find_if(first.upserts.begin(), first.upserts.end(),
                        [](const WillState& w) { return w.client_id == "a"; });
  ASSERT_NE(a, first.upserts.end());
  EXPECT_EQ(a->due_ms, 1'000);
  EXPECT_EQ(a->will, with_properties);
  EXPECT_EQ(a->thing, "thing-a");
  EXPECT_EQ(a->principal, "cert:a");
  EXPECT_EQ(take(), (std::pair<Ids, Ids>{}));  // nothing since

  EXPECT_EQ(core_.SweepWills(1'000), 1u);  // a published
  core_.CancelWill("b");                   // b's client came back
  EXPECT_EQ(take(), (std::pair<Ids, Ids>{{}, {"a", "b"}}));

  // Read back after a restart: c is due, d not yet, and neither is a change.
  BrokerCore restarted(BrokerOptions{}, nullptr, &auth_, nullptr);
  for (const WillState& w : first.upserts) {
    if (w.client_id == "c") restarted.RestoreWill(w);
  }
  WillState d = first.upserts[0];
  d.client_id = "d";
  d.due_ms = 9'000;
  restarted.RestoreWill(d);
  EXPECT_EQ(restarted.pending_will_count(), 2u);
  BrokerCore::WillChanges none = restarted.TakeWillChanges(SIZE_MAX);
  EXPECT_TRUE(none.upserts.empty() && none.gone.empty());
  EXPECT_EQ(restarted.SweepWills(3'499), 0u);
  EXPECT_EQ(restarted.SweepWills(3'500), 1u);
  BrokerCore::WillChanges published = restarted.TakeWillChanges(SIZE_MAX);
  EXPECT_EQ(published.gone, Ids{"c"});

  // A batch limit leaves the rest for the next call; a failed write returns them.
  for (int i = 0; i < 5; ++i) core_.ScheduleWill("m" + std::to_string(i), {}, Will("m"), 10'000);
  EXPECT_EQ(core_.unsaved_will_count(), 5u);
  EXPECT_EQ(take(3).first.size(), 3u);
  EXPECT_EQ(core_.unsaved_will_count(), 2u);
  BrokerCore::WillChanges rest = core_.TakeWillChanges(3);
  ASSERT_EQ(rest.upserts.size(), 2u);
  EXPECT_EQ(take(), (std::pair<Ids, Ids>{}));
  EXPECT_EQ(core_.unsaved_will_count(), 0u);
  core_.ReturnWillChanges(rest);
  EXPECT_EQ(core_.unsaved_will_count(), 2u);
  EXPECT_EQ(take().first.size(), 2u);
}

}  // namespace
}  // namespace tributary::broker
