// The write-ahead log's tests: Recovery: what Open finds after a crash, damage or a recycled segment's old frames.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/completion_batch.h"
#include "base/fault_points.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "base/thread_name.h"
#include "streams/testing/wal_test_support.h"
#include "streams/wal.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // streams::testing: the WAL's test helpers
using testing_support::TempDir;

// Disarms every fault point when the test ends, however it ends.
struct DisarmAtEnd {
  ~DisarmAtEnd() { testing_support::DisarmFaults(); }
};

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

// HoldsNothing tells a directory a log has never numbered a record in (or whose files
// were lost) from one that has: a log once opened keeps its active segment, even empty.
TEST(WalTest, HoldsNothingUntilALogHasBeenOpenedThere) {
  TempDir dir;
  const std::string wal_dir = dir.path() + "/s";
  EXPECT_TRUE(Wal::HoldsNothing(wal_dir));  // missing
  fs::create_directories(wal_dir);
  std::ofstream(wal_dir + "/spare.wal") << "zeros";
  std::ofstream(wal_dir + "/recycled-00000000000000000001.wal") << "old";
  std::ofstream(wal_dir + "/checkpoint.corrupt") << "{";
  EXPECT_TRUE(Wal::HoldsNothing(wal_dir));  // none of these numbers anything
  { Harness h(wal_dir); }
  EXPECT_FALSE(Wal::HoldsNothing(wal_dir));  // its (empty) active segment
  {
    Harness h(wal_dir);
    EXPECT_EQ(h.AppendSync("a"), 1u);
    ASSERT_TRUE(h.wal->MarkDelivered({1}).ok());
  }
  for (const auto& e : fs::directory_iterator(wal_dir)) {
    if (e.path().extension() == ".wal") fs::remove(e.path());
  }
  EXPECT_FALSE(Wal::HoldsNothing(wal_dir));  // the checkpoint alone
  fs::remove(wal_dir + "/checkpoint");
  EXPECT_TRUE(Wal::HoldsNothing(wal_dir));
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
  // A damaged tail is what a crash mid-write leaves: cut, not copied aside.
  EXPECT_FALSE(fs::exists(segment + ".corrupt"));
}

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

// A damaged frame in the middle of a segment loses that frame only: recovery resyncs on
// the next frame that decodes and continues the sequence, keeps the acknowledged records
// after it, copies the segment as found aside, rewrites it without the damage and reports
// what was lost and where.
TEST(WalTest, ABadFrameInTheMiddleIsSkippedAndTheFramesAfterItKept) {
  TempDir dir;
  {
    Harness h(dir.path());
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
  }
  const std::string segment = OnlySegment(dir.path());
  auto original = ReadFile(segment);
  ASSERT_TRUE(original.ok());
  const size_t damaged_at = FrameSize(3) + kFrameHeaderBytes + 26;  // in "two"
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(damaged_at));
    f.put('X');
  }
  {
    Harness h(dir.path());
    EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"one", "three"}));
    EXPECT_EQ(h.recovered[1].seq, 3u);
    const WalRecoveryReport& report = h.wal->recovery();
    EXPECT_EQ(report.records_lost, 1u);
    EXPECT_EQ(report.damaged_stretches, 1u);
    ASSERT_EQ(report.problems.size(), 1u);
    // Named by the file's name: the server's directories are not the API client's business.
    const std::string name = fs::path(segment).filename().string();
    EXPECT_NE(report.problems[0].find("WAL " + name + ":"), std::string::npos)
        << report.problems[0];
    EXPECT_EQ(report.problems[0].find(dir.path()), std::string::npos) << report.problems[0];
    EXPECT_NE(report.problems[0].find("offset " + std::to_string(FrameSize(3))), std::string::npos)
        << report.problems[0];
    EXPECT_NE(report.problems[0].find("#2..#2"), std::string::npos) << report.problems[0];
    // The segment as found, byte for byte, beside it; the segment without the damage.
    auto aside = ReadFile(segment + ".corrupt");
    ASSERT_TRUE(aside.ok());
    EXPECT_EQ(aside->size(), original->size());
    EXPECT_EQ((*aside)[damaged_at], 'X');
    EXPECT_EQ(fs::file_size(segment), FrameSize(3) + FrameSize(5));
    EXPECT_EQ(h.AppendSync("four"), 4u);
  }
  // The next recovery finds a clean segment.
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"one", "three", "four"}));
  EXPECT_EQ(h.wal->recovery().records_lost, 0u);
  EXPECT_TRUE(h.wal->recovery().problems.empty());
}

