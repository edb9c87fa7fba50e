#include "devices/shadow_test_fixture.h"

#include <set>

namespace tributary::devices::shadow_testing {
namespace {

// ---------------------------------------------------------------------------------------
// Order and concurrency.

TEST_F(ShadowServiceTest, UpdatesAreAppliedInTheOrderSent) {
  constexpr int kUpdates = 50;
  for (int i = 1; i <= kUpdates; ++i) {
    Send("$aws/things/lamp/shadow/update",
         json{{"state", {{"reported", {{"n", i}, {"k" + std::to_string(i % 3), i}}}}}}.dump());
  }
  WaitForPublished(2 * kUpdates);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 2u * kUpdates);
  for (int i = 1; i <= kUpdates; ++i) {
    const Published& accepted = out[2 * (i - 1)];
    ASSERT_EQ(accepted.topic, "$aws/things/lamp/shadow/update/accepted");
    EXPECT_EQ(accepted.body()["version"], i);
    EXPECT_EQ(accepted.body()["state"]["reported"]["n"], i);
  }
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_EQ(stored.version, kUpdates);
  EXPECT_EQ(stored.state, json::parse(R"({"reported":{"n":50,"k0":48,"k1":49,"k2":50}})"))
      << stored.state.dump();
}

// Two services on one database, as two servers of a deployment: updates without a
// version are retried over the other's writes, so none is lost and versions are unique.
TEST_F(ShadowServiceTest, TwoServicesOnOneDatabaseLoseNoUpdate) {
  auto other = NewService(nullptr);
  constexpr int kEach = 15;
  std::vector<std::future<ShadowOutcome>> futures(2 * kEach);
  for (int i = 0; i < kEach; ++i) {
    for (int s = 0; s < 2; ++s) {
      const int n = 2 * i + s;
      auto promise = std::make_shared<std::promise<ShadowOutcome>>();
      futures[n] = promise->get_future();
      (s == 0 ? service_ : other)
          ->Execute("lamp", "", "update",
                    json{{"state", {{"reported", {{"k" + std::to_string(n), n}}}}}}.dump(),
                    [promise](ShadowOutcome o) { promise->set_value(std::move(o)); });
    }
  }
  std::set<int64_t> versions;
  json want = json::object();
  for (int n = 0; n < 2 * kEach; ++n) {
    ASSERT_EQ(futures[n].wait_for(kWait), std::future_status::ready) << n;
    ShadowOutcome o = futures[n].get();
    // A request may lose every attempt to the other writer (409); none may be lost.
    ASSERT_TRUE(o.status == 200 || o.status == 409) << o.body.dump();
    if (o.status != 200) continue;
    versions.insert(o.body["version"].get<int64_t>());
    want["k" + std::to_string(n)] = n;
  }
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_EQ(versions.size(), want.size()) << "two accepted updates had the same version";
  EXPECT_EQ(stored.version, static_cast<int64_t>(want.size()));
  EXPECT_EQ(stored.state["reported"], want);
  EXPECT_GE(want.size(), static_cast<size_t>(kEach)) << "too many lost to contention";
}

// Another server writes between the service's read and its write: an update or delete
// without a version reads again and applies over what the other wrote; an update that
// names the version it read is refused with 409.
TEST_F(ShadowServiceTest, ConcurrentWriteIsReadAgain) {
  RacingDatabase racing(db_.get());
  auto racing_store = ShadowStore::Open(&racing);
  ASSERT_TRUE(racing_store.ok()) << racing_store.status().ToString();
  auto raced = std::make_unique<ShadowService>(
      racing_store->get(),
      [this](const std::string& topic, std::string payload, int /*rule_hops*/) {
        std::lock_guard lock(mu_);
        published_.push_back({topic, std::move(payload)});
      },
      nullptr);
  // The other server's update of lamp's classic shadow, once.
  auto other_writes_once = [this, &racing](const char* request) {
    racing.before_write = [this, &racing, request] {
      racing.before_write = nullptr;
      ShadowDocument current = Stored("lamp", "");
      auto u = ApplyShadowUpdate(current, json::parse(request), 1);
      ASSERT_TRUE(std::holds_alternative<ShadowUpdate>(u));
      Status st = store_->Put("lamp", "", std::get<ShadowUpdate>(u).current, current.version, current.exists);
      EXPECT_TRUE(st.ok()) << st.ToString();
    };
  };

  // Created by the other server meanwhile: the update goes over it.
  other_writes_once(R"({"state":{"reported":{"a":1}}})");
  ShadowOutcome o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"b":2}}})");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["version"], 2);
  EXPECT_EQ(Stored("lamp", "").state, json::parse(R"({"reported":{"a":1,"b":2}})"));
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 2u) << "one answer for the update, not one per attempt";
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/update/documents");
  EXPECT_EQ(out[1].body()["previous"]["version"], 1);
  EXPECT_EQ(out[1].body()["previous"]["state"], json::parse(R"({"reported":{"a":1}})"));

  // Updated by the other server meanwhile.
  ClearPublished();
  other_writes_once(R"({"state":{"reported":{"a":10}}})");
  o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"c":3}}})");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["version"], 4);
  EXPECT_EQ(Stored("lamp", "").state, json::parse(R"({"reported":{"a":10,"b":2,"c":3}})"));
  EXPECT_EQ(PublishedNow().size(), 2u);

  // An update naming the version it read loses to the other writer: 409, nothing written.
  ClearPublished();
  other_writes_once(R"({"state":{"reported":{"a":20}}})");
  o = Call(raced.get(), "lamp", "", "update",
           R"({"state":{"reported":{"d":4}},"version":4,"clientToken":"v"})");
  EXPECT_EQ(o.status, 409) << o.body.dump();
  EXPECT_NE(o.body.value("message", "").find("Version conflict"), std::string::npos)
      << o.body.dump();
  EXPECT_EQ(o.body["clientToken"], "v");
  EXPECT_EQ(Stored("lamp", "").version, 5);
  EXPECT_FALSE(Stored("lamp", "").state["reported"].contains("d"));
  EXPECT_TRUE(PublishedNow().empty());

  // A delete reads again and deletes the version the other wrote.
  other_writes_once(R"({"state":{"reported":{"a":30}}})");
  o = Call(raced.get(), "lamp", "", "delete", "");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["version"], 6);
  EXPECT_FALSE(Stored("lamp", "").exists);
  EXPECT_EQ(Stored("lamp", "").version, 6);

  // A writer that always gets in first: the update gives up with a 409 after a few tries.
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":1}})", 7), 6, /*read_existed=*/false).ok());
  racing.writes = 0;
  racing.before_write = [this] {
    ShadowDocument current = Stored("lamp", "");
    current.version += 1;
    EXPECT_TRUE(store_->Put("lamp", "", current, current.version - 1).ok());
  };
  o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"z":1}}})");
  EXPECT_EQ(o.status, 409) << o.body.dump();
  EXPECT_GT(racing.writes, 1) << "it tried again";
  EXPECT_FALSE(Stored("lamp", "").state["reported"].contains("z"));
  raced.reset();  // before `racing` goes
}

