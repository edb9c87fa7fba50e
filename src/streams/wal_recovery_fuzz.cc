// libFuzzer target for the write-ahead log's recovery (wal_recovery.cc): after a crash,
// a torn write or a disk's damage, Open must read back whatever a segment holds without
// a crash, and lose only what the damage touched. Each run writes records into a fresh
// log, marks the first ones delivered (the checkpoint), damages the segment and the
// checkpoint as the input says, opens it again and checks that
//   - Open succeeds (damage is set aside and reported, never a server that cannot start);
//   - every record recovered is one that was written, with its bytes, in order;
//   - every undelivered record whose frame the damage left whole, before any cut, is
//     recovered, whatever became of the checkpoint (a damaged one must not hide them);
//   - with the checkpoint whole, no delivered record is recovered.
// Then the log takes a new record after the damage, numbered after those it kept, and
// gives it back on the next Open.
//
// Input: byte 0 the number of records (1..32), byte 1 their sizes' spread, byte 2 how
// many are delivered; then damage in steps of 4 bytes: an operation, a 16-bit offset
// into the segment (the checkpoint for 4 and 5), a value:
//   0 set the byte at the offset to the value;  1 cut the segment at the offset;
//   2 zero `value` bytes from the offset;        3 copy `value` bytes from half the
//                                                  offset to the offset (older frames
//                                                  where newer ones were: a stray write);
//   4 set the checkpoint's byte to the value;   5 cut the checkpoint at the offset.
// Built by scripts/run-fuzz. The logs are made under /dev/shm when there is one.
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/files.h"
#include "base/log.h"
#include "streams/wal.h"
#include "streams/wal_format.h"