// Damage that wrecks a frame's length (it then spans the frames after it) in a segment
// of many records: only the frames the damage covers are lost. Records already delivered
// are not counted as lost.
TEST(WalTest, ADamagedLengthLosesOnlyItsFrame) {
  TempDir dir;
  const std::string record(500, 'r');
  {
    Harness h(dir.path());
    for (int i = 0; i < 100; ++i) h.AppendSync(record + std::to_string(i));
    ASSERT_TRUE(h.wal->MarkDelivered({1, 2, 3}).ok());
  }
  const std::string segment = OnlySegment(dir.path());
  {
    // Frame 40 (seq 41): its length's second byte, so that it spans the next frames.
    const size_t at = 10 * FrameSize(record.size() + 1) + 30 * FrameSize(record.size() + 2);
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at + 1));
    f.put('\x10');
  }
  Harness h(dir.path());
  EXPECT_EQ(h.recovered.size(), 96u);  // 100, less 3 delivered, less the damaged one
  EXPECT_EQ(h.wal->recovery().records_lost, 1u);
  EXPECT_EQ(h.recovered.back().seq, 100u);
  EXPECT_TRUE(fs::exists(segment + ".corrupt"));
}

// Damage over frames already delivered loses nothing undelivered: counted as 0 lost.
TEST(WalTest, DamageOverDeliveredFramesLosesNothing) {
  TempDir dir;
  {
    Harness h(dir.path());
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
    ASSERT_TRUE(h.wal->MarkDelivered({2}).ok());
  }
  const std::string segment = OnlySegment(dir.path());
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(FrameSize(3) + kFrameHeaderBytes + 26));
    f.put('X');
  }
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(h.wal->recovery().records_lost, 0u);
  EXPECT_EQ(h.wal->recovery().damaged_stretches, 1u);
}

// A checkpoint that does not parse does not keep the log closed: it is renamed
// checkpoint.corrupt, every record is given back to be delivered again, and the report
// says so.
TEST(WalTest, ACorruptCheckpointIsSetAsideAndEverythingRedelivered) {
  TempDir dir;
  {
    Harness h(dir.path());
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
    ASSERT_TRUE(h.wal->MarkDelivered({1, 2}).ok());
  }
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/checkpoint", "{\"delivered_thr").ok());
  {
    WarningCapture errors;
    Harness h(dir.path());
    ASSERT_TRUE(h.wal);
    EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"one", "two", "three"}));
    EXPECT_TRUE(h.wal->recovery().checkpoint_reset);
    ASSERT_EQ(h.wal->recovery().problems.size(), 1u);
    EXPECT_NE(h.wal->recovery().problems[0].find("checkpoint.corrupt"), std::string::npos);
    EXPECT_TRUE(fs::exists(dir.path() + "/checkpoint.corrupt"));
    EXPECT_NE(errors.text().find("is corrupt"), std::string::npos) << errors.text();
    EXPECT_EQ(h.AppendSync("four"), 4u);
    ASSERT_TRUE(h.wal->MarkDelivered({1, 2, 3}).ok());
  }
  {
    Harness h(dir.path());
    EXPECT_EQ(Data(h.recovered), std::vector<std::string>{"four"});
    EXPECT_FALSE(h.wal->recovery().checkpoint_reset);
  }
  // A second damaged checkpoint does not overwrite the first one set aside.
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/checkpoint", "{\"second").ok());
  {
    WarningCapture errors;
    Harness h(dir.path());
    ASSERT_TRUE(h.wal);
    ASSERT_EQ(h.wal->recovery().problems.size(), 1u);
    EXPECT_NE(h.wal->recovery().problems[0].find("checkpoint.corrupt.1"), std::string::npos)
        << h.wal->recovery().problems[0];
    EXPECT_EQ(*ReadFile(dir.path() + "/checkpoint.corrupt"), "{\"delivered_thr");
    EXPECT_EQ(*ReadFile(dir.path() + "/checkpoint.corrupt.1"), "{\"second");
  }
  // Damage that keeps coming back does not fill the disk: the newest 8 are kept.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(WriteFileAtomic(dir.path() + "/checkpoint", "{\"again " + std::to_string(i)).ok());
    WarningCapture errors;
    Harness h(dir.path());
    ASSERT_TRUE(h.wal);
  }
  int aside = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    aside += entry.path().filename().string().find(".corrupt") != std::string::npos;
  }
  EXPECT_EQ(aside, 8);
  EXPECT_FALSE(fs::exists(dir.path() + "/checkpoint.corrupt"));  // the oldest went first
  EXPECT_EQ(*ReadFile(dir.path() + "/checkpoint.corrupt.11"), "{\"again 9");
}

