#include "streams/wal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using testing_support::TempDir;

// Opens a WAL in `dir`, collecting what it hands to on_durable.
struct Harness {
  std::unique_ptr<Wal> wal;
  std::vector<WalRecord> recovered;
  std::mutex mu;
  std::vector<WalRecord> durable;

  explicit Harness(const std::string& dir, FsyncPolicy fsync = {}, uint64_t segment = 1 << 20) {
    WalOptions o;
    o.dir = dir;
    o.epoch = 0xabc;
    o.fsync = fsync;
    o.segment_bytes = segment;
    o.on_durable = [this](const std::vector<WalFrame>& frames) {
      std::lock_guard<std::mutex> lock(mu);
      for (const WalFrame& f : frames) {
        EXPECT_EQ(f.epoch, 0xabcu);
        durable.push_back({f.seq, f.arrival_ms, std::string(f.data)});
      }
    };
    auto w = Wal::Open(std::move(o), &recovered);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (w.ok()) wal = std::move(w).value();
  }

  // Appends and waits for the acknowledgement.
  uint64_t AppendSync(const std::string& data, int64_t arrival = 1000) {
    std::promise<Status> p;
    uint64_t seq = wal->Append(data, arrival, [&](const Status& s, uint64_t) { p.set_value(s); });
    EXPECT_TRUE(p.get_future().get().ok());
    return seq;
  }
};

std::vector<std::string> Data(const std::vector<WalRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.data);
  return out;
}

std::string OnlySegment(const std::string& dir) {
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".wal" && fs::file_size(e.path()) > 0) {
      segments.push_back(e.path().string());
    }
  }
  EXPECT_EQ(segments.size(), 1u);
  return segments.empty() ? "" : segments[0];
}

TEST(WalFormatTest, FrameRoundTripAndRecordId) {
  std::string buf;
  EncodeFrame(7, 42, 1234, "hello", &buf);
  EXPECT_EQ(buf.size(), kFrameHeaderBytes + kFrameFixedBodyBytes + 5);
  size_t offset = 0;
  WalFrame f;
  ASSERT_EQ(DecodeFrame(buf, &offset, &f), DecodeResult::kOk);
  EXPECT_EQ(f.epoch, 7u);
  EXPECT_EQ(f.seq, 42u);
  EXPECT_EQ(f.arrival_ms, 1234);
  EXPECT_EQ(f.data, "hello");
  EXPECT_EQ(DecodeFrame(buf, &offset, &f), DecodeResult::kEnd);
  EXPECT_EQ(RecordId(7, 42), "0000000000000007000000000000002a");
}

// The on-disk format is fixed by README.md: the frame's bytes, CRC included, must not
// change with the implementation (logs written by earlier versions must still recover).
TEST(WalFormatTest, FrameBytesAreTheDocumentedLayout) {
  std::string buf;
  EncodeFrame(7, 42, 1234, "hello", &buf);
  std::string expected_header = {
      29, 0, 0, 0,                 // body length 24 + 5
      0, 0, 0, 0,                  // CRC, checked below
      7, 0, 0, 0, 0, 0, 0, 0,      // epoch
      42, 0, 0, 0, 0, 0, 0, 0,     // seq
      char(0xd2), 4, 0, 0, 0, 0, 0, 0};  // 1234 ms
  ASSERT_EQ(buf.size(), 37u);
  for (size_t i = 0; i < 32; ++i) {
    if (i >= 4 && i < 8) continue;
    EXPECT_EQ(buf[i], expected_header[i]) << "byte " << i;
  }
  EXPECT_EQ(buf.substr(32), "hello");
  // zlib's CRC-32 of the body: the value the first version of the log wrote.
  uint32_t crc = uint8_t(buf[4]) | uint32_t(uint8_t(buf[5])) << 8 |
                 uint32_t(uint8_t(buf[6])) << 16 | uint32_t(uint8_t(buf[7])) << 24;
  EXPECT_EQ(crc, 0x95442c81u) << std::hex << crc;
}

