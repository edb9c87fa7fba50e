// libFuzzer target for reading raw lake objects: what a stream delivered is whatever
// devices published, so the crawler and the ETL stage must frame, parse and type any
// bytes without a crash, and the fast path must agree with the plain one. Checks:
//   - JsonRecordStream (document stream, then per-record fallback) delivers the same
//     values, at the same offsets, valid or not, as SplitJsonRecords plus one parse per
//     record (ParseJsonRecord, as the crawler and table readers parse), and both agree on whether
//     the object ends in a value that never ends;
//   - the schema inferred from the valid records can be read back (an incremental crawl
//     starts from the table's columns).
// Input: byte 0 picks the stream's batch size; the rest is the object. Built by
// scripts/run-fuzz.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lake/json_record_parse.h"
#include "lake/json_record_stream.h"
#include "lake/json_records.h"
#include "lake/schema_inference.h"

namespace {

using namespace tributary::lake;

struct Seen {
  size_t offset;
  std::string text;
  bool valid;
  bool operator==(const Seen&) const = default;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr size_t kBatches[] = {64, 1024, JsonRecordStream::kDefaultBatchBytes};
  const size_t batch = kBatches[data[0] % 3];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<Seen> fast;
  SchemaBuilder schema;
  JsonRecordStream stream(batch);
  tributary::Status fast_status = stream.ForEach(text, [&](const JsonRecord& r) {
    fast.push_back({r.offset, std::string(r.text), r.error.empty()});
    if (r.error.empty() && r.value.is_object()) {
      schema.AddRecord(r.value.get_object().value(), "line " + std::to_string(stream.LineOf(r.offset)));
    }
    return true;
  });

  std::vector<Seen> plain;
  simdjson::dom::parser parser;
  tributary::Status plain_status =
      SplitJsonRecords(text, [&](std::string_view record, RecordPosition at) {
        plain.push_back(
            {at.offset, std::string(record),
             ParseJsonRecord(parser, record, /*padded=*/false).error() == simdjson::SUCCESS});
        return true;
      });

  if (fast_status.ok() != plain_status.ok()) std::abort();
  if (fast != plain) std::abort();

  auto again = SchemaBuilder::FromColumns(schema.Columns());
  if (!again.ok()) std::abort();
  return 0;
}
