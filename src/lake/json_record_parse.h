// ParseJsonRecord: one record of a raw lake object parsed by simdjson, the way the crawler,
// the table readers (ETL, queries) and the record stream all take it (the streams' record
// format conversion, record_conversion.h, reads numbers the same way). A number simdjson
// cannot read does not make the record bad: it is valid JSON, and a device sent it. An
// integer beyond 64 bits is read as the nearest double and a number beyond a double's range
// (1e400) as null, as the rules engine reads them (where 1e400 is Undefined), so the rest of
// the record is kept (base/json_numbers.h).
//
// Thread-safe as its parser: one per thread.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace tributary::lake {

// `record` parsed by `parser` (the element is valid until its next parse). `padded`: the
// record is followed by simdjson::SIMDJSON_PADDING readable bytes, so it is parsed in place.
simdjson::simdjson_result<simdjson::dom::element> ParseJsonRecord(simdjson::dom::parser& parser,
                                                                  std::string_view record,
                                                                  bool padded);

}  // namespace tributary::lake