// Once every record is delivered and its segment gone, the checkpoint is not the only
// record of the numbers handed out: the segments' names are too, so a lost checkpoint
// never makes a new record take an old one's number (and id).
TEST(WalTest, ACorruptCheckpointNeverHandsOutANumberAgain) {
  TempDir dir;
  {
    Harness h(dir.path(), {}, /*segment=*/200);  // a new segment every few records
    std::vector<uint64_t> seqs;
    for (int i = 0; i < 20; ++i) seqs.push_back(h.AppendSync(std::string(50, 'a')));
    ASSERT_TRUE(h.wal->MarkDelivered(seqs).ok());
  }
  {
    // Reopened, with a delivery since (one marked again), the delivered segments go: an
    // empty one named #21, the open one, is all that is left.
    Harness h(dir.path());
    ASSERT_TRUE(h.wal->MarkDelivered({20}).ok());
  }
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 24 && name.ends_with(".wal")) {
      ASSERT_EQ(name, "00000000000000000021.wal") << "a segment of delivered records is left";
    }
  }
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/checkpoint", "{\"delivered_thr").ok());
  WarningCapture errors;
  Harness h(dir.path());
  ASSERT_TRUE(h.wal);
  EXPECT_TRUE(h.wal->recovery().checkpoint_reset);
  EXPECT_TRUE(h.recovered.empty());
  EXPECT_EQ(h.AppendSync("next"), 21u);
}

// Zeros after the last frame are the unwritten rest of a preallocated segment: no record
// can have been there, so they go quietly and no sequence number is skipped.
TEST(WalTest, ZeroFilledTailIsANormalEnd) {
  TempDir dir;
  {
    Harness h(dir.path());
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
  }
  std::string segment = OnlySegment(dir.path());
  {
    std::ofstream f(segment, std::ios::app | std::ios::binary);
    f << std::string(100000, '\0');
  }
  WarningCapture warnings;
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(fs::file_size(segment), FrameSize(3) + FrameSize(3) + FrameSize(5));
  EXPECT_EQ(h.AppendSync("four"), 4u);
  EXPECT_EQ(warnings.text(), "");
}

// Garbage before the zeros is damage: cut with a warning, and sequence numbers skipped for
// the frames the garbage could have held, not for the zeros after it.
TEST(WalTest, GarbageBeforeAZeroTailIsCutAndSkipsOnlyForTheGarbage) {
  constexpr size_t kGarbage = 100;
  ExpectTailCut([](const std::string& seg) {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f << std::string(kGarbage, '\xff') << std::string(1 << 20, '\0');
  }, {"one", "two", "three"});
  TempDir dir;
  {
    Harness h(dir.path());
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
  }
  {
    std::ofstream f(OnlySegment(dir.path()), std::ios::app | std::ios::binary);
    f << std::string(kGarbage, '\x7f') << std::string(1 << 20, '\0');
  }
  WarningCapture warnings;
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"one", "two", "three"}));
  uint64_t next = h.AppendSync("four");
  EXPECT_GT(next, 4u);
  // Skipped: one seq per smallest frame that fits in the garbage, plus one; none for the
  // 1 MiB of zeros after it (that would be 32768).
  EXPECT_LE(next, 3u + kGarbage / FrameSize(0) + 2);
  EXPECT_NE(warnings.text().find("WAL tail cut off"), std::string::npos) << warnings.text();
}

