// LakeWatcher: finds a load run's records in a local lake (the bucket directory a
// delivery stream writes, <data-dir>/lake/<bucket>/). A thread polls the directory tree
// every few milliseconds for object files it has not seen, reads each new object once,
// splits it into newline-separated records and reads the load generator's fields
// (bench_payload.h) from each. A record's publish → lake latency is the time its object
// was first seen minus the record's send time; both are steady-clock times from the same
// origin, since the load generator publishes and watches in one process.
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
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
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

  // Notes the objects already there, then starts polling every `poll_ms`.
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
  void Scan();
  void ReadObject(const std::string& path, int64_t seen_ns);
  void ReadFound(int poll_ms);

  const std::string dir_;
  const int64_t origin_ns_;
  std::unordered_set<std::string> known_;   // paths of objects seen or skipped
  std::vector<std::pair<std::string, int64_t>> found_;  // not read yet: path, seen_ns
  std::vector<std::vector<uint8_t>> seen_;  // [publisher][seq]
  std::vector<LakeRecord> records_;
  uint64_t objects_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t foreign_ = 0;
  std::string error_;
  std::atomic<uint64_t> distinct_{0};

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::atomic<bool> defer_{false};
  std::thread thread_;
};

}  // namespace tributary::bench
