// LakeWatcher: finds a load run's records in a local lake (the bucket directory a
// delivery stream writes, <data-dir>/lake/<bucket>/). A thread is told by inotify of each
// object renamed (or written) into the tree and of each new directory, which it then
// watches too; it reads each new object once, splits it into newline-separated records
// and reads the load generator's fields (bench_payload.h) from each. Watching costs the
// machine nothing between objects, where walking the tree every few milliseconds took a
// noticeable share of a small machine's CPU from the broker under test. Until the
// directory exists, the thread checks for it every few milliseconds (one stat); if the
// kernel's event queue overflows, it walks the whole tree again, and if inotify fails it
// walks the tree every few milliseconds instead. A record's publish → lake latency is the
// time its object was first seen minus the record's send time; both are steady-clock
// times from the same origin, since the load generator publishes and watches in one
// process.
//
// Reading can be put off: between DeferReading(true) and DeferReading(false) new objects
// are only noted (with the time they were first seen), and read afterwards. The load run
// defers while it measures, so that checking the lake does not take CPU from the broker
// under test on a small machine; the latencies are the same either way.
//
// Objects present when Start is called belong to earlier runs and are never read; names
// starting with '.' (the store's temporary files) are skipped. Objects must be
// uncompressed (a stream with compression none). The directory may appear only later.
//
// Thread-safety: Start, Stop and the accessors are for one thread (the load run's);
// distinct_records() may be called while the watcher runs, the others only after Stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"

namespace tributary::bench {

// The first sighting of one record (duplicates are counted, not kept).
struct LakeRecord {
  int64_t sent_ns = 0;  // from the payload's `t`
  int64_t seen_ns = 0;  // when its object was first seen, same origin
};

class LakeWatcher {
 public:
  // `origin_ns`: the SteadyNanos() value the payloads' `t` counts from; records with a
  // publisher index >= `publishers` are not ours (counted as foreign).
  LakeWatcher(std::string dir, int64_t origin_ns, int publishers);
  ~LakeWatcher();
  LakeWatcher(const LakeWatcher&) = delete;
  LakeWatcher& operator=(const LakeWatcher&) = delete;

  // Notes the objects already there, then starts watching. `poll_ms`: how often the
  // thread checks for a directory that does not exist yet, or for Stop.
  Status Start(int poll_ms = 5);
  // Stops the thread after one last scan (and the reads put off). Idempotent.
  void Stop();
  // While on, objects are found but not read; turning it off has the thread read them.
  void DeferReading(bool on);

  // Distinct records of ours seen so far.
  uint64_t distinct_records() const { return distinct_.load(std::memory_order_relaxed); }

  // After Stop:
  bool Seen(uint32_t pub, uint64_t seq) const;
  const std::vector<LakeRecord>& records() const { return records_; }
  uint64_t objects() const { return objects_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t foreign() const { return foreign_; }        // lines that are not one of our payloads
  const std::string& error() const { return error_; }  // the first unreadable object

 private:
  void Loop(int poll_ms);
  // Watches `dir` and every directory under it, noting the objects found there.
  void WatchTree(const std::string& dir);
  // Handles the events queued so far (without waiting); sets watch_failed_ if inotify
  // failed.
  void TakeEvents();
  void Note(std::string path);
  void Scan();
  void ReadObject(const std::string& path, int64_t seen_ns);
  void ReadFound();

  const std::string dir_;
  const int64_t origin_ns_;
  std::unordered_set<std::string> known_;   // paths of objects seen or skipped
  int inotify_fd_ = -1;
  std::unordered_map<int, std::string> watched_;  // watch descriptor -> directory
  bool watch_failed_ = false;  // out of watches, say: the thread walks the tree instead
  std::vector<std::pair<std::string, int64_t>> found_;  // not read yet: path, seen_ns
  std::vector<std::vector<uint8_t>> seen_;  // [publisher][seq]
  std::vector<LakeRecord> records_;
  uint64_t objects_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t foreign_ = 0;
  std::string error_;
  std::atomic<uint64_t> distinct_{0};

  std::atomic<bool> stop_{false};
  std::atomic<bool> defer_{false};
  std::thread thread_;
};

}  // namespace tributary::bench
