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
// A path may be followed by jq's filters that make a key of a value, as Firehose's own
// examples do to partition by the record's event time rather than its arrival:
//
//   {year: .event_timestamp | strftime("%Y")}       epoch seconds -> "2026"
//   {day: .ts_ms / 1000 | strftime("%Y-%m-%d")}     epoch milliseconds
//   {hour: .time | fromdateiso8601 | strftime("%H")} "2026-12-04T15:30:00Z" -> "15"
//   {site: .site | ascii_downcase}
//
//   / N                      a number divided by N (first, right after the path)
//   strftime("fmt")          epoch seconds (a number) -> text, UTC, C's strftime formats
//   fromdateiso8601, fromdate  "YYYY-MM-DDTHH:MM:SS[.fff]Z" -> epoch seconds
//   todateiso8601, todate    epoch seconds -> "YYYY-MM-DDTHH:MM:SSZ"
//   floor                    a number rounded down
//   tostring                 a number's JSON text; a string as it is
//   ascii_downcase, ascii_upcase
//
// Every name the prefix uses must be in the query, and (for a configuration given now:
// CheckQueryKeysUsed) every key of the query must be used by the prefix. Errors name the
// position in the query (0-based): "partition_query: expected ':' after 'device' at
// position 8"; another field they mention is in backquotes (`prefix`), so that a caller
// can name it as its user knows it.
// Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::streams {

// One of a key's filters (above), applied in order to the value at its path.
struct PartitionFilter {
  enum class Kind { kDivide, kStrftime, kFromDate, kToDate, kFloor, kToString, kDowncase, kUpcase };
  Kind kind;
  double divisor = 1;  // kDivide
  std::string format;  // kStrftime
  std::string text;    // as written, for messages: "strftime(\"%Y\")"
};

struct PartitionKey {
  std::string name;     // what !{partitionKeyFromQuery:<name>} says
  std::string path;     // as written, for messages: ".device.id"
  std::vector<std::string> segments;  // the object names along it: {"device", "id"}
  std::vector<PartitionFilter> filters;
};

// Parses a query ("" gives no keys).
Result<std::vector<PartitionKey>> ParsePartitionQuery(std::string_view query);

// The keys for `names` (a prefix's partitionKeyFromQuery names, in order): from `query`
// when it is not empty, each name a top-level field otherwise. A name the query lacks:
// "prefix: partitionKeyFromQuery:dev is not a key of `partition_query` (its keys: site)".
Result<std::vector<PartitionKey>> ResolvePartitionKeys(std::string_view query,
                                                       const std::vector<std::string>& names);

// A key of `query` that none of `names` (the prefix's partitionKeyFromQuery names) is
// would be extracted for nothing, and is most likely a typo of the name the prefix meant:
// "partition_query: key d is not used by `prefix` (it uses no partitionKeyFromQuery) ...".
// Also the query's own parse errors.
Status CheckQueryKeysUsed(std::string_view query, const std::vector<std::string>& names);

}  // namespace tributary::streams
