// The write-ahead log's tests: the checkpoint's saves under many small deliveries.
// Dynamic partitioning (one buffer per device) delivers objects in an order unrelated to
// sequence order, so the delivered ranges fragment and a checkpoint grows to thousands of
// ranges; saving it whole for every object cost milliseconds per object.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/deflate.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "streams/testing/wal_test_support.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // streams::testing: the WAL's test helpers
using testing_support::TempDir;

// Appends `count` small records (without waiting for each) and waits for the last.
void AppendMany(Wal& wal, int count) {
  std::string data;
  std::vector<Wal::Entry> entries;
  std::promise<void> last;
  for (int i = 0; i < count; ++i) {
    const std::string r = "{\"device\":" + std::to_string(i) + "}";
    Wal::Entry e;
    e.offset = data.size();
    e.size = r.size();
    e.arrival_ms = 1000;
    data += r;
    if (i + 1 == count) {
      e.done = [&](const Status& s, uint64_t) {
        EXPECT_TRUE(s.ok());
        last.set_value();
      };
    } else {
      e.done = [](const Status& s, uint64_t) { EXPECT_TRUE(s.ok()); };
    }
    entries.push_back(std::move(e));
  }
  wal.AppendAll(data, entries);
  last.get_future().wait();
}

// The objects of `partitions` devices sending `per` records each, round robin (device p's
// records are seqs p+1, p+1+partitions, ...), delivered in an order unrelated to theirs.
std::vector<std::vector<uint64_t>> FragmentedObjects(int partitions, int per) {
  std::vector<std::vector<uint64_t>> objects(partitions);
  for (int p = 0; p < partitions; ++p) {
    for (int k = 0; k < per; ++k) objects[p].push_back(uint64_t(p + 1 + k * partitions));
  }
  std::vector<std::vector<uint64_t>> order;
  // A stride prime to `partitions`: every object once, neighbours far apart.
  for (int i = 0; i < partitions; ++i) order.push_back(objects[(int64_t(i) * 7919) % partitions]);
  return order;
}

// 2,000 objects of 10 records from 2,000 devices: up to ~10,000 delivered ranges. Saving
// the whole checkpoint for each object took ~10 s here; coalesced saves take a few.
TEST(WalCheckpointTest, ManyFragmentedDeliveriesAreCheap) {
  TempDir dir;
  constexpr int kPartitions = 2000, kPer = 10;
  WalOptions o;
  o.dir = dir.path();
  o.on_durable = [](const std::vector<WalFrame>&) {};
  std::vector<WalRecord> recovered;
  auto wal = Wal::Open(o, &recovered);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  AppendMany(**wal, kPartitions * kPer);
  const auto objects = FragmentedObjects(kPartitions, kPer);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& seqs : objects) ASSERT_TRUE((*wal)->MarkDelivered(seqs).ok());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ((*wal)->delivered_through(), uint64_t(kPartitions * kPer));
  // Generous: the marking itself is microseconds an object.
  EXPECT_LT(ms, 1500) << kPartitions << " objects took " << ms << " ms to mark delivered";
  // At most one save an interval (the first at once), not one an object.
  EXPECT_LE((*wal)->checkpoint_saves(), uint64_t(2 + ms / o.checkpoint_interval_ms));
  // The destructor saves the rest: nothing is delivered again.
  wal->reset();
  auto again = Wal::Open(o, &recovered);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(recovered.empty()) << recovered.size() << " records delivered again";
}

// Opens a WAL in `dir` whose checkpoint saves come at most once per `interval_ms`.
std::unique_ptr<Wal> OpenCoalescing(const std::string& dir, int64_t interval_ms,
                                    std::vector<WalRecord>* recovered,
                                    uint64_t segment_bytes = 64ull << 20) {
  WalOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  o.checkpoint_interval_ms = interval_ms;
  o.on_durable = [](const std::vector<WalFrame>&) {};
  recovered->clear();
  auto wal = Wal::Open(o, recovered);
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  return wal.ok() ? std::move(wal).value() : nullptr;
}

