// Test-only: makes the kernel refuse writes, as a full disk would. While a FileSizeLimit
// lives, the process's soft RLIMIT_FSIZE is `bytes`: a write that would pass that offset
// in any file is cut short there, and one that starts at or beyond it fails with EFBIG
// (SIGXFSZ, which would end the process, is ignored meanwhile). Process-wide: every
// thread's writes are limited, so keep the window short and the limit above the other
// files the test writes.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>

namespace tributary::testing_support {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    EXPECT_EQ(::getrlimit(RLIMIT_FSIZE, &old_), 0);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit old_{};
  void (*old_handler_)(int) = SIG_DFL;
};

}  // namespace tributary::testing_support
