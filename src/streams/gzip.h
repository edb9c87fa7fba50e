// Gzip (RFC 1952) in one call, for objects of gzip-compressed streams. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::streams {

Result<std::string> GzipCompress(std::string_view data);
// For tests and tools: the concatenation of every gzip member in `data`.
Result<std::string> GzipDecompress(std::string_view data);

}  // namespace tributary::streams
