// Lower-case hexadecimal of bytes ("\x01\xab" -> "01ab"): digests, fingerprints, ids.
// Pure.
#pragma once

#include <string>
#include <string_view>

namespace tributary {

inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// The same for a buffer of unsigned bytes (OpenSSL's digests).
inline std::string HexEncode(const unsigned char* bytes, size_t size) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), size));
}

}  // namespace tributary
