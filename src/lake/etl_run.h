// One run of an ETL job (a Glue job run): reads the source objects that arrived since
// the job's bookmark, sends every record through the job's transforms, writes the kept
// rows as Hive-partitioned Parquet and the rejected ones as JSON Lines with the reason,
// then commits: the files become visible in the lake, the target table and its
// partitions are registered in the catalog, and the bookmark advances.
//
// How a run goes:
//   1. list the source table's location; skip hidden keys (_x, .x), the job's own target
//      and error prefixes, and objects in the bookmark with the same etag and size;
//   2. `workers` threads take objects one at a time: get (objects over 16 MB in ranged
//      gets into a buffer the worker keeps), gunzip, parse the records
//      (json_record_stream.h; a Parquet source table's rows come through table_reader.h),
//      transform (etl_pipeline.h), write rows to Parquet files in a
//      local scratch directory (etl_writer.h; memory bounded per worker);
//   3. drop_null_fields: columns that stayed null in every row are removed (the staged
//      files are rewritten without them);
//   4. commit: the run records the keys it is about to create, uploads each staged file
//      to <target>/<k1=v1>/.../part-<run>-<worker>-<n>.parquet and the rejects to
//      <error prefix>run=<id>/errors-<worker>.json, upserts the catalog table and adds
//      its partitions, and marks the run succeeded, the processed objects bookmarked and
//      the run's dedupe keys added to the job's history (dedupe_keys.h) in one transaction.
// A failure or a cancel before step 4 leaves nothing in the lake; a failure during step
// 4 deletes what was uploaded; a process that dies during step 4 leaves the keys in the
// run's record, and RecoverAbandonedRuns deletes them at the next start. In every case
// the bookmark and the dedupe history stay where they were.
//
// Thread-safety: RunJob may run on any thread; two runs of one job must not run at once
// (JobManager sees to it).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "lake/catalog.h"
#include "lake/etl_writer.h"
#include "lake/job_store.h"
#include "objstore/object_store.h"

namespace tributary::lake {

struct JobRunContext {
  objstore::ObjectStoreProvider* lake = nullptr;
  Catalog* catalog = nullptr;
  JobStore* store = nullptr;
  std::string scratch_root;                        // local directory for staged files
  const std::atomic<bool>* cancel = nullptr;        // optional
  std::function<void(const JobRun&)> on_progress;  // optional; after each object
  int workers = 0;                                 // 0: the job's, else one per core
  EtlWriterOptions writer;
  size_t dedupe_history_keys = kDefaultHistoryKeys;  // dedupe keys kept across runs
};

// Runs `job` into `run` (whose id, job and started_ms the caller set; the run must be
// in the store). Returns the run as it ended. Never throws.
JobRun RunJob(const JobDefinition& job, JobRun run, const JobRunContext& context);

// At start-up: runs left "running" by a process that stopped are marked failed, and the
// keys they were committing are deleted.
Status RecoverAbandonedRuns(JobStore* store, objstore::ObjectStoreProvider* lake);

}  // namespace tributary::lake