std::vector<uint64_t> Seqs(const std::vector<WalRecord>& records) {
  std::vector<uint64_t> out;
  for (const WalRecord& r : records) out.push_back(r.seq);
  return out;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// What a crash leaves: the directory's files as they are now, copied to `to`.
void CopyAsACrashLeavesIt(const std::string& from, const std::string& to) {
  for (const auto& e : fs::directory_iterator(from)) {
    fs::copy_file(e.path(), to + "/" + e.path().filename().string());
  }
}

// Deliveries faster than the interval are saved together, an interval apart: the first
// at once, the rest once the interval has passed, without another call.
TEST(WalCheckpointTest, SavesComeAtMostOnceAnInterval) {
  TempDir dir;
  std::vector<WalRecord> recovered;
  auto wal = OpenCoalescing(dir.path(), 300, &recovered);
  ASSERT_TRUE(wal);
  AppendMany(*wal, 1000);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t s = 1; s <= 1000; s += 2) ASSERT_TRUE(wal->MarkDelivered({s}).ok());
  for (uint64_t s = 2; s <= 1000; s += 2) ASSERT_TRUE(wal->MarkDelivered({s}).ok());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_LE(wal->checkpoint_saves(), uint64_t(2 + ms / 300)) << ms << " ms";
  // The last deliveries are saved an interval later at most, with no call to prompt it.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto saved = WalCheckpoint::Load(dir.path() + "/checkpoint");
        return saved.ok() && saved->delivered_through() == 1000;
      },
      5000));
  EXPECT_LE(wal->checkpoint_saves(), uint64_t(3 + ms / 300));
}

