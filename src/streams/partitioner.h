// Dynamic partitioning: the values of a record's JSON fields (top-level, or where the
// stream's partition query says: partition_query.h) that !{partitionKeyFromQuery:<name>}
// expressions put into its object key. A record that is not a JSON object, lacks a
// field, or whose value cannot be a key segment is refused with the reason (it goes to
// the error prefix, as Firehose sends partitioning failures there).
//
//   value in the record        key segment
//   "s1"                       s1
//   42, 4.5, true              42, 4.5, true
//   1.0, 1e2, 10.50, 1e-5      1, 100, 10.5, 1e-05: numbers as jq 1.6 prints them
//   null, {..}, [..], ""       refused
//   "a/b", ".", ".."           refused: would change the key's folder structure
//
// Values are read as jq reads them (Firehose's MetadataExtraction runs jq 1.6), with or
// without filters: of a name repeated in an object the last value counts
// ({"device":"first","device":"second"} gives second), and names are compared unescaped.
//
// Thread-compatible: one Partitioner per thread (it keeps a simdjson parser).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "streams/partition_query.h"

namespace tributary::streams {

class Partitioner {
 public:
  explicit Partitioner(std::vector<PartitionKey> keys);
  ~Partitioner();

  bool enabled() const { return !keys_.empty(); }
  // One value per key, in order; InvalidArgument with the reason otherwise.
  Result<std::vector<std::string>> Extract(std::string_view record);

 private:
  struct Impl;
  std::vector<PartitionKey> keys_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::streams
