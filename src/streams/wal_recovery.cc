// Wal::Recover: reading a WAL's directory back at Open (wal.h says what is kept, cut,
// copied aside and reported), and the damaged files it sets aside.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/files.h"
#include "base/log.h"
#include "streams/wal.h"
#include "streams/wal_files.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using wal_files::kRecycledPrefix;
using wal_files::kSpareName;
using wal_files::kSpareTmpName;
using wal_files::ParseSegmentName;

// The offset just past the last non-zero byte at or after `from` (`from`: all zero).
size_t EndOfNonZero(std::string_view bytes, size_t from) {
  static constexpr char kZeros[4096] = {};
  size_t end = bytes.size();
  while (end > from) {
    size_t n = std::min(end - from, sizeof kZeros);
    if (std::memcmp(bytes.data() + end - n, kZeros, n) != 0) break;
    end -= n;
  }
  while (end > from && bytes[end - 1] == 0) --end;
  return end;
}

// Damaged files set aside (segments' copies, checkpoints) a log keeps, the newest.
constexpr size_t kAsideFilesKept = 8;

// Where a damaged `path` is set aside: `<path>.corrupt`, or if one of its copies is
// there, `.corrupt.<n>` numbered past the highest (so that none set aside earlier is
// overwritten, and the numbers say which came last even after older ones are pruned).
std::string AsidePath(const std::string& path) {
  const std::string stem = fs::path(path).filename().string() + ".corrupt";
  long highest = -1;  // none; 0: "<stem>" itself
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name == stem) {
      highest = std::max(highest, 0L);
    } else if (name.size() > stem.size() + 1 && name.compare(0, stem.size() + 1, stem + ".") == 0) {
      highest = std::max(highest, std::strtol(name.c_str() + stem.size() + 1, nullptr, 10));
    }
  }
  return highest < 0 ? path + ".corrupt" : fmt::format("{}.corrupt.{}", path, highest + 1);
}

// Deletes all but the newest kAsideFilesKept files set aside in `dir`, so that damage
// that keeps coming back does not fill the disk.
void PruneAsideFiles(const std::string& dir) {
  std::vector<std::pair<fs::file_time_type, fs::path>> aside;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().find(".corrupt") == std::string::npos) continue;
    aside.emplace_back(entry.last_write_time(ec), entry.path());
  }
  if (aside.size() <= kAsideFilesKept) return;
  std::sort(aside.begin(), aside.end());
  for (size_t i = 0; i + kAsideFilesKept < aside.size(); ++i) {
    fs::remove(aside[i].second, ec);
    Logger("streams")->warn(
        "WAL damaged file set aside earlier deleted (only the newest {} are kept) file={}",
        kAsideFilesKept, aside[i].second.string());
  }
}

// Copies a damaged segment aside (AsidePath) before recovery changes it; returns the
// copy's path, "" (logged) if it could not be made.
std::string CopyAside(const std::string& path) {
  std::string copy = AsidePath(path);
  std::error_code ec;
  if (!fs::copy_file(path, copy, fs::copy_options::none, ec)) {
    Logger("streams")->error("WAL damaged segment not copied aside file={} to={} error=\"{}\"",
                             path, copy, ec.message());
    return "";
  }
  PruneAsideFiles(fs::path(path).parent_path().string());
  return copy;
}

}  // namespace

bool Wal::HoldsNothing(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    uint64_t first = 0;
    const std::string name = entry.path().filename().string();
    if (name == "checkpoint" || ParseSegmentName(name, &first)) return false;
  }
  // A directory that cannot be listed (other than missing) is not taken for empty: Open
  // reports the error.
  return !ec || ec == std::errc::no_such_file_or_directory;
}