namespace {

namespace fs = std::filesystem;
using namespace tributary::streams;

constexpr uint64_t kEpoch = 0x5eed;

std::string Scratch() {
  static const std::string dir = [] {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    return (base / ("wal-recovery-fuzz-" + std::to_string(getpid()))).string();
  }();
  return dir;
}

std::unique_ptr<Wal> OpenLog(const std::string& dir, std::vector<WalRecord>* recovered) {
  WalOptions o;
  o.dir = dir;
  o.epoch = kEpoch;
  o.fsync.mode = FsyncPolicy::Mode::kNever;  // tmpfs: the bytes are what counts
  o.checkpoint_interval_ms = 0;
  auto wal = Wal::Open(std::move(o), recovered);
  if (!wal.ok()) std::abort();  // damage must never keep a log from opening
  return std::move(wal).value();
}

void AppendAndWait(Wal* wal, const std::string& data) {
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  wal->Append(data, 1000, [&](const tributary::Status& s, uint64_t) {
    if (!s.ok()) std::abort();
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
}

std::string SegmentOf(const std::string& dir) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 24 && name.ends_with(".wal") && fs::file_size(e.path()) > 0) {
      if (!found.empty()) std::abort();  // the records fit one segment
      found = e.path().string();
    }
  }
  if (found.empty()) std::abort();
  return found;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Recovery reports what it finds at warn: that is the point here, not worth printing.
  tributary::Logger("streams")->set_level(spdlog::level::off);
  // Made before the handler is registered, so that it is destroyed after the handler runs.
  (void)Scratch();
  std::atexit([] {
    std::error_code ignored;
    fs::remove_all(Scratch(), ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const std::string dir = Scratch();
  fs::remove_all(dir);

  // The records: distinct, 1..~600 bytes.
  const size_t count = 1 + data[0] % 32;
  std::vector<std::string> written;
  for (size_t i = 0; i < count; ++i) {
    std::string record = "record-" + std::to_string(i + 1) + "-";
    record.append((i * 37 + data[1]) % 600, static_cast<char>('a' + i % 26));
    written.push_back(std::move(record));
  }
  const size_t delivered = data[2] % (count + 1);
  {
    std::vector<WalRecord> none;
    auto wal = OpenLog(dir, &none);
    for (const std::string& r : written) AppendAndWait(wal.get(), r);
    std::vector<uint64_t> seqs;
    for (uint64_t seq = 1; seq <= delivered; ++seq) seqs.push_back(seq);
    if (!wal->MarkDelivered(seqs).ok()) std::abort();  // saved before it returns
  }
  const std::string checkpoint_path = dir + "/checkpoint";
  std::string checkpoint;
  if (delivered > 0) {
    auto saved = tributary::ReadFile(checkpoint_path);
    if (!saved.ok()) std::abort();
    checkpoint = std::move(saved).value();
  }
  const std::string segment = SegmentOf(dir);
  auto read = tributary::ReadFile(segment);
  if (!read.ok()) std::abort();
  const std::string original = std::move(read).value();

  // Where each record's frame is, as written.
  struct Span {
    size_t begin, end;
  };
  std::vector<Span> frames(count + 1, Span{0, 0});  // by sequence number
  for (size_t at = 0; at < original.size();) {
    const size_t begin = at;
    WalFrame frame;
    if (DecodeFrame(original, &at, &frame) != DecodeResult::kOk) break;
    if (frame.seq >= 1 && frame.seq <= count) frames[frame.seq] = {begin, at};
  }
  for (size_t seq = 1; seq <= count; ++seq) {
    if (frames[seq].end == 0) std::abort();  // a record written is in the segment
  }

  // The damage.
  std::string damaged = original;
  std::string damaged_checkpoint = checkpoint;
  size_t cut = damaged.size();
  for (size_t i = 3; i + 4 <= size; i += 4) {
    const uint8_t op = data[i] % 6;
    const size_t offset = (size_t{data[i + 1]} << 8 | data[i + 2]) % (damaged.size() + 1);
    const uint8_t value = data[i + 3];
    if (op == 0 && offset < damaged.size()) {
      damaged[offset] = static_cast<char>(value);
    } else if (op == 1) {
      cut = std::min(cut, offset);
    } else if (op == 2) {
      for (size_t k = offset; k < std::min(damaged.size(), offset + value); ++k) damaged[k] = 0;
    } else if (op == 3) {
      const size_t from = offset / 2;
      for (size_t k = 0; k < value && offset + k < damaged.size(); ++k)
        damaged[offset + k] = damaged[from + k];
    } else if (op == 4 && !damaged_checkpoint.empty()) {
      damaged_checkpoint[offset % damaged_checkpoint.size()] = static_cast<char>(value);
    } else if (op == 5 && !checkpoint.empty()) {
      damaged_checkpoint.resize(
          std::min(damaged_checkpoint.size(), offset % (checkpoint.size() + 1)));
    }
  }
  damaged.resize(cut);
  if (!tributary::WriteFileAtomic(segment, damaged).ok()) std::abort();
  const bool checkpoint_whole = damaged_checkpoint == checkpoint;
  if (!checkpoint_whole && !tributary::WriteFileAtomic(checkpoint_path, damaged_checkpoint).ok()) {
    std::abort();
  }

  std::vector<WalRecord> recovered;
  {
    auto wal = OpenLog(dir, &recovered);
    uint64_t last = 0;  // the last sequence number recovered
    for (const WalRecord& r : recovered) {
      if (r.seq <= last || r.seq > count || r.data != written[r.seq - 1]) std::abort();
      last = r.seq;
    }
    size_t next = 0;
    for (size_t seq = 1; seq <= count; ++seq) {
      const Span f = frames[seq];
      const bool whole = f.end <= damaged.size() &&
                         std::string_view(damaged).substr(f.begin, f.end - f.begin) ==
                             std::string_view(original).substr(f.begin, f.end - f.begin);
      while (next < recovered.size() && recovered[next].seq < seq) ++next;
      const bool found = next < recovered.size() && recovered[next].seq == seq;
      if (seq <= delivered) {
        if (found && checkpoint_whole) std::abort();  // delivered, yet delivered again
      } else if (whole && !found) {
        std::abort();  // an undelivered frame the damage left whole was lost
      }
    }
    // The log goes on after the damage: a new record, numbered after every one it kept.
    // (A tail cut off may have its numbers used again: under fsync `always` its records
    // were never acknowledged, and the other policies do not promise to survive the power
    // loss that cuts a tail.)
    AppendAndWait(wal.get(), "after");
    if (wal->last_appended_seq() <= last) std::abort();
  }
  std::vector<WalRecord> again;
  auto wal = OpenLog(dir, &again);
  if (again.empty() || again.back().data != "after") std::abort();
  if (again.size() != recovered.size() + 1) std::abort();
  return 0;
}