TEST(WalTest, AppendThenRecoverReturnsUndeliveredInOrder) {
  TempDir dir;
  {
    Harness h(dir.path());
    EXPECT_EQ(h.AppendSync("a", 10), 1u);
    EXPECT_EQ(h.AppendSync("b", 20), 2u);
    EXPECT_EQ(h.AppendSync("c", 30), 3u);
    EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"a", "b", "c"}));
    ASSERT_TRUE(h.wal->MarkDelivered({2}).ok());
  }
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(h.recovered[1].seq, 3u);
  EXPECT_EQ(h.recovered[1].arrival_ms, 30);
  // Sequence numbers continue after the highest one on disk.
  EXPECT_EQ(h.AppendSync("d"), 4u);
}

// Each corruption leaves the records before it and cuts the rest, without crashing.
void ExpectTailCut(const std::function<void(const std::string& segment)>& corrupt,
                   std::vector<std::string> want) {
  TempDir dir;
  {
    Harness h(dir.path());
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
  }
  std::string segment = OnlySegment(dir.path());
  corrupt(segment);
  {
    Harness h(dir.path());
    EXPECT_EQ(Data(h.recovered), want);
    uint64_t next = h.AppendSync("four");
    EXPECT_GT(next, 3u);  // never reuses a sequence number of a record that was acknowledged
  }
  Harness h(dir.path());
  want.push_back("four");
  EXPECT_EQ(Data(h.recovered), want);
}

size_t FrameSize(size_t data) { return kFrameHeaderBytes + kFrameFixedBodyBytes + data; }

TEST(WalTest, TruncatedTailIsCutOff) {
  ExpectTailCut([](const std::string& seg) {
    fs::resize_file(seg, fs::file_size(seg) - 3);
  }, {"one", "two"});
}

TEST(WalTest, TornHeaderIsCutOff) {
  ExpectTailCut([](const std::string& seg) {
    fs::resize_file(seg, FrameSize(3) + FrameSize(3) + 5);
  }, {"one", "two"});
}

TEST(WalTest, BadCrcInTheMiddleCutsFromThere) {
  ExpectTailCut([](const std::string& seg) {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(FrameSize(3) + kFrameHeaderBytes + 26));  // in "two"
    f.put('X');
  }, {"one"});
}

TEST(WalTest, ZeroFilledTailIsCutOff) {
  ExpectTailCut([](const std::string& seg) {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f << std::string(4096, '\0');
  }, {"one", "two", "three"});
}

TEST(WalTest, GroupCommitAcknowledgesEveryCallerInAppendOrder) {
  TempDir dir;
  Harness h(dir.path());
  constexpr int kThreads = 8, kPerThread = 200;
  std::mutex mu;
  std::vector<uint64_t> acked;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        h.wal->Append(std::to_string(t) + ":" + std::to_string(i), 1,
                      [&](const Status& s, uint64_t seq) {
                        if (s.ok()) ok++;
                        std::lock_guard<std::mutex> lock(mu);
                        acked.push_back(seq);
                      });
      }
    });
  }
  for (auto& t : threads) t.join();
  h.wal.reset();  // drains the queue
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  ASSERT_EQ(acked.size(), size_t(kThreads * kPerThread));
  for (size_t i = 0; i < acked.size(); ++i) EXPECT_EQ(acked[i], i + 1) << "callback order";
  // Records hit the hook in sequence order, each thread's own in its order.
  ASSERT_EQ(h.durable.size(), acked.size());
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < h.durable.size(); ++i) {
    EXPECT_EQ(h.durable[i].seq, i + 1);
    int t = std::stoi(h.durable[i].data);
    EXPECT_EQ(h.durable[i].data, std::to_string(t) + ":" + std::to_string(next[t]++));
  }
  Harness again(dir.path());
  EXPECT_EQ(again.recovered.size(), acked.size());
}

