// DeliveryStream opened directly, without a stream manager: what it counts when its WAL is
// opened again, and what an idle stream costs.
#include "streams/delivery_stream.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/fault_points.h"
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
    return Open(Options(std::move(metrics)));
  }

  std::unique_ptr<DeliveryStream> Open(DeliveryStreamOptions options) {
    auto s = DeliveryStream::Open(std::move(options));
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

// The process's voluntary context switches so far: every time one of its threads slept.
long VoluntarySwitches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw;
}

// A stream with nothing buffered has nothing falling due: its delivery thread sleeps until a
// record comes, so that a server's idle streams cost no CPU. (Each used to wake 20 times a
// second: 300 idle streams took a sixth of a core.)
TEST_F(DeliveryStreamTest, IdleStreamsSleepUntilARecordComes) {
  constexpr int kStreams = 40;
  std::vector<std::unique_ptr<DeliveryStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    DeliveryStreamOptions o = Options(std::make_shared<StreamMetrics>(nullptr, "s"));
    o.config.name = fmt::format("s{}", i);
    o.wal_dir = dir_.path() + "/" + o.config.name;
    streams.push_back(Open(std::move(o)));
    ASSERT_TRUE(streams.back());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // started and settled
  const long before = VoluntarySwitches();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long woke = VoluntarySwitches() - before;
  EXPECT_LT(woke, 2 * kStreams) << kStreams << " idle streams slept " << woke
                                << " times in a second";
  for (auto& s : streams) ASSERT_TRUE(s->Stop(5000).ok());
}

// The first record an idle stream buffers wakes its delivery thread, which then delivers the
// buffer when its interval passes (by the stream's clock, here one that jumps).
TEST_F(DeliveryStreamTest, TheFirstRecordAfterIdlingIsDeliveredAtItsInterval) {
  std::atomic<int64_t> now{WallMillis()};
  DeliveryStreamOptions o = Options(std::make_shared<StreamMetrics>(nullptr, "s"));
  o.config.buffer_interval_s = 60;
  o.clock = [&now] { return now.load(); };
  auto s = Open(std::move(o));
  ASSERT_TRUE(s);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // asleep, nothing buffered
  ASSERT_EQ(PutMany(*s, "a", 1), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(lake_.Get("iot-data")->Objects().empty()) << "delivered before its interval";
  now += 61'000;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (lake_.Get("iot-data")->Objects().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto objects = lake_.Get("iot-data")->Objects();
  ASSERT_EQ(objects.size(), 1u) << "not delivered 5 s after its interval passed";
  EXPECT_EQ(objects.begin()->second.data, "a-0\n");
  ASSERT_TRUE(s->Stop(5000).ok());
}

// The threads of this process now.
size_t ThreadsNow() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A thread the system refuses (the process at its limit of threads) fails the open with an
// error that names it, leaves none of the stream's threads running, and loses nothing: the
// WAL opened again delivers what it holds. Each of the four threads, in the order started.
TEST_F(DeliveryStreamTest, AThreadTheSystemRefusesFailsTheOpenAndLeavesNoThreadBehind) {
  auto metrics = std::make_shared<StreamMetrics>(nullptr, "s");
  ASSERT_NO_FATAL_FAILURE(LeaveInTheWal(metrics, "a", 3));
  for (const char* thread : {"wal:s", "walckpt:s", "deliver:s"}) {
    SCOPED_TRACE(thread);
    const size_t before = ThreadsNow();
    testing_support::ArmFault(std::string("thread.start:") + thread, EAGAIN);
    auto refused = DeliveryStream::Open(Options(metrics));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted);
    EXPECT_NE(refused.status().message().find(std::string("cannot start thread '") + thread),
              std::string::npos)
        << refused.status().ToString();
    EXPECT_EQ(ThreadsNow(), before);
  }
  auto s = Open(metrics);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Flush(5000).ok());
  std::string delivered;
  for (const auto& [key, object] : lake_.Get("iot-data")->Objects()) delivered += object.data;
  EXPECT_EQ(delivered, "a-0\na-1\na-2\n");
  ASSERT_TRUE(s->Stop(5000).ok());
}

}  // namespace
}  // namespace tributary::streams
