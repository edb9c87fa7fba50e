// libFuzzer target for dynamic partitioning: the partition query comes from an operator,
// the records from any device. Parsing a query and extracting its keys from a record must
// give values or an error saying why, never a crash, a hang or an exception; a value that
// comes back must be usable as one key segment. Built by scripts/run-fuzz.
//
// Input: the query up to the first newline (empty: the names below are top-level
// fields), then the record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "streams/partition_query.h"
#include "streams/partitioner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::streams;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) newline = input.size();
  std::string_view query = input.substr(0, newline);
  std::string_view record = input.substr(std::min(input.size(), newline + 1));

  auto parsed = ParsePartitionQuery(query);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) std::abort();  // every error says what is wrong
    return 0;
  }
  std::vector<std::string> names;
  for (const PartitionKey& k : *parsed) names.push_back(k.name);
  if (names.empty()) names = {"device", "site"};
  auto keys = ResolvePartitionKeys(query, names);
  if (!keys.ok()) std::abort();  // every name came from the query itself
  Partitioner partitioner(std::move(keys).value());
  auto values = partitioner.Extract(record);
  if (!values.ok()) {
    if (values.status().message().empty()) std::abort();
    return 0;
  }
  if (values->size() != names.size()) std::abort();
  for (const std::string& v : *values) {
    if (v.empty() || v == "." || v == ".." || v.find('/') != std::string::npos) std::abort();
  }
  return 0;
}
