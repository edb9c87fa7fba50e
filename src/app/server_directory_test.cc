#include "app/server_directory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/clock.h"
#include "base/files.h"
#include "base/metrics.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"

namespace tributary::app {
namespace {

// Two servers sharing one metadata database, on a clock the test moves.
class ServerDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  ServerDirectory::Options Opts(const std::string& id) {
    ServerDirectory::Options o;
    o.id = id;
    o.started_ms = now_.load();
    o.interval_ms = 60'000;  // the thread never beats during a test: the test calls Beat()
    o.now = [this] { return now_.load(); };
    return o;
  }

  std::unique_ptr<ServerDirectory> Open(const std::string& id, const std::string& role,
                                        std::atomic<int64_t>* received) {
    auto d = ServerDirectory::Open(db_.get(), Opts(id), [role, received] {
      ServerReport r;
      r.role = role;
      r.host = "host-" + role;
      r.advertised_host = role + ".example.com";
      r.version = "9.9.9";
      r.http_port = 8080;
      r.https_port = role == "ingest" ? -1 : 8444;
      r.mqtt_tls_port = 8883;
      r.connections = 3;
      r.messages_received = received->load();
      r.messages_sent = 2 * received->load();
      if (role == "ingest") r.bridge_connected = true;
      return r;
    });
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(d).value() : nullptr;
  }

  static const ServerEntry* Find(const std::vector<ServerEntry>& list, const std::string& id) {
    for (const auto& e : list) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::atomic<int64_t> now_{1'800'000'000'000};
};

TEST_F(ServerDirectoryTest, EachServerListsBothItselfFirst) {
  std::atomic<int64_t> a_received{0}, b_received{0};
  auto a = Open("aaaa-1", "all", &a_received);
  now_ += 1000;
  auto b = Open("bbbb-2", "ingest", &b_received);
  ASSERT_TRUE(a && b);

  auto from_a = a->List();
  ASSERT_TRUE(from_a.ok()) << from_a.status().ToString();
  ASSERT_EQ(from_a->size(), 2u);
  EXPECT_EQ((*from_a)[0].id, "aaaa-1");
  EXPECT_TRUE((*from_a)[0].self);
  EXPECT_EQ((*from_a)[1].id, "bbbb-2");
  EXPECT_FALSE((*from_a)[1].self);
  auto from_b = b->List();
  ASSERT_TRUE(from_b.ok());
  ASSERT_EQ(from_b->size(), 2u);
  EXPECT_EQ((*from_b)[0].id, "bbbb-2");
  EXPECT_TRUE((*from_b)[0].self);

  const ServerEntry* ingest = Find(*from_a, "bbbb-2");
  ASSERT_NE(ingest, nullptr);
  EXPECT_EQ(ingest->status, "running");
  EXPECT_EQ(ingest->report.role, "ingest");
  EXPECT_EQ(ingest->report.host, "host-ingest");
  EXPECT_EQ(ingest->report.advertised_host, "ingest.example.com");
  EXPECT_EQ(ingest->report.version, "9.9.9");
  EXPECT_EQ(ingest->report.http_port, 8080);
  EXPECT_EQ(ingest->report.https_port, -1);
  EXPECT_EQ(Find(*from_a, "aaaa-1")->report.https_port, 8444);
  EXPECT_EQ(ingest->report.mqtt_tls_port, 8883);
  EXPECT_EQ(ingest->report.connections, 3);
  EXPECT_EQ(ingest->started_ms, now_.load());
  ASSERT_TRUE(ingest->report.bridge_connected.has_value());
  EXPECT_TRUE(*ingest->report.bridge_connected);
  EXPECT_FALSE(Find(*from_a, "aaaa-1")->report.bridge_connected.has_value());
}

TEST_F(ServerDirectoryTest, RatesAreTheCountersDeltasBetweenBeats) {
  std::atomic<int64_t> received{1000};
  auto a = Open("aaaa-1", "all", &received);
  ASSERT_TRUE(a);
  auto first = a->List();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].received_per_s, 0);  // one beat: no rate yet
  received = 2000;
  now_ += 2000;
  ASSERT_TRUE(a->Beat().ok());
  auto second = a->List();
  ASSERT_TRUE(second.ok());
  EXPECT_DOUBLE_EQ((*second)[0].received_per_s, 500.0);
  EXPECT_DOUBLE_EQ((*second)[0].sent_per_s, 1000.0);
  EXPECT_EQ((*second)[0].report.messages_received, 2000);
  EXPECT_EQ((*second)[0].seen_ms, now_.load());
  // Counters that went back (a restarted broker) give no rate rather than a negative one.
  received = 10;
  now_ += 1000;
  ASSERT_TRUE(a->Beat().ok());
  EXPECT_EQ((*a->List())[0].received_per_s, 0);
}

