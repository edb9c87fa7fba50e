// The function table of the expression language: AWS IoT SQL functions by name,
// resolved once at compile time to a plain function pointer. Functions never fail:
// bad arguments (wrong types, unconvertible strings) yield Undefined, as in AWS IoT.
// Thread-safe (the table is immutable; newuuid() uses a thread-safe generator).
//
//   message:  topic() topic(n) clientid() timestamp() principal() traceid() newuuid()
//             sql_version() accountid() sourceip() get_mqtt_property(name)
//             get_user_properties(key)
//   numbers:  abs ceil floor round trunc(x, places) mod remainder sign sqrt power ln log
//             exp acos asin atan atan2(y, x) cos cosh sin sinh tan tanh rand()
//             bitand bitor bitxor bitnot (on Ints; a Decimal is rounded down)
//   strings:  lower upper concat length numbytes substring trim ltrim rtrim lpad rpad
//             startswith endswith indexof replace encode(v, 'base64') decode(v, 'base64')
//             chr(code point) (string_functions.h)
//   regexps:  regexp_matches regexp_replace regexp_substr (RE2; regexp_functions.h)
//   hashes:   md5 sha1 sha224 sha256 sha384 sha512 (hex; hash_functions.h)
//   state:    get_thing_shadow(thing[, shadow], roleArn): a device shadow, and
//             get_registry_data('DescribeThing', thing, roleArn): a thing of the registry
//             (its attributes), read through the Message's ExternalState (Undefined
//             without one, or without the shadow or thing)
//   others:   isNull isUndefined get(collection, key) get_or_default(x[, default]) nanvl
//             parse_time(pattern, ms[, tz]) time_to_epoch(text, pattern) (time_parse.h)
//   dates:    year month day hour minute second dayofweek (Monday = 1): parts of a time in
//             UTC, given as Unix milliseconds or an ISO 8601 string (see ParseIso8601Micros)
//   (cast(x AS type) is syntax, see conversions in compile.cc)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/status.h"
#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

using FunctionImpl = Value (*)(const Value* args, size_t count, const Message& m);
// Whether a literal argument (0-based `index` of the call's `count`) can ever work: an error saying why not
// (a pattern that does not compile, a zone that does not exist), checked when the
// expression is compiled. The same value computed at run time gives Undefined instead.
using LiteralCheck = Status (*)(size_t index, size_t count, const Value& literal);

enum class Purity : uint8_t {
  kPure,      // depends only on its arguments: folded at compile time when they are constant
  kMessage,   // reads the Message (topic(), timestamp() ...)
  kVolatile,  // differs on every call (newuuid())
};

struct FunctionSpec {
  std::string_view name;  // lower case
  int min_args;
  int max_args;           // -1: any number
  Purity purity;
  FunctionImpl impl;
  LiteralCheck check = nullptr;  // none: any literal is taken as it comes
};

// nullptr if there is no such function. `lower_name` must be lower case.
const FunctionSpec* FindFunction(std::string_view lower_name);

// All names, for "unknown function 'x' (known: ...)" messages.
std::string FunctionNames();

// ISO 8601 date-times as microseconds since the Unix epoch, UTC; nullopt when `text` is
// not one. Accepted: "2026-11-30", "2026-11-30T14:02", "2026-11-30 14:02:11",
// "2026-11-30T14:02:11.123456Z", "...+01:00", "...-0530", "...+01" (no zone = UTC).
// Fractions past microseconds are truncated. Shared with the ETL jobs' conversions.
std::optional<int64_t> ParseIso8601Micros(std::string_view text);

}  // namespace tributary::expr
