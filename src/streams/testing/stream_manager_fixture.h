// What the stream manager's tests share (stream_manager_test.cc: the manager's API, its
// lifecycle, puts and updates; stream_delivery_test.cc: what lands in the lake): a real
// metadata database, a lake in memory, an injected clock. The fixture is StreamManagerTest
// in both, which the PostgreSQL run selects. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"
#include "objstore/object_store.h"
#include "streams/stream_manager.h"
#include "streams/testing/memory_object_store.h"
#include "streams/testing/test_stream_config.h"

namespace tributary::streams::testing {

using testing_support::TempDir;

// 2026-11-30T14:02:11.500Z
constexpr int64_t kStart = 1796047331500;

class StreamManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  StreamManagerOptions Options() {
    StreamManagerOptions o;
    o.wal_dir = dir_.path() + "/wal";
    o.db = db_.get();
    o.lake = &lake_;
    o.metrics = &registry_;
    o.clock = [this] { return now_.load(); };
    o.retry_initial_backoff_ms = 5;
    o.retry_max_backoff_ms = 20;
    o.stop_timeout_ms = 5000;
    return o;
  }

  // Options for a second server sharing the streams table through `db` (another
  // connection to the same PostgreSQL schema), as an ingest server: a WAL directory,
  // metrics and an epoch salt of its own.
  StreamManagerOptions SecondServerOptions(metadata::Database* db, MetricsRegistry* metrics) {
    StreamManagerOptions o = Options();
    o.wal_dir = dir_.path() + "/wal-ingest";
    o.db = db;
    o.metrics = metrics;
    o.epoch_salt = 0x5a5a5a5a5a5a5a5aull;
    return o;
  }

  // The local-directory lake under the test's directory, for tests of what only a real
  // store refuses (the fixture's lake_ is an in-memory one).
  std::unique_ptr<objstore::ObjectStoreProvider> LocalLake() {
    objstore::ObjectStoreConfig lc;
    lc.backend = "local";
    lc.local_root = dir_.path() + "/lake";
    auto local = objstore::OpenObjectStores(lc);
    EXPECT_TRUE(local.ok()) << local.status().ToString();
    return local.ok() ? std::move(local).value() : nullptr;
  }

  std::unique_ptr<StreamManager> OpenManager(StreamManagerOptions o) {
    auto m = StreamManager::Open(std::move(o));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }

  // A manager as Options() makes it, over the local lake it puts in `*local` (LocalLake()),
  // which must outlive the manager.
  std::unique_ptr<StreamManager> OpenOnLocalLake(
      std::unique_ptr<objstore::ObjectStoreProvider>* local) {
    *local = LocalLake();
    if (!*local) return nullptr;
    StreamManagerOptions o = Options();
    o.lake = local->get();
    return OpenManager(std::move(o));
  }

  // A manager whose stream "s" (Config()) takes at most 1000 bytes (with the WAL's frame
  // headers) while the lake refuses every object, so that what it takes stays pending.
  std::unique_ptr<StreamManager> OpenWithLakeDownAndALimitOf1000Bytes() {
    StreamManagerOptions o = Options();
    o.max_pending_bytes = 1000;
    o.stop_timeout_ms = 100;
    auto m = OpenManager(o);
    if (!m || !m->Create(Config()).ok()) return nullptr;
    lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
    return m;
  }

  static StreamConfig Config(const std::string& name = "s") { return TestStreamConfig(name); }

  static Status PutSync(StreamManager& m, const std::string& stream, const std::string& rec) {
    std::promise<Status> p;
    m.Put(stream, rec, [&](const Status& s, uint64_t) { p.set_value(s); });
    return p.get_future().get();
  }

  std::map<std::string, StoredObject> Objects() { return lake_.Get("iot-data")->Objects(); }

  // Waits (real time) until the bucket holds `n` objects.
  bool WaitForObjects(size_t n, int timeout_ms = 5000) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      if (Objects().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  MemoryObjectStores lake_;
  MetricsRegistry registry_;
  std::atomic<int64_t> now_{kStart};
};

}  // namespace tributary::streams::testing
