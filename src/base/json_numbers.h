// ReadableNumbers: JSON text whose numbers simdjson cannot read rewritten into ones it
// can, for the readers of device data (the rules' payloads, the lake's records) that keep
// the rest of a record rather than refuse it for one number. simdjson refuses an integer
// beyond 64 bits and a number beyond a double's range (1e400, 49E851), both valid JSON.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tributary {

// `text` with every number rewritten as simdjson takes it: an integer beyond 64 bits as
// the nearest double ("1.8446744073709552e+19"), a number too small for a double as 0.0,
// one too large for a double as `out_of_range_json` (a JSON value: null, or a marker
// string the caller knows). Strings are copied as they are, and what is not a JSON number
// (007, 1., -) is left for the parser to refuse.
std::string ReadableNumbers(std::string_view text, std::string_view out_of_range_json);

}  // namespace tributary