TEST_F(ServerDirectoryTest, StatusFollowsTheBeatsAndOnlyAnAbsentServerIsForgotten) {
  std::atomic<int64_t> a_received{0}, b_received{0}, c_received{0};
  auto a = Open("aaaa-1", "all", &a_received);
  auto b = Open("bbbb-2", "ingest", &b_received);
  auto c = Open("cccc-3", "ingest", &c_received);
  ASSERT_TRUE(a && b && c);

  Status running = a->Forget("bbbb-2");
  EXPECT_EQ(running.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(running.message().find("server bbbb-2 is running"), std::string::npos) << running.message();
  Status self = a->Forget("aaaa-1");
  EXPECT_EQ(self.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(self.message().find("is this server"), std::string::npos) << self.message();
  Status none = a->Forget("dddd-4");
  EXPECT_EQ(none.code(), ErrorCode::kNotFound);
  EXPECT_NE(none.message().find("no server dddd-4"), std::string::npos) << none.message();

  // c says it stops; b stops beating (killed) and a goes on beating.
  now_ += 1000;
  c->Stop();
  c->Stop();  // idempotent
  now_ += 3 * 60'000 + 1;
  ASSERT_TRUE(a->Beat().ok());
  auto list = a->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Find(*list, "aaaa-1")->status, "running");
  EXPECT_EQ(Find(*list, "bbbb-2")->status, "unresponsive");
  EXPECT_EQ(Find(*list, "cccc-3")->status, "stopped");
  EXPECT_EQ(Find(*list, "cccc-3")->stopped_ms, Find(*list, "cccc-3")->seen_ms);
  EXPECT_GT(Find(*list, "cccc-3")->stopped_ms, 0);

  // Up to three intervals after its last beat a server is still running.
  const int64_t was = now_.load();
  now_ = Find(*list, "bbbb-2")->seen_ms + 3 * 60'000;
  EXPECT_EQ(Find(*a->List(), "bbbb-2")->status, "running");
  now_ += 1;
  EXPECT_EQ(Find(*a->List(), "bbbb-2")->status, "unresponsive");
  now_ = was;

  EXPECT_TRUE(a->Forget("bbbb-2").ok());
  EXPECT_TRUE(a->Forget("cccc-3").ok());
  EXPECT_EQ(a->Forget("cccc-3").code(), ErrorCode::kNotFound);
  ASSERT_EQ(a->List()->size(), 1u);

  // A server that starts again under its id is listed again, running.
  auto c_again = Open("cccc-3", "ingest", &c_received);
  ASSERT_TRUE(c_again);
  auto after = a->List();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ(Find(*after, "cccc-3")->status, "running");
  EXPECT_EQ(Find(*after, "cccc-3")->stopped_ms, 0);
}

TEST_F(ServerDirectoryTest, ItsThreadBeatsEveryInterval) {
  std::atomic<int64_t> received{0};
  ServerDirectory::Options o;
  o.id = "eeee-5";
  o.started_ms = WallMillis();
  o.interval_ms = 20;
  auto d = ServerDirectory::Open(db_.get(), o, [&received] {
    ServerReport r;
    r.role = "all";
    r.messages_received = received.load();
    return r;
  });
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  received = 77;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto list = (*d)->List();
    ASSERT_TRUE(list.ok());
    seen = (*list)[0].report.messages_received;
    if (seen == 77) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(seen, 77) << "no beat wrote the new counter within 10 s";
}

TEST(ServerIdTest, IsMadeOnceAndKept) {
  testing_support::TempDir dir;
  auto first = LoadOrCreateServerId(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 36u);
  EXPECT_EQ(*LoadOrCreateServerId(dir.path()), *first);
  testing_support::TempDir other;
  EXPECT_NE(*LoadOrCreateServerId(other.path()), *first);
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/server.id", "not an id!\n").ok());
  auto bad = LoadOrCreateServerId(dir.path());
  EXPECT_EQ(bad.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("server.id must hold this server's id"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace tributary::app

namespace tributary::app {
namespace {

TEST_F(ServerDirectoryTest, TheGaugesCountTheServersByStatus) {
  MetricsRegistry metrics;
  std::atomic<int64_t> received{0};
  auto a = ServerDirectory::Open(db_.get(), [&] {
    auto o = Opts("aaaa-1");
    o.metrics = &metrics;
    return o;
  }(), [] { return ServerReport{}; });
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Open("bbbb-2", "ingest", &received);
  auto c = Open("cccc-3", "ingest", &received);
  ASSERT_TRUE(b && c);
  c->Stop();
  now_ += 3 * 60'000 + 1;  // b misses its reports
  ASSERT_TRUE((*a)->Beat().ok());
  const std::string text = metrics.Render();
  for (const char* line : {"tributary_deployment_servers{status=\"running\"} 1",
                           "tributary_deployment_servers{status=\"stopped\"} 1",
                           "tributary_deployment_servers{status=\"unresponsive\"} 1"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace tributary::app