// The numbers skipped past a damaged tail are never delivered (no record has them): the
// watermark must pass them, or it would stop below them for good, no segment would be
// trimmed again and no flush would ever see its records delivered.
TEST(WalTest, TheWatermarkPassesTheNumbersSkippedPastADamagedTail) {
  TempDir dir;
  {
    Harness h(dir.path(), {}, /*segment=*/200);
    for (std::string s : {"one", "two", "three"}) h.AppendSync(s);
  }
  {
    std::ofstream f(Segments(dir.path()).back(), std::ios::app | std::ios::binary);
    f << std::string(500, '\xff');
  }
  uint64_t four = 0;
  {
    Harness h(dir.path(), {}, /*segment=*/200);
    ASSERT_EQ(h.recovered.size(), 3u);
    four = h.AppendSync(std::string(150, '4'));
    EXPECT_GT(four, 4u);  // numbers skipped for what the garbage could have held
    uint64_t five = h.AppendSync(std::string(150, '5'));
    ASSERT_TRUE(h.wal->MarkDelivered({1, 2, 3, four}).ok());
    EXPECT_EQ(h.wal->delivered_through(), four);
    ASSERT_TRUE(h.wal->MarkDelivered({five}).ok());
    EXPECT_EQ(h.wal->delivered_through(), five);
    EXPECT_EQ(h.wal->segment_count(), 1u);  // the delivered segments went
  }
  Harness h(dir.path(), {}, /*segment=*/200);
  EXPECT_TRUE(h.recovered.empty());
}

// A watermark already stopped below such numbers (a checkpoint an older build saved) is
// mended when the log opens: every number no frame holds is counted as delivered.
TEST(WalTest, OpenCountsNumbersNoFrameHoldsAsDelivered) {
  TempDir dir;
  std::string frames;
  EncodeFrame(0xabc, 40, 1, "forty", &frames);
  EncodeFrame(0xabc, 45, 1, "forty-five", &frames);
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/00000000000000000040.wal", frames).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/checkpoint",
                              R"({"delivered_through": 3, "delivered_ranges": [[40, 40]]})")
                  .ok());
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), std::vector<std::string>{"forty-five"});
  EXPECT_EQ(h.wal->delivered_through(), 44u);
  ASSERT_TRUE(h.wal->MarkDelivered({45}).ok());
  EXPECT_EQ(h.wal->delivered_through(), 45u);
}

// What a crash leaves: a preallocated segment with frames and then zeros (the spare's),
// and a spare half filled. Every frame comes back, nothing is reported as damage, and the
// next sequence number follows the last frame.
TEST(WalTest, CrashInAPreallocatedSegmentRecoversEveryFrame) {
  TempDir dir;
  std::string frames;
  for (uint64_t seq = 7; seq <= 11; ++seq) {
    EncodeFrame(0xabc, seq, 100 * int64_t(seq), "record " + std::to_string(seq), &frames);
  }
  const std::string segment = dir.path() + "/00000000000000000007.wal";
  ASSERT_TRUE(
      WriteFileAtomic(segment, frames + std::string((64 << 10) - frames.size(), '\0')).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/spare.wal.tmp", std::string(12288, '\0')).ok());
  WarningCapture warnings;
  Harness h(dir.path(), *FsyncPolicy::Parse("always"), 64 << 10);
  ASSERT_EQ(h.recovered.size(), 5u);
  for (uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(h.recovered[i].seq, 7 + i);
    EXPECT_EQ(h.recovered[i].arrival_ms, int64_t(100 * (7 + i)));
    EXPECT_EQ(h.recovered[i].data, "record " + std::to_string(7 + i));
  }
  EXPECT_EQ(fs::file_size(segment), frames.size());
  EXPECT_FALSE(fs::exists(dir.path() + "/spare.wal.tmp"));
  EXPECT_EQ(h.AppendSync("after"), 12u);
  EXPECT_EQ(warnings.text(), "");
}

// A recycled segment holds its new frames and then what it held before (older sequence
// numbers): the old frames are the normal end, cut quietly, and no number is skipped.
TEST(WalTest, OlderFramesAfterTheNewOnesAreARecycledTail) {
  TempDir dir;
  std::string frames;
  for (uint64_t seq = 50; seq <= 52; ++seq) EncodeFrame(0xabc, seq, 1, "new " + std::to_string(seq), &frames);
  const size_t new_bytes = frames.size();
  for (uint64_t seq = 10; seq <= 30; ++seq) EncodeFrame(0xabc, seq, 1, "old " + std::to_string(seq), &frames);
  const std::string segment = dir.path() + "/00000000000000000050.wal";
  ASSERT_TRUE(WriteFileAtomic(segment, frames).ok());
  // The first frame already old: a segment recycled and not written to before the crash.
  std::string stale;
  for (uint64_t seq = 31; seq <= 40; ++seq) EncodeFrame(0xabc, seq, 1, "old", &stale);
  const std::string untouched = dir.path() + "/00000000000000000053.wal";
  ASSERT_TRUE(WriteFileAtomic(untouched, stale).ok());
  WarningCapture warnings;
  Harness h(dir.path());
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"new 50", "new 51", "new 52"}));
  EXPECT_EQ(fs::file_size(segment), new_bytes);
  EXPECT_EQ(fs::file_size(untouched), 0u);  // now the new active segment, empty
  EXPECT_EQ(h.AppendSync("next"), 53u);
  EXPECT_EQ(warnings.text(), "");
}

