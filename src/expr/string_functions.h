// The string functions of AWS IoT SQL: lower upper concat length numbytes substring trim
// ltrim rtrim lpad rpad startswith endswith indexof replace encode(v, 'base64')
// decode(v, 'base64') decode(v, 'proto', bucket, key, file, type) chr(code point). Lengths and
// positions count Unicode code points of UTF-8 text; a value that is not text is taken by its text
// (ToText); what cannot be taken gives Undefined. Results are charged to the evaluation's build
// budget (Message::ChargeBuild). Thread-safe.
//
//   SELECT upper(substring(topic(2), 0, 3)) AS site FROM 'devices/+/pollution'
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

Value Lower(const Value* args, size_t count, const Message& m);
Value Upper(const Value* args, size_t count, const Message& m);
Value Concat(const Value* args, size_t count, const Message& m);
Value Length(const Value* args, size_t count, const Message& m);
Value NumBytes(const Value* args, size_t count, const Message& m);
Value Substring(const Value* args, size_t count, const Message& m);
Value Trim(const Value* args, size_t count, const Message& m);
Value Ltrim(const Value* args, size_t count, const Message& m);
Value Rtrim(const Value* args, size_t count, const Message& m);
Value Lpad(const Value* args, size_t count, const Message& m);
Value Rpad(const Value* args, size_t count, const Message& m);
Value StartsWith(const Value* args, size_t count, const Message& m);
Value EndsWith(const Value* args, size_t count, const Message& m);
Value IndexOf(const Value* args, size_t count, const Message& m);
Value Replace(const Value* args, size_t count, const Message& m);
Value Encode(const Value* args, size_t count, const Message& m);
Value Decode(const Value* args, size_t count, const Message& m);
// decode(*, ...): what the compiler calls for decode of the payload itself, which it
// reads from the Message (args[0] is not used).
Value DecodePayload(const Value* args, size_t count, const Message& m);
Value Chr(const Value* args, size_t count, const Message& m);

// Index of the byte where code point `cp` of UTF-8 text `s` starts (or s.size()).
size_t Utf8Offset(std::string_view s, int64_t cp);
// The number of code points in UTF-8 text `s`.
int64_t Utf8Length(std::string_view s);

}  // namespace tributary::expr
