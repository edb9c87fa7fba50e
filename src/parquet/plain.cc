#include "parquet/plain.h"

namespace tributary::parquet {

void PlainAppendBools(const uint8_t* values, size_t n, std::string* out) {
  size_t full = n / 8;
  for (size_t g = 0; g < full; ++g) {
    const uint8_t* v = values + g * 8;
    uint8_t b = 0;
    for (int k = 0; k < 8; ++k) b |= static_cast<uint8_t>((v[k] & 1) << k);
    out->push_back(static_cast<char>(b));
  }
  if (n % 8) {
    uint8_t b = 0;
    for (size_t k = 0; k < n % 8; ++k) b |= static_cast<uint8_t>((values[full * 8 + k] & 1) << k);
    out->push_back(static_cast<char>(b));
  }
}

Status PlainDecodeBools(const uint8_t* data, size_t size, size_t n, uint8_t* out,
                        size_t* consumed) {
  size_t bytes = (n + 7) / 8;
  if (bytes > size) {
    return DataLoss("PLAIN booleans: " + std::to_string(n) + " values need " +
                    std::to_string(bytes) + " bytes, " + std::to_string(size) + " left");
  }
  for (size_t i = 0; i < n; ++i) out[i] = (data[i / 8] >> (i % 8)) & 1;
  *consumed = bytes;
  return Status::Ok();
}

Status PlainDecodeStrings(const uint8_t* data, size_t size, size_t n,
                          std::vector<std::string_view>* out, size_t* consumed) {
  size_t pos = 0;
  out->reserve(out->size() + std::min(n, size / 4));
  for (size_t i = 0; i < n; ++i) {
    if (size - pos < 4) {
      return DataLoss("PLAIN byte array " + std::to_string(i) + " of " + std::to_string(n) +
                      ": length prefix at byte " + std::to_string(pos) + " runs past the end");
    }
    uint32_t len;
    std::memcpy(&len, data + pos, 4);
    pos += 4;
    if (len > size - pos) {
      return DataLoss("PLAIN byte array " + std::to_string(i) + ": length " + std::to_string(len) +
                      " at byte " + std::to_string(pos - 4) + " runs past the end (" +
                      std::to_string(size - pos) + " left)");
    }
    out->emplace_back(reinterpret_cast<const char*>(data + pos), len);
    pos += len;
  }
  *consumed = pos;
  return Status::Ok();
}

Status PlainDecodeFixedLenByteArrays(const uint8_t* data, size_t size, size_t n, size_t width,
                                      std::vector<std::string_view>* out, size_t* consumed) {
  if (width == 0 || n > size / width) {
    return DataLoss("PLAIN data holds " + std::to_string(size) + " bytes, " + std::to_string(n) +
                    " values of " + std::to_string(width) + " bytes need more");
  }
  out->reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) out->emplace_back(reinterpret_cast<const char*>(data + i * width), width);
  *consumed = n * width;
  return Status::Ok();
}

}  // namespace tributary::parquet