// Another server deletes the shadow between the service's read and its write of an
// update: the delete was accepted (and published), so the update must not bring the
// deleted state back; it makes the shadow again from its own state only.
TEST_F(ShadowServiceTest, UpdateRacingADeleteDoesNotBringTheDeletedStateBack) {
  RacingDatabase racing(db_.get());
  auto racing_store = ShadowStore::Open(&racing);
  ASSERT_TRUE(racing_store.ok()) << racing_store.status().ToString();
  auto raced = std::make_unique<ShadowService>(
      racing_store->get(), [](const std::string&, std::string, int) {}, nullptr);
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"secret":1}})", 1), 0).ok());
  racing.before_write = [this, &racing] {
    racing.before_write = nullptr;
    Status st = store_->Delete("lamp", "", 1);
    EXPECT_TRUE(st.ok()) << st.ToString();
  };
  ShadowOutcome o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"b":2}}})");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_TRUE(stored.exists);
  EXPECT_EQ(stored.state, json::parse(R"({"reported":{"b":2}})")) << stored.state.dump();
  EXPECT_EQ(stored.version, 2);
  raced.reset();
}

TEST_F(ShadowServiceTest, AfterStopRequestsAreRefused) {
  service_->Stop();
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}},"clientToken":"s"})");
  auto out = PublishedNow();  // answered at once, on the caller's thread
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/update/rejected");
  EXPECT_EQ(out[0].body()["code"], 429);
  EXPECT_EQ(next_.seen().size(), 1u) << "still passed on";
  EXPECT_EQ(Verdicts().size(), 1u);

  ShadowOutcome refused = Call("lamp", "", "get", "");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.body["code"], 429);
  EXPECT_EQ(Stored("lamp", "").version, 0);
}

}  // namespace
}  // namespace tributary::devices::shadow_testing
