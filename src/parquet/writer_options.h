// Options for ParquetWriter (file_writer.h). Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parquet/format.h"

namespace tributary::parquet {

// How a JSON integer is read as a timestamp or date inside a nested column's value:
// microseconds since the epoch and days since it (as `from-jsonl` reads columns), or Unix
// milliseconds for both (a date: their UTC day), as Hive's and Firehose's JSON readers do.
enum class JsonTimes { kMicrosAndDays, kMillis };

struct WriterOptions {
  Codec codec = Codec::kSnappy;
  // Dictionary-encode columns (not booleans) until a chunk's dictionary grows past
  // dictionary_page_size_limit bytes of PLAIN values, or its values turn out to be
  // smaller PLAIN (mostly distinct ones); then the rest of that column chunk falls
  // back to PLAIN.
  bool dictionary = true;
  int64_t dictionary_page_size_limit = 1 << 20;
  // A data page is cut once its encoded values reach about this many bytes.
  int64_t page_size = 1 << 20;
  // A row group is cut at whichever comes first: this many rows, or about this
  // many buffered (compressed) bytes across its columns.
  int64_t row_group_rows = 1 << 20;
  int64_t row_group_bytes = 128 << 20;
  // Write DataPageHeaderV2 pages (levels uncompressed, values compressed)
  // instead of V1 pages.
  bool data_page_v2 = false;
  bool statistics = true;
  JsonTimes nested_json_times = JsonTimes::kMicrosAndDays;
  std::vector<KeyValue> key_value_metadata;
  std::string created_by = "tributary version 0.1.0";
};

}  // namespace tributary::parquet
