// RuleProtoSchemas: the Protocol Buffers FileDescriptorSets that rules' decode(v, 'proto',
// bucket, key, protoFile, messageType) reads from the lake (expr/proto_schema.h), kept
// between messages: a set is read on its first use, and again once it is `max_age_ms`
// old, so that a new upload under the same key shows within that. A set that cannot be
// read or does not parse is logged and tried again after `retry_ms`; its decodes give
// Undefined meanwhile. A message type a rule names that the set lacks is logged once per
// reading of the set. At most kMaxKept sets are kept; past that the next read starts
// afresh.
//
// Rules run on the broker's I/O threads, and an S3 GET may take its retries' time when
// the store is unwell. So every read is done by a thread of this class's own, made on
// first need. A set's first use waits for its first read for at most `first_wait_ms`
// (steady time, from that use: the callers that come meanwhile wait for the same
// deadline, so a lake that does not answer holds the broker that long once); past it the
// decodes give Undefined until the read ends (logged once). Reading a set again, and
// trying again one that failed, does not wait: the kept set (or error) goes on answering,
// and a failed read again keeps the set it had.
//
// Thread-safety: Decode may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "expr/proto_schema.h"
#include "objstore/object_store.h"

namespace tributary::app {

class RuleProtoSchemas {
 public:
  static constexpr size_t kMaxKept = 256;

  // `lake` must outlive this. `clock`: Unix ms (tests turn it).
  explicit RuleProtoSchemas(objstore::ObjectStoreProvider* lake, int64_t max_age_ms = 60000,
                            int64_t retry_ms = 10000, std::function<int64_t()> clock = &WallMillis,
                            int64_t first_wait_ms = 250)
      : lake_(lake),
        max_age_ms_(max_age_ms),
        retry_ms_(retry_ms),
        first_wait_ms_(first_wait_ms),
        clock_(std::move(clock)) {}
  // Waits for a read under way (an S3 GET: its timeout at most) and stops the thread.
  ~RuleProtoSchemas();

  // As expr::ExternalState::DecodeProto.
  Result<std::string> Decode(std::string_view bucket, std::string_view key,
                             std::string_view proto_file, std::string_view message_type,
                             std::string_view bytes) const;

 private:
  struct Entry {
    std::shared_ptr<const expr::ProtoSchema> schema;  // null when `error`
    Status error;
    int64_t read_ms = 0;
    bool queued = false;  // for the thread to read, or being read by it
    // Not read yet: its first users wait until `first_deadline`.
    bool unread = false;
    bool logged_slow = false;  // that the first read outlasted the wait
    std::chrono::steady_clock::time_point first_deadline;
    std::set<std::string> logged;  // the missing "file/type"s logged since the read
  };

  // The set at bucket/key: kept, or its first read's (waited for, within the bound).
  Result<std::shared_ptr<const expr::ProtoSchema>> SchemaAt(const std::string& id) const;
  // What `id`'s first read left, once it has ended or the wait is over, with `lock` held.
  Result<std::shared_ptr<const expr::ProtoSchema>> AwaitFirstRead(
      const std::string& id, std::unique_lock<std::mutex>& lock) const;
  Result<std::shared_ptr<const expr::ProtoSchema>> Read(std::string_view bucket,
                                                        std::string_view key) const;
  // Whether "file/type" of the set `id` is yet to be logged (and marks it logged).
  bool FirstMiss(const std::string& id, const std::string& what) const;
  // Keeps what a read of `id` gave (a failed read again keeps a set it had), with mu_ held.
  void Keep(const std::string& id, const Result<std::shared_ptr<const expr::ProtoSchema>>& read,
            int64_t now) const;
  // `id`'s entry, made (after forgetting every other past kMaxKept) if there is none, with
  // mu_ held.
  Entry& EntryLocked(const std::string& id) const;
  // Queues `id` for the thread (made now if need be), with mu_ held.
  void QueueReadLocked(const std::string& id, Entry* e) const;
  void ReadLoop() const;  // the thread's loop

  objstore::ObjectStoreProvider* lake_;
  const int64_t max_age_ms_;
  const int64_t retry_ms_;
  const int64_t first_wait_ms_;
  const std::function<int64_t()> clock_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Entry> kept_;  // by "bucket/key"
  mutable std::deque<std::string> due_;                  // ids for the thread to read
  mutable std::condition_variable wake_;                 // the thread: work is due, or stop
  mutable std::condition_variable read_;                 // first users: a read has been kept
  mutable bool stop_ = false;
  mutable std::thread reader_;
  std::shared_ptr<spdlog::logger> log_ = Logger("rules");
};

}  // namespace tributary::app
