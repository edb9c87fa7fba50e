#include "streams/wal.h"

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "base/completion_batch.h"
#include "base/files.h"
#include "base/log.h"
#include "base/testing/temp_dir.h"
#include "base/thread_name.h"
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

  explicit Harness(const std::string& dir, FsyncPolicy fsync = {}, uint64_t segment = 1 << 20,
                   uint64_t reuse = 128ull << 20) {
    WalOptions o;
    o.dir = dir;
    o.epoch = 0xabc;
    o.fsync = fsync;
    o.segment_bytes = segment;
    o.reuse_bytes = reuse;
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

// The segment files in `dir` (not spares), in sequence order.
std::vector<std::string> Segments(const std::string& dir) {
  static const std::regex kSegmentName("[0-9]{20}\\.wal");
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (std::regex_match(e.path().filename().string(), kSegmentName)) {
      segments.push_back(e.path().string());
    }
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

std::string OnlySegment(const std::string& dir) {
  std::vector<std::string> segments;
  for (const std::string& s : Segments(dir)) {
    if (fs::file_size(s) > 0) segments.push_back(s);
  }
  EXPECT_EQ(segments.size(), 1u);
  return segments.empty() ? "" : segments[0];
}

// Collects what the "streams" logger says at warn or above while it lives.
class WarningCapture {
 public:
  WarningCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    sink_->set_level(spdlog::level::warn);
    Logger("streams")->sinks().push_back(sink_);
  }
  ~WarningCapture() {
    auto& sinks = Logger("streams")->sinks();
    sinks.erase(std::find(sinks.begin(), sinks.end(), sink_));
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

bool WaitForFile(const std::string& path) {
  for (int i = 0; i < 10000; ++i) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Segments on tmpfs are not preallocated (it would only take RAM).
bool OnTmpfs(const std::string& dir) {
  struct statfs st {};
  return ::statfs(dir.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
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

// With small segments and `always`, every segment after the first is a spare made while
// its predecessor filled: full size on disk, blocks allocated, from its first record.
TEST(WalTest, LaterSegmentsArePreallocatedAndRecover) {
  constexpr uint64_t kSegment = 64 << 10;
  auto record = [](int i) { return std::string(3993, 'r') + std::to_string(1000000 + i); };
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
  const std::string spare = dir.path() + "/spare.wal";
  std::vector<uint64_t> seqs;
  int preallocated = 0;
  uint64_t active_bytes = 0;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
    uint64_t earlier_segments = 0;  // logical bytes of the segments before the active one
    for (int i = 0; i < 90; ++i) {
      uint64_t bytes = h.wal->size_bytes();
      size_t count = h.wal->segment_count();
      // Past half, the spare is on its way; wait for it so the switch does not race it.
      if (bytes - earlier_segments > kSegment / 2) {
        ASSERT_TRUE(WaitForFile(spare)) << "no spare before record " << i;
      }
      seqs.push_back(h.AppendSync(record(i)));
      if (h.wal->segment_count() == count) continue;
      ASSERT_EQ(h.wal->segment_count(), count + 1);
      earlier_segments = bytes;
      EXPECT_FALSE(fs::exists(spare));  // it became the new segment
      std::string newest = Segments(dir.path()).back();
      struct stat st = Stat(newest);
      EXPECT_EQ(h.wal->size_bytes() - earlier_segments, FrameSize(4000));
      EXPECT_EQ(uint64_t(st.st_size), kSegment) << newest;
      EXPECT_GE(uint64_t(st.st_blocks) * 512, kSegment) << newest << ": blocks not allocated";
      ++preallocated;
    }
    EXPECT_GE(preallocated, 4);
    EXPECT_EQ(h.wal->size_bytes(), seqs.size() * FrameSize(4000));
    active_bytes = h.wal->size_bytes() - earlier_segments;
  }
  ASSERT_EQ(Segments(dir.path()).size(), size_t(preallocated + 1));
  // The active segment is cut to its frames on close.
  EXPECT_EQ(fs::file_size(Segments(dir.path()).back()), active_bytes);
  // A crash may leave a spare, whole or half filled: Open deletes it.
  ASSERT_TRUE(WriteFileAtomic(spare, std::string(8192, 'x')).ok());
  ASSERT_TRUE(WriteFileAtomic(spare + ".tmp", std::string(4096, '\0')).ok());
  WarningCapture warnings;
  Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
  EXPECT_FALSE(fs::exists(spare));
  EXPECT_FALSE(fs::exists(spare + ".tmp"));
  ASSERT_EQ(h.recovered.size(), seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_EQ(h.recovered[i].seq, seqs[i]);
    EXPECT_EQ(h.recovered[i].data, record(int(i)));
  }
  EXPECT_EQ(h.AppendSync("next"), seqs.back() + 1);
  EXPECT_EQ(warnings.text(), "");
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

// A delivered whole segment is kept and becomes a later segment (no zero fill): the same
// file, by its inode, is later the active segment, and a crash with its old frames behind the new ones
// recovers exactly the new ones.
TEST(WalTest, ADeliveredSegmentIsReusedAsALaterOne) {
  constexpr uint64_t kSegment = 64 << 10;
  auto record = [](int i) { return std::string(3993, 'r') + std::to_string(1000000 + i); };
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
  const std::string spare = dir.path() + "/spare.wal";
  TempDir crash_copy;
  std::vector<uint64_t> undelivered;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
    // Fill the first segment; the switch takes the zero-filled spare made at half.
    std::vector<uint64_t> seqs;
    int i = 0;
    while (h.wal->segment_count() < 2) {
      if (h.wal->size_bytes() > kSegment / 2) {
        ASSERT_TRUE(WaitForFile(spare));
      }
      seqs.push_back(h.AppendSync(record(i++)));
    }
    ASSERT_FALSE(fs::exists(spare));  // taken; the new segment is not yet half full
    const std::string first = Segments(dir.path()).front();
    const ino_t first_inode = Stat(first).st_ino;
    // Every record of the first segment delivered (the last one opened the second): the
    // first segment is kept for reuse.
    undelivered.push_back(seqs.back());
    seqs.pop_back();
    ASSERT_TRUE(h.wal->MarkDelivered(seqs).ok());
    EXPECT_FALSE(fs::exists(first));
    const std::string kept = dir.path() + "/recycled-" + fs::path(first).filename().string();
    ASSERT_TRUE(fs::exists(kept));
    EXPECT_EQ(Stat(kept).st_ino, first_inode);
    // The next switch takes it; no zero fill is asked for on the way.
    ASSERT_EQ(h.wal->segment_count(), 1u);
    while (h.wal->segment_count() < 2) undelivered.push_back(h.AppendSync(record(i++)));
    EXPECT_FALSE(fs::exists(spare));
    EXPECT_FALSE(fs::exists(spare + ".tmp"));
    EXPECT_FALSE(fs::exists(kept));
    const std::string newest = Segments(dir.path()).back();
    EXPECT_EQ(Stat(newest).st_ino, first_inode) << newest;

    undelivered.push_back(h.AppendSync(record(i++)));
    // What a crash now leaves: the recycled segment's new frames, then its old ones.
    for (const std::string& path : Segments(dir.path())) {
      fs::copy_file(path, crash_copy.path() + "/" + fs::path(path).filename().string());
    }
    fs::copy_file(dir.path() + "/checkpoint", crash_copy.path() + "/checkpoint");
    EXPECT_GE(fs::file_size(newest), kSegment);
  }
  WarningCapture warnings;
  Harness h(crash_copy.path(), *FsyncPolicy::Parse("always"), kSegment);
  ASSERT_EQ(h.recovered.size(), undelivered.size());
  for (size_t k = 0; k < undelivered.size(); ++k) EXPECT_EQ(h.recovered[k].seq, undelivered[k]);
  EXPECT_EQ(h.AppendSync("next"), undelivered.back() + 1);
  EXPECT_EQ(warnings.text(), "");
}

// Under `always` commits are direct (O_DIRECT) on a file system that takes it: a segment
// holds whole blocks, its frames then a padding frame (sequence number 0) to the block's
// end. Records of mixed sizes through reused segments, whose old frames lie at other
// offsets than the new ones: a crash at any commit recovers exactly the records not
// delivered, with no warning and no sequence number skipped.
TEST(WalTest, DirectCommitsRecoverQuietlyThroughReusedSegments) {
  constexpr uint64_t kSegment = 64 << 10;
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
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
      if (i == 0) {
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

// A lone caller appending one record at a time is never held by the commit delay: three
// appends in a row, each waiting for its acknowledgement, with a 2 s delay, take far
// less than one delay.
TEST(WalTest, TheCommitDelayDoesNotHoldALoneCaller) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.commit_delay_us = 2'000'000;
  std::vector<WalRecord> recovered;
  auto wal = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    std::promise<Status> p;
    (*wal)->Append("one at a time", 1, [&](const Status& s, uint64_t) { p.set_value(s); });
    EXPECT_TRUE(p.get_future().get().ok());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// Polls `done` every millisecond for up to `timeout_ms`.
bool WaitUntil(const std::function<bool()>& done, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; ++waited) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

// A WAL whose commits are timed by its on_durable hook, which also sleeps `sleep_ms`
// after a commit of more than one record (a costly commit); the callers'
// acknowledgements are counted.
struct TimedCommits {
  std::mutex mu;
  std::vector<std::pair<std::chrono::steady_clock::time_point, size_t>> commits;
  std::atomic<size_t> acked{0};
  size_t appended = 0;
  std::unique_ptr<Wal> wal;

  TimedCommits(WalOptions o, int sleep_ms) {
    o.on_durable = [this, sleep_ms](const std::vector<WalFrame>& frames) {
      {
        std::lock_guard<std::mutex> lock(mu);
        commits.emplace_back(std::chrono::steady_clock::now(), frames.size());
      }
      if (frames.size() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    };
    std::vector<WalRecord> recovered;
    auto opened = Wal::Open(std::move(o), &recovered);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) wal = std::move(opened).value();
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return commits.size();
  }
  Wal::DoneFn Ack() {
    return [this](const Status& s, uint64_t) {
      EXPECT_TRUE(s.ok());
      ++acked;
    };
  }
  // A commit of `n` records, then one record, which waits for the delay the n earn; the
  // time between the two commits in ms (-1 if they did not come).
  int64_t BurstThenOne(size_t n) {
    std::string data(n, 'r');
    std::vector<Wal::Entry> entries;
    for (size_t i = 0; i < n; ++i) entries.push_back({i, 1, 1, Ack()});
    size_t before = Count();
    wal->AppendAll(data, entries);
    if (!WaitUntil([&] { return Count() == before + 1; }, 5000)) return -1;
    wal->Append("next", 1, Ack());
    if (!WaitUntil([&] { return Count() == before + 2; }, 5000)) return -1;
    appended += n + 1;
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(commits[before].second, n);
    EXPECT_EQ(commits[before + 1].second, 1u);
    return std::chrono::duration_cast<std::chrono::milliseconds>(commits[before + 1].first -
                                                                 commits[before].first)
        .count();
  }
  bool AllAcked() { return WaitUntil([&] { return acked.load() == appended; }, 5000); }
};

// After a commit of several records the next one waits `commit_delay_per_record_ns` per
// record it held, at most `commit_delay_us`, from its start, and takes what arrived
// meanwhile. Here 1 ms a record with a cap of 400 ms: 20 records hold the next commit
// about 20 ms, 200 records about 200 ms, and 2,000 records the cap (not 2 s).
TEST(WalTest, TheWaitGrowsWithTheLastCommitUpToTheCap) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.commit_delay_us = 400'000;
  o.commit_delay_per_record_ns = 1'000'000;
  o.commit_delay_max_commits = 1'000'000;  // commits here are quick: not the limit
  TimedCommits t(std::move(o), 0);
  ASSERT_TRUE(t.wal);
  int64_t gap20 = t.BurstThenOne(20);
  int64_t gap200 = t.BurstThenOne(200);
  int64_t gap2000 = t.BurstThenOne(2000);
  ASSERT_TRUE(t.AllAcked());
  EXPECT_GE(gap20, 15);
  EXPECT_LT(gap20, 150);  // a fixed delay would be the cap, 400 ms
  EXPECT_GE(gap200, 190);
  EXPECT_LT(gap200, 380);
  EXPECT_GE(gap2000, 390);
  EXPECT_LT(gap2000, 1500);  // uncapped it would be 2 s
}

// A cheap commit is not followed by a long wait: no longer than
// `commit_delay_max_commits` times what it kept the writer busy. Here a commit of 500
// records would earn 500 ms (1 ms a record, cap 1 s), but it kept the writer busy about
// 20 ms (its hook sleeps), so the next one comes about 60 ms after it.
TEST(WalTest, TheWaitIsBoundedByWhatTheLastCommitCost) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.commit_delay_us = 1'000'000;
  o.commit_delay_per_record_ns = 1'000'000;
  o.commit_delay_max_commits = 3;
  TimedCommits t(std::move(o), 20);
  ASSERT_TRUE(t.wal);
  int64_t gap = t.BurstThenOne(500);
  ASSERT_TRUE(t.AllAcked());
  EXPECT_GE(gap, 50);
  EXPECT_LT(gap, 300) << "without the bound: 500 ms";
}

// The delay counts from the start of the last commit: after one that took longer than
// the delay (a slow disk; here its hook sleeps), the next starts at once instead of
// leaving the disk idle for another delay.
TEST(WalTest, ACommitSlowerThanTheDelayIsFollowedAtOnce) {
  TempDir dir;
  constexpr auto kDelay = std::chrono::milliseconds(200);
  constexpr auto kCommit = std::chrono::milliseconds(300);
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> commits;
  WalOptions o;
  o.dir = dir.path();
  o.commit_delay_us = std::chrono::duration_cast<std::chrono::microseconds>(kDelay).count();
  o.commit_delay_per_record_ns = 1'000'000'000;  // ten records earn the whole delay
  o.on_durable = [&](const std::vector<WalFrame>&) {
    {
      std::lock_guard<std::mutex> lock(mu);
      commits.push_back(std::chrono::steady_clock::now());
    }
    std::this_thread::sleep_for(kCommit);
  };
  std::vector<WalRecord> recovered;
  auto opened = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Wal> wal = std::move(opened).value();
  std::atomic<int> acked{0};
  auto append_ten = [&] {
    std::string data(10, 'r');
    std::vector<Wal::Entry> entries;
    for (size_t i = 0; i < 10; ++i) {
      entries.push_back({i, 1, 1, [&](const Status& s, uint64_t) {
                           EXPECT_TRUE(s.ok());
                           ++acked;
                         }});
    }
    wal->AppendAll(data, entries);
  };
  append_ten();  // one commit of ten: the next one is delayed
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !commits.empty();
  }, 5000));
  append_ten();  // queued while the first commit is still under way
  ASSERT_TRUE(WaitUntil([&] { return acked.load() == 20; }, 5000));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(commits.size(), 2u);
  auto gap = commits[1] - commits[0];
  EXPECT_GE(gap, kCommit);
  // Counted from the end of the first commit, the second would start kCommit + kDelay
  // (500 ms) after the first.
  EXPECT_LT(gap, kCommit + kDelay * 3 / 4)
      << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms";
}

// on_batch_done learns each commit's records, their bytes and how long writing and
// syncing took.
TEST(WalTest, EachCommitReportsItsRecordsBytesAndDuration) {
  TempDir dir;
  std::mutex mu;
  std::vector<WalBatchDone> done;
  WalOptions o;
  o.dir = dir.path();
  o.fsync = *FsyncPolicy::Parse("always");
  o.on_batch_done = [&](const Status& s, const WalBatchDone& b) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(b);
  };
  std::vector<WalRecord> recovered;
  auto opened = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Wal> wal = std::move(opened).value();
  std::atomic<int> acked{0};
  std::string data(30, 'r');
  std::vector<Wal::Entry> entries;
  for (size_t i = 0; i < 10; ++i) {
    entries.push_back({i * 3, 3, 1, [&](const Status&, uint64_t) { ++acked; }});
  }
  wal->AppendAll(data, entries);
  ASSERT_TRUE(WaitUntil([&] { return acked.load() == 10; }, 5000));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].records, 10u);
  EXPECT_EQ(done[0].bytes, 30u);
  EXPECT_GT(done[0].commit_ns, 0);
  EXPECT_LT(done[0].commit_ns, 5'000'000'000);
}

