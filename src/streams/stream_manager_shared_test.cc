// Servers sharing the streams table in one PostgreSQL schema (run as
// streams_test_postgres): what one changes, the other follows.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/fault_points.h"
#include "metadata/testing/test_database.h"
#include "streams/gzip.h"
#include "streams/stream_manager.h"
#include "streams/testing/stream_manager_fixture.h"

namespace tributary::streams {
namespace {

using testing::StoredObject;
using testing::StreamManagerTest;

// Two servers sharing one PostgreSQL schema (streams_test_postgres): what one changes,
// the other follows; each has a WAL of its own and record ids of its own.
TEST_F(StreamManagerTest, AServerFollowsTheStreamsAnotherChanges) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as streams_test_postgres";
  auto control = OpenManager(Options());
  ASSERT_TRUE(control);
  ASSERT_TRUE(control->Create(Config("before")).ok());
  auto other_db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  MetricsRegistry other_registry;
  auto ingest = OpenManager(SecondServerOptions(other_db->get(), &other_registry));
  ASSERT_TRUE(ingest);
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };
  auto names = [](StreamManager& m) {
    std::vector<std::string> out;
    for (const auto& c : m.List()) out.push_back(c.name);
    return out;
  };
  EXPECT_EQ(names(*ingest), (std::vector<std::string>{"before"}));  // loaded at Open

  // Created on one: started on the other, with a WAL of its own.
  ASSERT_TRUE(control->Create(Config("later")).ok());
  ASSERT_TRUE(wait_until([&] { return names(*ingest).size() == 2; })) << names(*ingest).size();
  auto put_id = [](StreamManager& m, const std::string& stream) {
    std::promise<std::string> p;
    m.PutRecord(stream, "{\"x\":1}\n", [&](const Status& s, const std::string& id) {
      p.set_value(s.ok() ? id : s.ToString());
    });
    return p.get_future().get();
  };
  std::string id_control = put_id(*control, "later"), id_ingest = put_id(*ingest, "later");
  ASSERT_EQ(id_control.size(), 32u) << id_control;
  ASSERT_EQ(id_ingest.size(), 32u) << id_ingest;
  EXPECT_NE(id_control.substr(0, 16), id_ingest.substr(0, 16)) << "epochs of their own";
  EXPECT_EQ(id_control.substr(16), id_ingest.substr(16)) << "each WAL numbers from 1";
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal-ingest/later"));

  // Updated on the other: followed here.
  StreamConfig changed = Config("later");
  changed.prefix = "moved/";
  ASSERT_TRUE(ingest->Update(changed).ok());
  ASSERT_TRUE(wait_until([&] { return control->Describe("later")->config.prefix == "moved/"; }));

  // Deleted on one: what the other buffered is delivered, its WAL removed.
  ASSERT_TRUE(control->Delete("later").ok());
  ASSERT_TRUE(wait_until([&] { return names(*ingest).size() == 1; }));
  // The WAL goes after the stream has left the list.
  EXPECT_TRUE(
      wait_until([&] { return !std::filesystem::exists(dir_.path() + "/wal-ingest/later"); }));
  size_t delivered = 0;
  for (const auto& [key, object] : Objects()) {
    if (key.find("later-1-") != std::string::npos) delivered += 1;
  }
  EXPECT_EQ(delivered, 2u) << "each server delivered the record it took in";
  EXPECT_EQ(ingest->Describe("later").status().code(), ErrorCode::kNotFound);
}

