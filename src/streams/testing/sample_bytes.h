// Bytes for the compression tests: noise that does not compress, and readings that do.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace tributary::streams::testing {

// `size` random bytes, the same for the same `seed`.
inline std::string NoiseBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

// `n` JSON lines {"device":"pm-<i % 7>","pm25":12.5}.
inline std::string PmReadings(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += R"({"device":"pm-)" + std::to_string(i % 7) +
           R"(","pm25":12.5})"
           "\n";
  return out;
}

}  // namespace tributary::streams::testing
