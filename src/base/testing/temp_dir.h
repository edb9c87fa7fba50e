// Test-only: a fresh directory under the system temp dir, removed with everything in it
// when the TempDir goes away. Shared by every folder's tests.
#pragma once

#include <filesystem>
#include <string>

#include "base/ids.h"

namespace tributary::testing_support {

class TempDir {
 public:
  TempDir()
      : path_((std::filesystem::temp_directory_path() / ("tributary-test-" + RandomHex(6)))
                  .string()) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tributary::testing_support
