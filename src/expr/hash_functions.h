// The hashing functions of AWS IoT SQL: md5, sha1, sha224, sha256, sha384, sha512 of a
// value's text (ToText: a string as its UTF-8 bytes, a number or Boolean as written,
// an array or object as compact JSON), as lower-case hex. Null and Undefined give
// Undefined. OpenSSL's digests; thread-safe.
//
//   SELECT sha256(clientid()) AS device_hash FROM 'devices/+/pollution'
#pragma once

#include <cstddef>

#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

Value Md5(const Value* args, size_t count, const Message& m);
Value Sha1(const Value* args, size_t count, const Message& m);
Value Sha224(const Value* args, size_t count, const Message& m);
Value Sha256(const Value* args, size_t count, const Message& m);
Value Sha384(const Value* args, size_t count, const Message& m);
Value Sha512(const Value* args, size_t count, const Message& m);

}  // namespace tributary::expr
