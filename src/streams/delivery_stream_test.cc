// DeliveryStream opened directly, without a stream manager: what it counts when its WAL is
// opened again.
#include "streams/delivery_stream.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/testing/temp_dir.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::streams {
namespace {

using testing::MemoryObjectStores;
using testing_support::TempDir;

class DeliveryStreamTest : public ::testing::Test {
 protected:
  DeliveryStreamOptions Options(std::shared_ptr<StreamMetrics> metrics) {
    DeliveryStreamOptions o;
    o.config.name = "s";
    o.config.bucket = "iot-data";
    o.config.buffer_interval_s = 900;
    o.epoch = 0x0123456789abcdef;
    o.created_ms = WallMillis();
    o.wal_dir = dir_.path() + "/s";
    o.clock = [] { return WallMillis(); };
    o.retry_initial_backoff_ms = 5;
    o.retry_max_backoff_ms = 20;
    o.bucket = lake_.Get("iot-data");
    o.metrics = std::move(metrics);
    return o;
  }

  std::unique_ptr<DeliveryStream> Open(std::shared_ptr<StreamMetrics> metrics) {
    auto s = DeliveryStream::Open(Options(std::move(metrics)));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // Puts `n` records and waits until the WAL has acknowledged every one; how many were.
  static int PutMany(DeliveryStream& s, const std::string& tag, int n) {
    std::atomic<int> ok{0};
    std::atomic<int> answered{0};
    std::promise<void> all;
    for (int i = 0; i < n; ++i) {
      s.Put(fmt::format("{}-{}\n", tag, i), 0, [&](const Status& st, uint64_t) {
        if (st.ok()) ++ok;
        if (++answered == n) all.set_value();
      });
    }
    all.get_future().wait();
    return ok.load();
  }

  // Records put with the lake down, and a stop that fails: they stay in the WAL.
  void LeaveInTheWal(const std::shared_ptr<StreamMetrics>& metrics, const std::string& tag, int n) {
    lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
    auto s = Open(metrics);
    ASSERT_TRUE(s);
    ASSERT_EQ(PutMany(*s, tag, n), n);
    Status stopped = s->Stop(200);
    ASSERT_FALSE(stopped.ok()) << "the lake is down: the stop cannot deliver";
    lake_.Get("iot-data")->FailPutsWhere(nullptr);
  }

  TempDir dir_;
  MemoryObjectStores lake_;
};

// Opened again in the same process under the same counters (a delete whose stop failed
// starts the stream again), the WAL holds only records that counted in already: none of
// them counts as recovered, so records_delivered stays within records_in +
// records_recovered.
TEST_F(DeliveryStreamTest, AWalOpenedAgainUnderTheSameCountersRecoversNothingTwice) {
  auto metrics = std::make_shared<StreamMetrics>(nullptr, "s");
  ASSERT_NO_FATAL_FAILURE(LeaveInTheWal(metrics, "a", 10));
  EXPECT_EQ(metrics->records_in->Value(), 10u);
  EXPECT_EQ(metrics->records_recovered->Value(), 0u);

  auto again = Open(metrics);
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->Flush(5000).ok());  // the WAL's records, buffered again and delivered
  EXPECT_EQ(metrics->records_delivered->Value(), 10u);
  EXPECT_EQ(metrics->records_recovered->Value(), 0u) << "counted in already";
  ASSERT_TRUE(again->Stop(5000).ok());
}

// The same WAL opened under new counters (another process, after a crash) counts what it
// holds as recovered, once.
TEST_F(DeliveryStreamTest, AWalOpenedUnderNewCountersCountsWhatItHoldsAsRecovered) {
  ASSERT_NO_FATAL_FAILURE(LeaveInTheWal(std::make_shared<StreamMetrics>(nullptr, "s"), "a", 10));

  auto metrics = std::make_shared<StreamMetrics>(nullptr, "s");
  auto next = Open(metrics);
  ASSERT_TRUE(next);
  ASSERT_TRUE(next->Flush(5000).ok());
  EXPECT_EQ(metrics->records_in->Value(), 0u);
  EXPECT_EQ(metrics->records_recovered->Value(), 10u);
  EXPECT_EQ(metrics->records_delivered->Value(), 10u);
  ASSERT_TRUE(next->Stop(5000).ok());
}

}  // namespace
}  // namespace tributary::streams