// Under `always` commits are direct (O_DIRECT) on a file system that takes it: a segment
// holds whole blocks, its frames then a padding frame (sequence number 0) to the block's
// end. Records of mixed sizes through reused segments, whose old frames lie at other
// offsets than the new ones: a crash at any commit recovers exactly the records not
// delivered, with no warning and no sequence number skipped.
void ExpectQuietRecoveryThroughReusedSegments(bool direct) {
  constexpr uint64_t kSegment = 64 << 10;
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
  // A file system that refuses O_DIRECT: segments are still preallocated and reused, and
  // commits go through the page cache.
  DisarmAtEnd disarm;
  if (!direct) testing_support::ArmFault("wal.open_direct", EINVAL, 1 << 20);
  auto record = [](int i) { return std::string(50 + (i * 977) % 3000, char('a' + i % 26)); };
  std::vector<std::string> crashes;  // directories holding a copy of the log at a commit
  std::vector<std::vector<uint64_t>> undelivered_at;  // what each copy must give back
  std::vector<TempDir> copies(6);
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
    std::vector<uint64_t> pending;
    int copy = 0;
    for (int i = 0; i < 400 && copy < 6; ++i) {
      pending.push_back(h.AppendSync(record(i)));
      if (i == 0 && direct) {
        // The first commit: one frame and its padding, in a file of whole blocks.
        const std::string first = Segments(dir.path()).front();
        EXPECT_EQ(fs::file_size(first) % 4096, 0u);
        EXPECT_GT(fs::file_size(first), FrameSize(record(0).size()));
      }
      // Deliver all but the last few every 20 records, so whole segments are reused.
      if (i % 20 == 19) {
        std::vector<uint64_t> done(pending.begin(), pending.end() - 3);
        ASSERT_TRUE(h.wal->MarkDelivered(done).ok());
        pending.erase(pending.begin(), pending.end() - 3);
      }
      // Copies taken at commits in reused segments (and one before any reuse).
      bool reused = false;
      for (const auto& e : fs::directory_iterator(dir.path())) {
        reused |= e.path().filename().string().rfind("recycled-", 0) == 0;
      }
      if ((i == 7 || (reused && i % 37 == 0)) && copy < 6) {
        for (const std::string& path : Segments(dir.path())) {
          fs::copy_file(path, copies[copy].path() + "/" + fs::path(path).filename().string());
        }
        if (fs::exists(dir.path() + "/checkpoint")) {
          fs::copy_file(dir.path() + "/checkpoint", copies[copy].path() + "/checkpoint");
        }
        crashes.push_back(copies[copy].path());
        undelivered_at.push_back(pending);
        ++copy;
      }
    }
  }
  ASSERT_GE(crashes.size(), 3u);
  for (size_t c = 0; c < crashes.size(); ++c) {
    WarningCapture warnings;
    Harness h(crashes[c], *FsyncPolicy::Parse("always"), kSegment);
    std::vector<uint64_t> got;
    for (const WalRecord& r : h.recovered) got.push_back(r.seq);
    EXPECT_EQ(got, undelivered_at[c]) << "copy " << c;
    EXPECT_EQ(h.AppendSync("next"), undelivered_at[c].back() + 1) << "copy " << c;
    EXPECT_EQ(warnings.text(), "") << "copy " << c;
  }
}

TEST(WalTest, DirectCommitsRecoverQuietlyThroughReusedSegments) {
  ExpectQuietRecoveryThroughReusedSegments(/*direct=*/true);
}

TEST(WalTest, BufferedCommitsRecoverQuietlyThroughReusedSegments) {
  ExpectQuietRecoveryThroughReusedSegments(/*direct=*/false);
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
