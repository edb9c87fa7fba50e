// Gzip (RFC 1952) in one call, for objects of gzip-compressed streams. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::streams {

Result<std::string> GzipCompress(std::string_view data);
// The concatenation of every gzip member in `data`; past `max_output` bytes of it,
// ResourceExhausted (a few MB can inflate to gigabytes).
Result<std::string> GzipDecompress(std::string_view data, size_t max_output = SIZE_MAX);

}  // namespace tributary::streams
