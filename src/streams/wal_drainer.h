// WalDrainer: delivers what is left in the WALs of streams that are no longer in the
// streams table, so that no acknowledged record is thrown away with its stream.
//
// A WAL is drained when its stream leaves the table while this server still holds
// undelivered records of it (another server deleted it and the lake did not take them in
// time), when the server starts and finds a WAL directory whose stream is not in the table,
// and when a stream is created (here or by another server) over an old WAL directory of the
// same name. The directory is moved to `<wal-dir>/+draining/<name>-<epoch>` ('+' is in no
// stream's name), opened there as a stream that accepts nothing, by the configuration saved
// beside it (wal_stream_file.h), and delivered; once every record it held is in the lake
// (or, after the retry window, under the error prefix) the directory is removed. A WAL
// that holds nothing undelivered is removed at once instead of moved. A draining WAL left
// at a stop is opened again at the next start. One without a saved configuration (written
// by a version that did not save one) is moved aside and left there, logged as an error:
// never deleted.
//
// A draining stream's own counters are kept out of /metrics (a stream created again under
// the name has the name's series); the drainer shows them summed over every WAL it drains,
// without a stream label, as tributary_stream_draining_* (Totals): how many WALs drain,
// what they still hold, and what they delivered since the server started.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "streams/delivery_stream.h"
#include "streams/wal.h"
#include "streams/wal_stream_file.h"

namespace tributary::streams {

// True if the WAL in `dir` holds records its checkpoint does not count as delivered (it
// is recovered to find out, which repairs damage it finds: what that recovery reported
// goes into `found` if given). An error if it cannot be read: take that for "it does".
Result<bool> WalHoldsUndelivered(const std::string& dir, WalRecoveryReport* found = nullptr);

// What the drainer shows at /metrics. The counts are since the drainer started: those
// of WALs drained since are kept in the totals.
struct DrainingTotals {
  uint64_t wals = 0;              // draining now
  uint64_t buffered_records = 0;  // held by them, not yet delivered
  uint64_t buffered_bytes = 0;
  uint64_t records_recovered = 0;  // found undelivered when the WALs were opened
  uint64_t records_delivered = 0;  // into the lake, the error prefix included
  uint64_t objects_delivered = 0;
  uint64_t bytes_delivered = 0;
  uint64_t records_to_error_prefix = 0;
  uint64_t delivery_errors = 0;  // failed object writes, each retry counted
  uint64_t wal_records_lost = 0;  // to damage in the middle of a segment, found at recovery
};

class WalDrainer {
 public:
  // Opens a stream that delivers the records of the WAL in `dir` by `file`'s
  // configuration and accepts none.
  using OpenFn = std::function<Result<std::shared_ptr<DeliveryStream>>(const WalStreamFile& file,
                                                                       const std::string& dir)>;
  // With `metrics`, Totals is rendered there (tributary_stream_draining_*) while the
  // drainer lives.
  WalDrainer(std::string wal_dir, OpenFn open, int64_t stop_timeout_ms,
             MetricsRegistry* metrics = nullptr);
  ~WalDrainer();  // Stop(), and the series leave `metrics`
  WalDrainer(const WalDrainer&) = delete;
  WalDrainer& operator=(const WalDrainer&) = delete;

  // `dir` is stream `name`'s WAL directory (<wal-dir>/<name>), which no running stream
  // uses: removed if it holds nothing undelivered, else moved under +draining and drained
  // there. `why` says why for the log.
  Status SetAside(const std::string& name, const std::string& dir, const std::string& why);
  // Opens every WAL under +draining (at start).
  void ResumeAll();
  // The streams draining under `name` (oldest first), for List and Describe.
  std::vector<std::shared_ptr<DeliveryStream>> Find(const std::string& name) const;
  std::vector<std::shared_ptr<DeliveryStream>> All() const;
  DrainingTotals Totals() const;
  // Stops draining: what is not delivered within stop_timeout_ms stays under +draining
  // for the next start. Idempotent.
  void Stop();

 private:
  // Opens the WAL in `dir` (under +draining) by its saved configuration.
  Status OpenDraining(const std::string& dir);
  // Removes `dir` only if it is a directory directly under +draining.
  Status RemoveDrained(const std::string& dir) const;
  void Loop();
  // The counts of `stream`, no longer draining here, go into done_. mu_ held.
  void KeepCountsLocked(const DeliveryStream& stream);
  void RegisterMetrics();

  const std::string wal_dir_;
  const std::string root_;  // <wal-dir>/+draining
  const OpenFn open_;
  const int64_t stop_timeout_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<DeliveryStream>> draining_;  // by directory
  DrainingTotals done_;  // the counts of the WALs no longer in draining_
  MetricsRegistry* const metrics_;
  std::thread thread_;
};

}  // namespace tributary::streams
