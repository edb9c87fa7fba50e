// libFuzzer target for GetPartitions' Expression (partition_filter.h): the text comes from
// any Glue client over HTTP. Parsing must give a filter or an error that names a column
// within the text (never a crash, a hang or an exception), and a filter must answer every
// partition, including ones with missing values and the Hive default partition, alike on
// a second asking. Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lake/partition_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tributary::lake::Column;
  using tributary::lake::PartitionFilter;
  static const std::vector<Column> kKeys = {{"dt", "string"}, {"hour", "int"}, {"price", "decimal(10,2)"}};
  static const std::vector<std::vector<std::string>> kPartitions = {
      {"2026-12-04", "10", "1.5"}, {"", "x", "-0"}, {"__HIVE_DEFAULT_PARTITION__", "__HIVE_DEFAULT_PARTITION__", "1e308"},
      {"a%b_c", "-7"}, {}};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto filter = PartitionFilter::Parse(text, kKeys);
  if (!filter.ok()) {
    const std::string& m = filter.status().message();
    if (m.rfind("column ", 0) != 0) std::abort();  // every error names where
    size_t column = std::strtoull(m.c_str() + 7, nullptr, 10);
    if (column < 1 || column > size + 1) std::abort();
    return 0;
  }
  for (const auto& p : kPartitions) {
    if (filter->Matches(p) != filter->Matches(p)) std::abort();
  }
  return 0;
}
