// Partition keys for dynamic partitioning: which value of a record each
// !{partitionKeyFromQuery:<name>} in a stream's prefix puts into the object key.
//
// Without a query, <name> is a top-level field of the JSON record. With one, the query
// names each key and where it is, as Firehose's MetadataExtractionQuery does (a jq object
// construction; this is the subset of jq made of object paths):
//
//   {device: .device.id, site: .site}       device <- record.device.id, site <- record.site
//   {"model": .meta."hw-model"}             quoted names and path segments
//   {day: .["event day"], n: .a["b c"]}     bracketed segments
//
// Every name the prefix uses must be in the query. Errors name the position in the query
// (0-based): "partition_query: expected ':' after 'device' at position 8".
// Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::streams {

struct PartitionKey {
  std::string name;     // what !{partitionKeyFromQuery:<name>} says
  std::string path;     // as written, for messages: ".device.id"
  std::string pointer;  // the same as a JSON Pointer (RFC 6901): "/device/id"
};

// Parses a query ("" gives no keys).
Result<std::vector<PartitionKey>> ParsePartitionQuery(std::string_view query);

// The keys for `names` (a prefix's partitionKeyFromQuery names, in order): from `query`
// when it is not empty, each name a top-level field otherwise.
Result<std::vector<PartitionKey>> ResolvePartitionKeys(std::string_view query,
                                                       const std::vector<std::string>& names);

}  // namespace tributary::streams