// Delivered segments are kept up to `reuse_bytes` (at least two); the others are
// deleted, and none outlives the log: closed, it removes them, and Open removes any a
// crash left.
TEST(WalTest, DeliveredSegmentsAreKeptUpToReuseBytes) {
  constexpr uint64_t kSegment = 64 << 10;
  auto kept = [](const std::string& dir) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().rfind("recycled-", 0) == 0;
    return n;
  };
  // Five delivered: two at least, three as 3 segments' worth allows, all five.
  for (auto [reuse, want] : {std::pair<uint64_t, size_t>{0, 2}, {3 * kSegment, 3}, {100 * kSegment, 5}}) {
    TempDir dir;
    if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
    {
      Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment, reuse);
      std::vector<uint64_t> seqs;
      while (h.wal->segment_count() < 6) seqs.push_back(h.AppendSync(std::string(4000, 'k')));
      seqs.pop_back();  // in the active segment
      ASSERT_TRUE(h.wal->MarkDelivered(seqs).ok());
      EXPECT_EQ(h.wal->segment_count(), 1u);
      EXPECT_EQ(kept(dir.path()), want) << reuse;
      EXPECT_EQ(Segments(dir.path()).size(), 1u);
    }
    EXPECT_EQ(kept(dir.path()), 0u);
    ASSERT_TRUE(WriteFileAtomic(dir.path() + "/recycled-00000000000000000001.wal", std::string(4096, 'x')).ok());
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment, reuse);
    EXPECT_EQ(kept(dir.path()), 0u);
    EXPECT_EQ(h.recovered.size(), 1u);
  }
}

