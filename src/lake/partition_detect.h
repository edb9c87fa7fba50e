// Partitions from object keys, as a Glue crawler names them. The key is taken relative
// to the crawler's source prefix; each folder segment before the object name is one
// partition level:
//
//   relative key                               keys                        values
//   2026/11/30/14/pollution-1-...              year, month, day, hour      2026, 11, 30, 14
//   device=sensor-1/2026/11/30/obj.gz          device, year, month, day    sensor-1, 2026, 11, 30
//   year=2026/month=11/part-0.json             year, month                 2026, 11
//   eu/2026/obj                                partition_0, year           eu, 2026
//   obj.json                                   (none)
//
// A "key=value" segment keeps its name. A run of number segments shaped like a date
// (4 digits, then 1..2 digits of a month, a day, an hour) becomes year, month, day, hour;
// any other segment is partition_<level>, as Glue does. A name used twice becomes
// partition_<level> the second time.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::lake {

struct DetectedPartition {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::string prefix;  // the folder part of the relative key, "" or ending in '/'
};

DetectedPartition DetectPartition(std::string_view relative_key);

// True for names crawlers skip: any segment starting with '_' or '.' (_SUCCESS,
// .tmp files, _temporary/), folder markers (keys ending in '/').
bool IsHiddenKey(std::string_view relative_key);

// Glue's crawler exclusions are glob patterns (glue_glob.h: '*' within a folder, '**'
// across) matched against a key relative to the crawled prefix. A crawler skips such keys
// and records its patterns on the table (parameter "exclusions", a JSON array), so that
// readers of the table skip them too: this reads that parameter (empty when absent or
// malformed).
std::vector<std::string> TableExclusions(const std::map<std::string, std::string>& parameters);

}  // namespace tributary::lake
