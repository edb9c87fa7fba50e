// CRC-32C (Castagnoli; reflected, initial value and final xor all ones), as S3's
// x-amz-checksum-crc32c and the Snappy framing format use it. `crc` carries a running
// value: Crc32c(Crc32c(0, "1234"), "56789") == Crc32c(0, "123456789"). Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace tributary {

uint32_t Crc32c(uint32_t crc, std::string_view data);

}  // namespace tributary