TEST(WalTest, CheckpointLetsDeliveredSegmentsGo) {
  TempDir dir;
  std::vector<uint64_t> seqs;
  {
    Harness h(dir.path(), {}, /*segment=*/200);  // a new segment every few records
    for (int i = 0; i < 20; ++i) seqs.push_back(h.AppendSync(std::string(50, 'a' + i % 26)));
    EXPECT_GT(h.wal->segment_count(), 5u);
    uint64_t before = h.wal->size_bytes();
    // Out of order: the second half first keeps every segment (the watermark is still 0).
    ASSERT_TRUE(h.wal->MarkDelivered({seqs.begin() + 10, seqs.end()}).ok());
    EXPECT_EQ(h.wal->delivered_through(), 0u);
    EXPECT_EQ(h.wal->size_bytes(), before);
    ASSERT_TRUE(h.wal->MarkDelivered({seqs.begin(), seqs.begin() + 5}).ok());
    EXPECT_EQ(h.wal->delivered_through(), 5u);
    EXPECT_LT(h.wal->size_bytes(), before);
  }
  Harness h(dir.path());
  ASSERT_EQ(h.recovered.size(), 5u);
  EXPECT_EQ(h.recovered.front().seq, 6u);
  EXPECT_EQ(h.recovered.back().seq, 10u);
  ASSERT_TRUE(h.wal->MarkDelivered({6, 7, 8, 9, 10}).ok());
  EXPECT_EQ(h.wal->delivered_through(), 20u);
  EXPECT_EQ(h.wal->segment_count(), 1u);  // only the open one
}

TEST(WalTest, CheckpointRangesMerge) {
  WalCheckpoint c;
  for (uint64_t s : {5, 3, 4, 9, 1}) c.MarkDelivered(s);
  EXPECT_EQ(c.delivered_through(), 1u);
  EXPECT_EQ(c.range_count(), 2u);  // [3,5] [9,9]
  c.MarkDelivered(2);
  EXPECT_EQ(c.delivered_through(), 5u);
  EXPECT_TRUE(c.IsDelivered(9));
  EXPECT_FALSE(c.IsDelivered(8));
  TempDir dir;
  ASSERT_TRUE(c.Save(dir.path() + "/cp").ok());
  auto back = WalCheckpoint::Load(dir.path() + "/cp");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->delivered_through(), 5u);
  EXPECT_TRUE(back->IsDelivered(9));
  EXPECT_FALSE(back->IsDelivered(6));
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/bad", "{not json").ok());
  EXPECT_EQ(WalCheckpoint::Load(dir.path() + "/bad").status().code(), ErrorCode::kDataLoss);
}

TEST(FsyncPolicyTest, Parses) {
  EXPECT_EQ(FsyncPolicy::Parse("always")->mode, FsyncPolicy::Mode::kAlways);
  EXPECT_EQ(FsyncPolicy::Parse("never")->mode, FsyncPolicy::Mode::kNever);
  auto i = FsyncPolicy::Parse("interval:250");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->interval_ms, 250);
  EXPECT_EQ(i->ToString(), "interval:250");
  for (const char* bad : {"", "sometimes", "interval:", "interval:0", "interval:x", "interval:5s"}) {
    EXPECT_FALSE(FsyncPolicy::Parse(bad).ok()) << bad;
  }
}

TEST(WalTest, IntervalAndNeverPoliciesStillPersistOnClose) {
  for (const char* policy : {"interval:20", "never"}) {
    TempDir dir;
    {
      Harness h(dir.path(), *FsyncPolicy::Parse(policy));
      h.AppendSync("x");
      h.AppendSync("y");
    }
    Harness h(dir.path());
    EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"x", "y"})) << policy;
  }
}

}  // namespace
}  // namespace tributary::streams