// A crash (no destructor, no SaveCheckpoint) after deliveries whose save was coalesced:
// the records delivered since the last save are delivered again, and no record that was
// not delivered is lost. Segments go only once a saved checkpoint covers them.
TEST(WalCheckpointTest, ACrashBeforeACoalescedSaveDeliversAgainNeverLoses) {
  TempDir dir, crash;
  std::vector<WalRecord> recovered;
  // Long enough that no save but the first comes during the test.
  auto wal = OpenCoalescing(dir.path(), 600'000, &recovered, /*segment_bytes=*/256);
  ASSERT_TRUE(wal);
  for (int i = 0; i < 10; ++i) AppendMany(*wal, 10);  // 100 records in several segments
  const size_t segments = wal->segment_count();
  ASSERT_GT(segments, 3u);
  ASSERT_TRUE(wal->MarkDelivered(Range(1, 10)).ok());
  // The first delivery after a quiet interval is saved at once.
  ASSERT_TRUE(WaitUntil([&] { return wal->checkpoint_saves() == 1; }, 5000));
  ASSERT_TRUE(WaitUntil([&] { return wal->segment_count() < segments; }, 5000));
  const size_t after_first = wal->segment_count();
  ASSERT_TRUE(wal->MarkDelivered(Range(11, 50)).ok());
  ASSERT_TRUE(wal->MarkDelivered(Range(60, 70)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(wal->checkpoint_saves(), 1u);  // coalesced: not saved yet
  EXPECT_EQ(wal->delivered_through(), 50u);
  // Segments of records 11-50 are not let go before a saved checkpoint covers them.
  EXPECT_EQ(wal->segment_count(), after_first);
  CopyAsACrashLeavesIt(dir.path(), crash.path());
  {
    std::vector<WalRecord> after_crash;
    auto reopened = OpenCoalescing(crash.path(), 600'000, &after_crash, 256);
    ASSERT_TRUE(reopened);
    // Delivered again: 11-50 and 60-70 (in flight at the crash). Never lost: 51-59, 71-100.
    EXPECT_EQ(Seqs(after_crash), Range(11, 100));
  }
  // A flush's save: now saved, and the delivered segments go.
  ASSERT_TRUE(wal->SaveCheckpoint().ok());
  EXPECT_EQ(wal->checkpoint_saves(), 2u);
  EXPECT_LT(wal->segment_count(), after_first);
  ASSERT_TRUE(wal->SaveCheckpoint().ok());  // nothing new: no save
  EXPECT_EQ(wal->checkpoint_saves(), 2u);
  // Closing saves the last deliveries.
  ASSERT_TRUE(wal->MarkDelivered(Range(71, 80)).ok());
  wal.reset();
  wal = OpenCoalescing(dir.path(), 600'000, &recovered, 256);
  ASSERT_TRUE(wal);
  std::vector<uint64_t> want = Range(51, 59);
  for (uint64_t s = 81; s <= 100; ++s) want.push_back(s);
  EXPECT_EQ(Seqs(recovered), want);
}

// A save that fails is reported by the next MarkDelivered and tried again an interval
// later; the state it missed is in the next one.
TEST(WalCheckpointTest, AFailedSaveIsReportedAndTriedAgain) {
  TempDir dir;
  std::vector<WalRecord> recovered;
  auto wal = OpenCoalescing(dir.path(), 100, &recovered);
  ASSERT_TRUE(wal);
  AppendMany(*wal, 20);
  // A directory where the file's temporary copy goes: the save cannot create it.
  fs::create_directory(dir.path() + "/checkpoint.tmp");
  ASSERT_TRUE(wal->MarkDelivered(Range(1, 10)).ok());
  Status reported;
  ASSERT_TRUE(WaitUntil(
      [&] {
        reported = wal->MarkDelivered({});
        return !reported.ok();
      },
      5000));
  EXPECT_NE(reported.ToString().find("checkpoint"), std::string::npos) << reported.ToString();
  EXPECT_EQ(wal->checkpoint_saves(), 0u);
  fs::remove(dir.path() + "/checkpoint.tmp");
  ASSERT_TRUE(WaitUntil([&] { return wal->checkpoint_saves() >= 1; }, 5000));
  auto saved = WalCheckpoint::Load(dir.path() + "/checkpoint");
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->delivered_through(), 10u);
}

// The checkpoint's text reads back as it was, ranges and all.
TEST(WalCheckpointTest, SerializeReadsBack) {
  WalCheckpoint c;
  for (uint64_t s : {1, 2, 3, 5, 9, 10, 20}) c.MarkDelivered(s);
  const std::string body =
      "{\"delivered_through\": 3, \"delivered_ranges\": [[5, 5], [9, 10], [20, 20]]";
  EXPECT_EQ(c.Serialize(), body + ", \"crc32\": " + std::to_string(Crc32(body)) + "}\n");
  TempDir dir;
  ASSERT_TRUE(c.Save(dir.path() + "/cp").ok());
  auto back = WalCheckpoint::Load(dir.path() + "/cp");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Serialize(), c.Serialize());
  EXPECT_EQ(WalCheckpoint().Serialize(),
            "{\"delivered_through\": 0, \"delivered_ranges\": [], \"crc32\": " +
                std::to_string(Crc32("{\"delivered_through\": 0, \"delivered_ranges\": []")) +
                "}\n");
}

// A digit changed on the disk would hide undelivered records (or deliver some again):
// the CRC finds it, and the checkpoint is corrupt (the log sets it aside and delivers
// everything again, wal_recovery_test.cc). One an older build saved, without a CRC, loads.
TEST(WalCheckpointTest, AChangedDigitIsFoundAndOneWithoutACrcIsTaken) {
  WalCheckpoint c;
  for (uint64_t s : {1, 2, 3, 7}) c.MarkDelivered(s);
  TempDir dir;
  const std::string path = dir.path() + "/checkpoint";
  std::string text = c.Serialize();
  ASSERT_EQ(text.find("\"delivered_through\": 3"), 1u);
  text[text.find('3')] = '5';  // records 4 and 5 would be taken for delivered
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
  auto changed = WalCheckpoint::Load(path);
  EXPECT_EQ(changed.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(changed.status().message().find("is corrupt: its crc32"), std::string::npos)
      << changed.status().message();

  // Nor does a damaged name pass for a file without a CRC.
  text = c.Serialize();
  text[text.find("crc32") + 2] = 'v';
  text[text.find('3')] = '5';
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
  auto renamed = WalCheckpoint::Load(path);
  EXPECT_EQ(renamed.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(renamed.status().message().find("is corrupt: unknown member \"crv32\""),
            std::string::npos)
      << renamed.status().message();

  // Numbers of another kind, and ranges of another shape.
  for (const char* bad : {R"({"delivered_through": 1e30, "delivered_ranges": []})",
                          R"({"delivered_through": -1, "delivered_ranges": []})",
                          R"({"delivered_through": 3, "delivered_ranges": [[5, 6, 7]]})",
                          R"({"delivered_through": 3, "delivered_ranges": [5]})",
                          R"({"delivered_through": 3, "delivered_ranges": [], "crc32": 4.5e14})"}) {
    ASSERT_TRUE(WriteFileAtomic(path, bad).ok());
    EXPECT_EQ(WalCheckpoint::Load(path).status().code(), ErrorCode::kDataLoss) << bad;
  }

  ASSERT_TRUE(
      WriteFileAtomic(path, "{\"delivered_through\": 3, \"delivered_ranges\": [[5, 5]]}\n").ok());
  auto older = WalCheckpoint::Load(path);
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(older->delivered_through(), 3u);
  EXPECT_TRUE(older->IsDelivered(5));
  EXPECT_FALSE(older->IsDelivered(4));
}

}  // namespace
}  // namespace tributary::streams
