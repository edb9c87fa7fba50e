// Helpers for the devices tests only: a temporary directory removed at scope exit and
// running a shell command to capture its output.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "base/testing/temp_dir.h"

namespace tributary::devices::testing {

using TempDir = ::tributary::testing_support::TempDir;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace tributary::devices::testing
