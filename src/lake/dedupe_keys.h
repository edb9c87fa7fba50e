// The keys an ETL job's `dedupe` transforms have seen, across runs. A key is the tuple of
// a row's key cells (etl_pipeline.h builds its bytes); it is kept as a 64-bit hash, so a
// key costs 8 bytes in the job store and in memory whatever its length.
//
// Across runs: records re-sent after a crash may land in a later run's objects, so a run
// starts from the keys of the job's earlier successful runs (its history) and drops a
// row whose key is there. The keys a run adds are committed with its bookmark, in one
// transaction (JobStore::CommitRun); a failed or cancelled run adds none.
//
// Bound: the history holds the keys of the most recent runs, at most `kDefaultHistoryKeys`
// (16 Mi keys: 128 MiB in memory while a run goes, as a sorted array) unless one run alone
// has more; older runs' keys are forgotten whole, oldest run first. A duplicate arriving
// after more than that many newer keys is written again. Within one run every key counts
// (its new keys are held in a hash set, ~40 bytes each, next to the history).
//
// Collisions: two distinct keys share a hash with probability about n^2 / 2^65 over n keys
// (1e-5 for 16 Mi keys); a collision drops a row as a duplicate.
//
// Thread-safety: DedupeSet::Insert may be called from many threads at once (sharded
// locks); SetHistory and TakeNewKeys only while no Insert runs.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tributary::lake {

inline constexpr size_t kDefaultHistoryKeys = size_t{16} << 20;

// A stable 64-bit hash of a key's bytes (the same in every process and version: it is
// stored).
uint64_t DedupeKeyHash(std::string_view key);

// Hashes as stored: 8 bytes each, little-endian. Decoding fails (false) when the length
// is not a multiple of 8.
std::string EncodeDedupeKeys(const std::vector<uint64_t>& keys);
bool DecodeDedupeKeys(std::string_view bytes, std::vector<uint64_t>* out);

class DedupeSet {
 public:
  // The keys of earlier runs (any order; duplicates allowed).
  void SetHistory(std::vector<uint64_t> keys);
  size_t history_size() const { return history_.size(); }

  // True when the key was seen neither in the history nor in this run (it now is).
  bool Insert(std::string_view key) { return InsertHash(DedupeKeyHash(key)); }
  bool InsertHash(uint64_t hash);

  // The keys this run added, sorted; the set forgets them.
  std::vector<uint64_t> TakeNewKeys();

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_set<uint64_t> keys;
  };
  std::vector<uint64_t> history_;  // sorted, unique
  std::array<Shard, kShards> shards_;
};

}  // namespace tributary::lake