Status Wal::Recover(std::vector<WalRecord>* undelivered) {
  auto log = Logger("streams");
  TRY(MakeDirs(options_.dir));
  const std::string checkpoint_path = options_.dir + "/checkpoint";
  auto checkpoint = WalCheckpoint::Load(checkpoint_path);
  if (checkpoint.ok()) {
    checkpoint_ = std::move(checkpoint).value();
  } else if (checkpoint.status().code() == ErrorCode::kDataLoss) {
    // One stream's unreadable checkpoint must not keep the server (and every other
    // stream) down. Without it every record the log holds is delivered again: duplicates,
    // which record ids let later stages drop, rather than losses.
    // The problem is shown to API clients: it names the file, not the server's directory.
    const std::string aside = AsidePath(checkpoint_path);
    std::error_code rename_ec;
    fs::rename(checkpoint_path, aside, rename_ec);
    if (!rename_ec) PruneAsideFiles(options_.dir);
    std::string problem = fmt::format(
        "the WAL's checkpoint did not read back; {} and started with an empty checkpoint: every "
        "record in the WAL is delivered again",
        rename_ec ? fmt::format("not renamed ({})", rename_ec.message())
                  : "renamed to " + fs::path(aside).filename().string());
    log->error("{}: {}", checkpoint.status().message(), problem);
    recovery_.checkpoint_reset = true;
    recovery_.problems.push_back(std::move(problem));
  } else {
    return checkpoint.status();
  }
  // A spare left by a crash may be half filled; a new one is made when needed.
  for (const char* name : {kSpareName, kSpareTmpName}) {
    std::error_code ec;
    std::string path = options_.dir + "/" + name;
    if (!fs::remove(path, ec) && ec) {
      log->warn("WAL spare segment not deleted file={} error=\"{}\"", path, ec.message());
    }
  }

  std::vector<std::pair<uint64_t, std::string>> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    uint64_t first = 0;
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file()) continue;
    if (ParseSegmentName(name, &first)) {
      files.emplace_back(first, entry.path().string());
    } else if (name.rfind(kRecycledPrefix, 0) == 0) {
      // Delivered segments kept for reuse; the pool starts empty.
      std::error_code remove_ec;
      fs::remove(entry.path(), remove_ec);
    }
  }
  if (ec) return IoError(fmt::format("WAL {}: list: {}", options_.dir, ec.message()));
  std::sort(files.begin(), files.end());

  // A number the checkpoint counts as delivered is never handed out again, even one above
  // every frame on disk (a refused commit's).
  uint64_t max_seq = checkpoint_.highest_delivered();
  for (const auto& [first, path] : files) {
    // A segment is named after the first number it was to hold: every number below it was
    // handed out. With the checkpoint lost and the segments of delivered records gone,
    // the names are what keeps a new record from taking an old one's number (its id).
    if (first > 0) max_seq = std::max(max_seq, first - 1);
    TRY_ASSIGN(std::string bytes, ReadFile(path));
    size_t offset = 0;
    size_t records = 0;
    uint64_t last_seq = first > 0 ? first - 1 : 0;
    WalFrame frame;
    DecodeResult r;
    bool recycled_tail = false;
    // Damaged stretches skipped in the middle of the segment: [start, end) byte ranges.
    std::vector<std::pair<size_t, size_t>> skipped;
    std::vector<std::string> skip_notes;
    while (true) {
      const size_t at = offset;
      r = DecodeFrame(bytes, &offset, &frame);
      if (r == DecodeResult::kEnd) break;
      if (r != DecodeResult::kOk) {
        // Only zeros after it: the unwritten end of a preallocated segment (below).
        if (EndOfNonZero(bytes, at) == at) break;
        // Damage: a flipped bit, a torn write. If a later frame continues the segment's
        // sequence, the damage is in the middle: its frames are lost, those after it are
        // intact and acknowledged, and are kept. Else it runs to the end: a tail (below).
        const size_t next = FindNextFrame(bytes, at, last_seq, &frame);
        if (next == std::string_view::npos) break;
        uint64_t lost = 0;
        for (uint64_t seq = last_seq + 1; seq < frame.seq; ++seq) {
          if (!checkpoint_.IsDelivered(seq)) ++lost;
        }
        skipped.emplace_back(at, next);
        skip_notes.push_back(
            fmt::format("offset {} ({}, {} bytes): {} undelivered record(s) of "
                        "#{}..#{} lost",
                        at, DecodeResultName(r), next - at, lost, last_seq + 1, frame.seq - 1));
        recovery_.records_lost += lost;
        recovery_.damaged_stretches += 1;
        offset = next;
        continue;
      }
      // Sequence numbers rise through a segment from its name's. An older frame is what a
      // recycled segment held before: the end of this one's records.
      if (frame.seq < first || (records > 0 && frame.seq <= last_seq)) {
        offset = at;
        recycled_tail = true;
        break;
      }
      ++records;
      last_seq = frame.seq;
      max_seq = std::max(max_seq, frame.seq);
      if (!checkpoint_.IsDelivered(frame.seq)) {
        undelivered->push_back({frame.seq, frame.arrival_ms, std::string(frame.data)});
      }
    }
    bool damaged_tail = false;
    if (recycled_tail) {
      log->debug("WAL recycled tail cut off file={} offset={} bytes={}", path, offset,
                 bytes.size() - offset);
    } else if (r != DecodeResult::kEnd) {
      size_t damaged_end = EndOfNonZero(bytes, offset);
      if (damaged_end == offset) {
        // Only zeros: the unwritten rest of a preallocated segment. Nothing was lost.
        log->debug("WAL preallocated tail cut off file={} offset={} bytes={}", path, offset,
                   bytes.size() - offset);
      } else {
        // A crash mid-write leaves a short tail or one with zeros where pages were not
        // written; no frame of the segment's sequence follows it, so the rest is cut off.
        damaged_tail = true;
        log->warn("WAL tail cut off file={} offset={} reason=\"{}\" bytes_dropped={}", path, offset,
                  DecodeResultName(r), bytes.size() - offset);
        // The cut bytes may have held acknowledged records whose ids someone has seen: skip
        // as many sequence numbers as frames could have fitted up to the last non-zero
        // byte, so no id is ever reused.
        uint64_t could_hold = (damaged_end - offset) / (kFrameHeaderBytes + kFrameFixedBodyBytes);
        max_seq = std::max(max_seq, last_seq + could_hold + 1);
      }
    }
    // Problems name the segment by its file name: they are shown to API clients, who have
    // no business with the server's directories (the log has the whole path).
    const std::string segment_name = fs::path(path).filename().string();
    if (!skipped.empty()) {
      // The damaged file as it was, for whoever wants to look at it or salvage from it. (A
      // damaged tail, what a crash mid-write leaves, is cut without a copy, as always.)
      std::string copy = CopyAside(path);
      std::string where = fmt::format(
          "WAL {}: damaged frames skipped at recovery at {}; the segment as found is in {}",
          segment_name, fmt::join(skip_notes, "; "),
          copy.empty() ? "(not copied)" : fs::path(copy).filename().string());
      log->error("{} (file={})", where, path);
      recovery_.problems.push_back(std::move(where));
    }
    if (damaged_tail) {
      recovery_.problems.push_back(
          fmt::format("WAL {}: damaged tail cut off at recovery at offset {} ({} bytes)",
                      segment_name, offset, bytes.size() - offset));
    }
    if (!skipped.empty()) {
      // The segment is rewritten without the damage, so that the next recovery reads it
      // cleanly (it is never appended to again: Open starts a new segment).
      std::string kept;
      kept.reserve(offset);
      size_t from = 0;
      for (const auto& [bad_start, bad_end] : skipped) {
        kept.append(bytes, from, bad_start - from);
        from = bad_end;
      }
      kept.append(bytes, from, offset - from);
      TRY(WriteFileAtomic(path, kept).WithContext("WAL segment without its damaged frames"));
      offset = kept.size();
    } else if (offset < bytes.size() && ::truncate(path.c_str(), static_cast<off_t>(offset)) != 0) {
      return IoError(fmt::format("WAL {}: truncate to {}: {}", path, offset, std::strerror(errno)));
    }
    if (records == 0) {
      fs::remove(path, ec);
      continue;
    }
    segments_.push_back({first, path, offset});
  }
  std::sort(undelivered->begin(), undelivered->end(),
            [](const WalRecord& a, const WalRecord& b) { return a.seq < b.seq; });
  next_seq_ = max_seq + 1;
  // A number below next_seq_ that no frame holds and the checkpoint lacks will never be
  // delivered: one skipped past a damaged tail, one of a refused commit whose checkpoint
  // was not saved. Counted as delivered, so that the watermark passes them (else it would
  // stop below them for good: no segment trimmed again, no flush ever complete).
  uint64_t from = checkpoint_.delivered_through() + 1;
  bool gaps = false;
  auto mark_gap = [&](uint64_t below) {
    if (from < below) {
      checkpoint_.MarkDeliveredRange(from, below - 1);
      gaps = true;
    }
  };
  for (const WalRecord& r : *undelivered) {
    mark_gap(r.seq);
    from = r.seq + 1;
  }
  mark_gap(next_seq_);
  if (gaps) TRY(checkpoint_.Save(options_.dir + "/checkpoint").WithContext("WAL checkpoint"));
  std::lock_guard<std::mutex> lock(state_mu_);
  RemoveSegmentFiles(TakeDeliveredSegmentsLocked(checkpoint_.delivered_through()));
  return Status::Ok();
}

}  // namespace tributary::streams
