// PLAIN encoding (Parquet Encodings.md), little-endian:
//   BOOLEAN     bit-packed, LSB first          true,false,true -> 05
//   INT32/FLOAT 4 bytes each                    1 -> 01 00 00 00
//   INT64/DOUBLE 8 bytes each
//   BYTE_ARRAY  4-byte length, then the bytes   "ab" -> 02 00 00 00 61 62
//   FIXED_LEN_BYTE_ARRAY  the bytes, no length   (width 2) "ab" -> 61 62
// Decoders read from a bounded span, report how many bytes they consumed, and
// fail (never read past the end) on truncated input. Stateless; thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::parquet {

static_assert(std::endian::native == std::endian::little,
              "PLAIN encoding is little-endian; this code copies values as they are in memory");

template <typename T>
void PlainAppendFixed(const T* values, size_t n, std::string* out) {
  out->append(reinterpret_cast<const char*>(values), n * sizeof(T));
}

template <typename T>
void PlainAppendOne(T v, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

inline void PlainAppendString(std::string_view v, std::string* out) {
  PlainAppendOne(static_cast<uint32_t>(v.size()), out);
  out->append(v);
}

// Bit-packs 0/1 bytes.
void PlainAppendBools(const uint8_t* values, size_t n, std::string* out);

template <typename T>
Status PlainDecodeFixed(const uint8_t* data, size_t size, size_t n, T* out, size_t* consumed) {
  if (n > size / sizeof(T)) {
    return DataLoss("PLAIN data holds " + std::to_string(size) + " bytes, " + std::to_string(n) +
                    " values of " + std::to_string(sizeof(T)) + " bytes need more");
  }
  if (n > 0) std::memcpy(out, data, n * sizeof(T));  // out may be null when n == 0
  *consumed = n * sizeof(T);
  return Status::Ok();
}

Status PlainDecodeBools(const uint8_t* data, size_t size, size_t n, uint8_t* out, size_t* consumed);

// Decodes n byte arrays as views into `data` (which must outlive them).
Status PlainDecodeStrings(const uint8_t* data, size_t size, size_t n,
                          std::vector<std::string_view>* out, size_t* consumed);

// Decodes n fixed-length byte arrays of `width` bytes as views into `data`.
Status PlainDecodeFixedLenByteArrays(const uint8_t* data, size_t size, size_t n, size_t width,
                                      std::vector<std::string_view>* out, size_t* consumed);

}  // namespace tributary::parquet
