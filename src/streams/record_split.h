// SplitRecord: one put record as the several records it holds, for a stream whose
// deaggregation (stream_config.h, Firehose's RecordDeAggregation) is on:
//
//   json       {"a":1}{"a":2}  or  {"a":1}\n{"a":2}     -> {"a":1}, {"a":2}
//   delimited  "x##y##"  (delimiter "##")                -> x, y   (empty pieces dropped)
//
// JSON objects are told apart by their braces (strings and escapes respected), not
// parsed: a piece that is not valid JSON fails later, as any record would. Errors say
// what is wrong and at which byte: text between objects that is not whitespace, an object
// not closed, no piece at all, more than kMaxSubRecords pieces (Firehose's cap).
// Pure; the views are into `record`.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "streams/stream_config.h"

namespace tributary::streams {

inline constexpr size_t kMaxSubRecords = 500;

Result<std::vector<std::string_view>> SplitRecord(std::string_view record, const Deaggregation& how);

}  // namespace tributary::streams
