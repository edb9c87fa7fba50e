// Test-only helpers shared by the WAL's tests (wal_*_test.cc): a harness that opens a
// WAL and collects what it hands on, the segment files of a directory, a capture of the
// "streams" logger's warnings, and small waits.
#pragma once

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "streams/wal.h"
#include "streams/wal_format.h"

namespace tributary::streams::testing {

namespace fs = std::filesystem;

// Opens a WAL in `dir`, collecting what it hands to on_durable.
struct Harness {
  std::unique_ptr<Wal> wal;
  std::vector<WalRecord> recovered;
  std::mutex mu;
  std::vector<WalRecord> durable;

  explicit Harness(const std::string& dir, FsyncPolicy fsync = {}, uint64_t segment = 1 << 20,
                   uint64_t reuse = 128ull << 20,
                   std::shared_ptr<WalReuseBudget> reuse_budget = nullptr) {
    WalOptions o;
    o.dir = dir;
    o.epoch = 0xabc;
    o.fsync = fsync;
    o.segment_bytes = segment;
    o.reuse_bytes = reuse;
    o.reuse_budget = std::move(reuse_budget);
    // Each MarkDelivered saves before it returns, so these tests see the saved checkpoint
    // and the segments it lets go at once (wal_checkpoint_test.cc tests coalesced saves).
    o.checkpoint_interval_ms = 0;
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

inline std::vector<std::string> Data(const std::vector<WalRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.data);
  return out;
}

// The segment files in `dir` (not spares), in sequence order.
inline std::vector<std::string> Segments(const std::string& dir) {
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

inline std::string OnlySegment(const std::string& dir) {
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
  WarningCapture() : capture_("streams", spdlog::level::warn) {}
  std::string text() const { return capture_.text(); }

 private:
  LogCapture capture_;
};

inline bool WaitForFile(const std::string& path) {
  for (int i = 0; i < 10000; ++i) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Segments on tmpfs are not preallocated (it would only take RAM).
inline bool OnTmpfs(const std::string& dir) {
  struct statfs st {};
  return ::statfs(dir.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

inline struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

// Bytes one frame of `data` bytes takes in a segment.
inline size_t FrameSize(size_t data) { return kFrameHeaderBytes + kFrameFixedBodyBytes + data; }

// Polls `done` every millisecond for up to `timeout_ms`.
inline bool WaitUntil(const std::function<bool()>& done, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; ++waited) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

}  // namespace tributary::streams::testing
