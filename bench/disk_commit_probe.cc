// disk_commit_probe: how fast the disk under a data directory takes synced commits, the
// way a stream's WAL makes them under `--wal-fsync always` (BENCHMARKS.md, "A read's
// records in one append, and this VM's disk"). Each of --threads threads writes
// --commits commits of --kib KiB with O_DIRECT into its own region of one preallocated
// file, each commit made durable by an fdatasync after the write (--sync fdatasync, the
// WAL's way) or by the write itself (--sync dsync: pwritev2 with RWF_DSYNC), or not at
// all (--sync none). Prints one JSON line: the mode, µs per commit per thread, MB/s.
//
//   build/bench/disk_commit_probe --dir <data-dir> --kib 256 --threads 2 --sync fdatasync
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/direct_io.h"

namespace {

enum class Sync { kFdatasync, kDsync, kNone };

// Writes `commits` commits of `bytes` from `buf` at `first_offset` onwards; an error
// message, or empty.
std::string WriteCommits(int fd, const char* buf, size_t bytes, off_t first_offset, int commits,
                         Sync sync) {
  for (int i = 0; i < commits; ++i) {
    off_t at = first_offset + static_cast<off_t>(i) * static_cast<off_t>(bytes);
    iovec v{const_cast<char*>(buf), bytes};
    ssize_t n = ::pwritev2(fd, &v, 1, at, sync == Sync::kDsync ? RWF_DSYNC : 0);
    if (n != static_cast<ssize_t>(bytes)) {
      return std::string("write: ") + (n < 0 ? std::strerror(errno) : "short write");
    }
    if (sync == Sync::kFdatasync && ::fdatasync(fd) != 0) {
      return std::string("fdatasync: ") + std::strerror(errno);
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Synced commit throughput of the disk under a directory"};
  std::string dir = ".";
  size_t kib = 256;
  int threads = 1;
  int commits = 200;
  std::string sync_name = "fdatasync";
  app.add_option("--dir", dir, "where the probe file goes (deleted afterwards)");
  app.add_option("--kib", kib, "KiB per commit (a multiple of 4)")->check(CLI::Range(4, 65536));
  app.add_option("--threads", threads, "threads committing at once")->check(CLI::Range(1, 64));
  app.add_option("--commits", commits, "commits per thread")->check(CLI::Range(1, 1000000));
  app.add_option("--sync", sync_name, "fdatasync | dsync | none")
      ->check(CLI::IsMember({"fdatasync", "dsync", "none"}));
  CLI11_PARSE(app, argc, argv);
  if (kib % 4 != 0) {
    std::fprintf(stderr, "disk_commit_probe: --kib %zu is not a multiple of 4\n", kib);
    return 2;
  }
  Sync sync = sync_name == "dsync" ? Sync::kDsync : sync_name == "none" ? Sync::kNone
                                                                          : Sync::kFdatasync;
  size_t bytes = kib * 1024;
  std::string path = dir + "/.disk-commit-probe-" + std::to_string(::getpid());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "disk_commit_probe: cannot open %s with O_DIRECT: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  tributary::AlignedBytes buf = tributary::AllocateAligned(4096, bytes);
  std::memset(buf.get(), 'x', bytes);
  // Preallocated, as the WAL's segments are: the timed commits overwrite written blocks.
  std::string error = WriteCommits(fd, buf.get(), bytes, 0, commits * threads, Sync::kNone);
  if (error.empty() && ::fdatasync(fd) != 0) error = std::strerror(errno);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> errors(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads && error.empty(); ++t) {
    workers.emplace_back([&, t] {
      off_t first = static_cast<off_t>(t) * commits * static_cast<off_t>(bytes);
      errors[t] = WriteCommits(fd, buf.get(), bytes, first, commits, sync);
    });
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  for (const std::string& e : errors) {
    if (error.empty()) error = e;
  }
  if (!error.empty()) {
    std::fprintf(stderr, "disk_commit_probe: %s: %s\n", path.c_str(), error.c_str());
    return 1;
  }
  std::printf(
      "{\"sync\":\"%s\",\"kib\":%zu,\"threads\":%d,\"commits\":%d,\"us_per_commit\":%.0f,"
      "\"mb_per_s\":%.0f}\n",
      sync_name.c_str(), kib, threads, commits, seconds * 1e6 / commits,
      double(bytes) * commits * threads / seconds / 1e6);
  return 0;
}
