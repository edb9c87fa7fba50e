// The records `tributary stream put` sends, and how it splits them into PutRecordBatch
// calls. Pure (no I/O but the stream it is given); called from the CLI's main thread.
//
// Every record is checked before any is sent, so that a file with one record too large
// puts nothing, rather than the batches before it:
//
//   --file readings.jsonl    each non-empty line one record, its newline kept
//   line 3: 1,024,001 bytes  "line 3 of 'readings.jsonl' is 1024001 bytes with its
//                            newline; a record may hold at most 1,024,000 (Firehose's
//                            limit). Nothing was put."
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace tributary::cli {

// Firehose's Direct PUT limits, which the server enforces too (app/direct_put.h).
inline constexpr size_t kMaxPutRecordBytes = 1'024'000;
inline constexpr size_t kMaxPutBatchRecords = 500;
inline constexpr size_t kMaxPutBatchBytes = 4u << 20;

// One record and where it came from: "--data 2", "line 7 of 'readings.jsonl'".
struct PutRecordInput {
  std::string data;
  std::string origin;
};

// The --data values (each a record as given), then `file`'s non-empty lines (each a record
// with its newline; `file_name` names it in messages, "-" as stdin; `file` may be null).
// InvalidArgument naming the first record over kMaxPutRecordBytes, or if there is none
// (naming the file when one was given).
Result<std::vector<PutRecordInput>> CollectPutRecords(const std::vector<std::string>& data,
                                                      std::istream* file,
                                                      const std::string& file_name);

// [begin, end) index ranges of `records`, in order, each one PutRecordBatch call within
// kMaxPutBatchRecords and kMaxPutBatchBytes. The records must be within kMaxPutRecordBytes.
std::vector<std::pair<size_t, size_t>> PutBatches(const std::vector<PutRecordInput>& records);

}  // namespace tributary::cli
