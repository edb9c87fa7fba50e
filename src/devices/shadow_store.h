// ShadowStore: device shadows (shadow_document.h) kept in the metadata database, so that
// they survive restarts and, on PostgreSQL, are shared by the servers of a deployment.
// Writes are conditional on the version read (optimistic): a write that another server
// got in first fails with kFailedPrecondition, and the caller reads again and retries.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "devices/shadow_document.h"
#include "metadata/database.h"

namespace tributary::devices {

class ShadowStore {
 public:
  // `db` must outlive the store.
  static Result<std::unique_ptr<ShadowStore>> Open(metadata::Database* db);

  // The shadow `shadow` ("" for the classic one) of `thing`; not `exists` when there is
  // none (version 0 if there never was one, else the deleted one's last version).
  Result<ShadowDocument> Get(const std::string& thing, const std::string& shadow) const;
  // Writes `doc` if the stored shadow is still as read: `read_version` (0: never stored),
  // existing or deleted as `read_existed` says; else kFailedPrecondition. (A delete keeps
  // the version, so the version alone would not tell an update that raced it.)
  Status Put(const std::string& thing, const std::string& shadow, const ShadowDocument& doc, int64_t read_version,
             bool read_existed = true);
  // Deletes the shadow if its version is still `read_version` (its last version is kept);
  // else kFailedPrecondition.
  Status Delete(const std::string& thing, const std::string& shadow, int64_t read_version);
  // The names of `thing`'s named shadows, in order.
  Result<std::vector<std::string>> ListNamed(const std::string& thing) const;

  // How many shadows this store has written or deleted since it opened: a reader that
  // keeps documents knows them current on this server while the count stands (read it
  // before the Get). Writes by other servers sharing the database are not counted.
  uint64_t changes() const { return changes_.load(std::memory_order_acquire); }

 private:
  explicit ShadowStore(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
  std::atomic<uint64_t> changes_{0};
};

// Thing names as AWS IoT takes them: 1..128 of [a-zA-Z0-9:_-]; shadow names 1..64 of the
// same. InvalidArgument naming the problem otherwise.
Status ValidateShadowNames(const std::string& thing, const std::string& shadow);

}  // namespace tributary::devices
