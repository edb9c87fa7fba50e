#include "lake/json_record_parse.h"

#include <string>

#include "base/json_numbers.h"

namespace tributary::lake {

simdjson::simdjson_result<simdjson::dom::element> ParseJsonRecord(simdjson::dom::parser& parser,
                                                                  std::string_view record,
                                                                  bool padded) {
  auto parsed =
      parser.parse(reinterpret_cast<const uint8_t*>(record.data()), record.size(), !padded);
  const simdjson::error_code error = parsed.error();
  if (error != simdjson::NUMBER_ERROR && error != simdjson::NUMBER_OUT_OF_RANGE) return parsed;
  // The document holds its own copy of what it parsed: `readable` may go.
  const std::string readable = ReadableNumbers(record, "null");
  auto again = parser.parse(readable);
  // Not for a number after all (a malformed one: 1., -): simdjson's first word stands.
  if (again.error()) return error;
  return again;
}

}  // namespace tributary::lake
