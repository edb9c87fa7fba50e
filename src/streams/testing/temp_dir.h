// Test-only: a fresh directory under the system temp dir, removed when it goes away.
#pragma once

#include <filesystem>
#include <string>

#include "base/ids.h"

namespace tributary::streams::testing {

class TempDir {
 public:
  TempDir()
      : path_((std::filesystem::temp_directory_path() / ("streams-test-" + RandomHex(6)))
                  .string()) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tributary::streams::testing