// Under the other policies an fdatasync is rare or never: no spare, segments as long as
// their frames.
TEST(WalTest, OnlyAlwaysPreallocates) {
  for (const char* policy : {"interval:20", "never"}) {
    TempDir dir;
    Harness h(dir.path(), *FsyncPolicy::Parse(policy), 16 << 10);
    for (int i = 0; i < 40; ++i) h.AppendSync(std::string(1000, 'n'));
    EXPECT_GT(h.wal->segment_count(), 2u) << policy;
    EXPECT_FALSE(fs::exists(dir.path() + "/spare.wal")) << policy;
    EXPECT_FALSE(fs::exists(dir.path() + "/spare.wal.tmp")) << policy;
    uint64_t on_disk = 0;
    for (const std::string& s : Segments(dir.path())) on_disk += fs::file_size(s);
    EXPECT_EQ(on_disk, h.wal->size_bytes()) << policy;
  }
}

TEST(WalTest, ItsThreadsAreNamedAfterTheStream) {
  TempDir dir;
  std::string stream_dir = dir.path() + "/telemetry";
  Harness h(stream_dir);
  std::string seen;
  h.wal->Append("x", 1, [&](const Status&, uint64_t) { seen = ThreadName(); });
  h.wal.reset();  // completes what was queued, then stops the writer
  EXPECT_EQ(seen, "wal:telemetry");
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

// A batch from AppendAll takes consecutive sequence numbers, in its order, even while other
// threads append one record at a time; each record is its own slice of the shared buffer.
TEST(WalTest, AppendAllQueuesItsRecordsTogetherInOrder) {
  TempDir dir;
  Harness h(dir.path());
  constexpr int kBatches = 100, kPerBatch = 7;
  std::atomic<bool> stop{false};
  std::thread single([&] {
    while (!stop.load()) h.wal->Append("single", 1, [](const Status&, uint64_t) {});
  });
  std::mutex mu;
  std::map<std::string, uint64_t> seq_of;  // "<batch>:<i>" -> its sequence number
  for (int b = 0; b < kBatches; ++b) {
    std::string data;
    std::vector<Wal::Entry> entries;
    for (int i = 0; i < kPerBatch; ++i) {
      std::string rec = std::to_string(b) + ":" + std::to_string(i);
      entries.push_back({data.size(), rec.size(), 100 + i, [&, rec](const Status& s, uint64_t seq) {
                           EXPECT_TRUE(s.ok()) << s.ToString();
                           std::lock_guard<std::mutex> lock(mu);
                           seq_of[rec] = seq;
                         }});
      data += rec;
      data += "junk between the records";
    }
    h.wal->AppendAll(data, entries);
  }
  stop = true;
  single.join();
  h.wal.reset();  // drains the queue
  ASSERT_EQ(seq_of.size(), size_t(kBatches * kPerBatch));
  std::map<uint64_t, WalRecord> durable;
  for (const WalRecord& r : h.durable) durable[r.seq] = r;
  for (int b = 0; b < kBatches; ++b) {
    uint64_t first = seq_of[std::to_string(b) + ":0"];
    for (int i = 0; i < kPerBatch; ++i) {
      std::string rec = std::to_string(b) + ":" + std::to_string(i);
      EXPECT_EQ(seq_of[rec], first + i) << rec << ": not consecutive";
      ASSERT_EQ(durable.count(first + i), 1u);
      EXPECT_EQ(durable[first + i].data, rec);
      EXPECT_EQ(durable[first + i].arrival_ms, 100 + i);
    }
  }
  Harness again(dir.path());
  EXPECT_EQ(again.recovered.size(), h.durable.size());
}

// What the callers' `done` post to another thread (a connection's PUBACKs to its I/O
// thread) leaves the writer in one post per destination and commit, not one per record.
TEST(WalTest, WhatTheCallersPostGoesOncePerCommit) {
  TempDir dir;
  std::atomic<int> batches{0};
  WalOptions o;
  o.dir = dir.path();
  o.fsync = *FsyncPolicy::Parse("always");
  o.on_batch_done = [&](const Status&, const WalBatchDone&) { ++batches; };
  std::vector<WalRecord> recovered;
  auto wal = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  struct Destination {
    std::mutex mu;
    int posts = 0;
    int tasks = 0;
  } destination;
  auto post = [](void* key, CompletionBatch::Task run) {
    auto* d = static_cast<Destination*>(key);
    {
      std::lock_guard<std::mutex> lock(d->mu);
      ++d->posts;
    }
    run();  // a real destination runs it later, on its own thread
  };
  constexpr int kRecords = 2000;
  for (int i = 0; i < kRecords; ++i) {
    (*wal)->Append("record " + std::to_string(i), 1, [&](const Status&, uint64_t) {
      CompletionBatch::Post(&destination, post, [&] {
        std::lock_guard<std::mutex> lock(destination.mu);
        ++destination.tasks;
      });
    });
  }
  wal->reset();  // drains the queue
  EXPECT_EQ(destination.tasks, kRecords);
  EXPECT_LT(batches.load(), kRecords) << "every record committed alone: nothing to batch";
  EXPECT_EQ(destination.posts, batches.load());
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
