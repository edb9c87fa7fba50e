// A place in the lake as the lake commands take it: "s3://bucket/rest" or "bucket/rest".
#pragma once

#include <string>

#include "base/status.h"

namespace tributary::cli {

struct LakeUri {
  std::string bucket;
  std::string key;  // a prefix for ls, a key for cat
};

// InvalidArgument when it names no bucket.
Result<LakeUri> ParseLakeUri(std::string text);

}  // namespace tributary::cli