// Servers sharing the table (streams_test_postgres): a row that stops reading leaves a
// stream running where it runs; a server that starts on it has it failed, its WAL kept;
// another server's update mends it there, and another's delete removes it there.
TEST_F(StreamManagerTest, AServerFollowsAFailedStreamMendedOrDeletedByAnother) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as streams_test_postgres";
  auto control = OpenManager(Options());
  ASSERT_TRUE(control);
  ASSERT_TRUE(control->Create(Config("d1")).ok());
  auto other_db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  MetricsRegistry other_registry;
  const StreamManagerOptions o = SecondServerOptions(other_db->get(), &other_registry);
  auto ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };
  auto status_of = [](StreamManager& m, const std::string& name) {
    auto d = m.Describe(name);
    return d.ok() ? d->status : d.status().ToString();
  };
  auto damage = [&] {
    ASSERT_TRUE(db_->Exec("UPDATE streams SET config='{\"bucket\":' WHERE name='d1'").ok());
    db_->Announce("streams", "d1");
  };
  ASSERT_TRUE(PutSync(*ingest, "d1", "taken-by-ingest\n").ok());

  damage();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(status_of(*ingest, "d1"), "active") << "keeps running as it was";
  ingest.reset();  // delivers what it took
  ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  EXPECT_EQ(status_of(*ingest, "d1"), "failed");
  EXPECT_TRUE(std::filesystem::exists(o.wal_dir + "/d1"));

  // Mended on the control server: started on the ingest server.
  ASSERT_TRUE(control->Update(Config("d1")).ok());
  ASSERT_TRUE(wait_until([&] { return status_of(*ingest, "d1") == "active"; }))
      << status_of(*ingest, "d1");
  ASSERT_TRUE(PutSync(*ingest, "d1", "after-mending\n").ok());

  // Damaged again, then deleted on the control server: gone here too, its WAL with it.
  damage();
  ingest.reset();
  ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  EXPECT_EQ(status_of(*ingest, "d1"), "failed");
  ASSERT_TRUE(control->Delete("d1").ok());
  ASSERT_TRUE(wait_until([&] { return ingest->List().empty(); }));
  EXPECT_EQ(ingest->Describe("d1").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(o.wal_dir + "/d1"));
}

// Servers sharing the table (streams_test_postgres): a stream deleted by one while the
// other's lake fails keeps its acknowledged records on the other, which stops taking
// records for it and delivers them ("draining") once its lake is back, then removes its WAL.
TEST_F(StreamManagerTest, AStreamDeletedElsewhereDrainsWhatThisServerHolds) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as streams_test_postgres";
  auto control = OpenManager(Options());
  ASSERT_TRUE(control);
  ASSERT_TRUE(control->Create(Config("w1")).ok());
  auto other_db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  MetricsRegistry other_registry;
  StreamManagerOptions o = SecondServerOptions(other_db->get(), &other_registry);
  o.stop_timeout_ms = 300;
  auto ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 400 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };
  auto status_of = [](StreamManager& m, const std::string& name) {
    auto d = m.Describe(name);
    return d.ok() ? d->status : d.status().ToString();
  };
  auto bucket = lake_.Get("iot-data");
  bucket->FailPutsWhere([](const std::string&) { return true; });
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(PutSync(*ingest, "w1", "held-" + std::to_string(i) + "\n").ok());
  }
  ASSERT_TRUE(control->Delete("w1").ok());
  ASSERT_TRUE(wait_until([&] { return status_of(*ingest, "w1") == "draining"; }))
      << status_of(*ingest, "w1");
  EXPECT_FALSE(PutSync(*ingest, "w1", "refused\n").ok()) << "accepts nothing new";
  // Created again meanwhile: the old records are not thrown away.
  ASSERT_TRUE(control->Create(Config("w1")).ok());
  ASSERT_TRUE(wait_until([&] { return status_of(*ingest, "w1") == "active"; }));
  bucket->FailPutsWhere(nullptr);
  auto delivered = [&] {
    std::string all;
    for (const auto& [key, obj] : Objects()) all += obj.data;
    return all;
  };
  ASSERT_TRUE(wait_until([&] { return delivered().find("held-29\n") != std::string::npos; }));
  for (int i = 0; i < 30; ++i) {
    EXPECT_NE(delivered().find("held-" + std::to_string(i) + "\n"), std::string::npos) << i;
  }
  EXPECT_TRUE(wait_until([&] { return std::filesystem::is_empty(o.wal_dir + "/+draining"); }));
}

}  // namespace
}  // namespace tributary::streams
