// libFuzzer target for deaggregation (record_split.h): the records come from any device or
// producer. Input: the first byte picks json or delimited (the next byte then is the
// delimiter), the rest is the record. Splitting must give pieces, each a non-empty part of
// the record in order and no more than kMaxSubRecords of them, or an error saying what is
// wrong (never a crash or a hang). Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streams/record_split.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::streams;
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Deaggregation how;
  std::string_view record = input.substr(1);
  if (input[0] & 1) {
    how.kind = Deaggregation::Kind::kDelimited;
    how.delimiter = std::string(1, input[1]);
    record = input.substr(2);
  } else {
    how.kind = Deaggregation::Kind::kJson;
  }
  auto parts = SplitRecord(record, how);
  if (!parts.ok()) {
    if (parts.status().message().rfind("record: ", 0) != 0) std::abort();
    return 0;
  }
  if (parts->empty() || parts->size() > kMaxSubRecords) std::abort();
  const char* at = record.data();
  for (std::string_view p : *parts) {
    if (p.empty() || p.data() < at || p.data() + p.size() > record.data() + record.size()) std::abort();
    at = p.data() + p.size();
  }
  return 0;
}
