// POSIX helpers for the local backend: whole writes and reads on descriptors, durable
// directory creation and renames. Errors name the path and the OS's reason.
// Thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::objstore::local {

// write(2) until all of `data` is written (EINTR retried).
Status WriteAll(int fd, std::string_view data, const std::string& path);

// The status for a write to `path` that failed with `err`: kResourceExhausted when the
// disk or quota is full, kIoError otherwise.
Status WriteFailure(const std::string& path, int err);

// pread(2) of exactly `length` bytes at `offset` (fewer only if the file is shorter).
Result<std::string> ReadAt(int fd, uint64_t offset, uint64_t length, const std::string& path);

// fsync(2) of a directory, so renames and creations in it survive a crash (base/files.h's
// FsyncDir gives the errno, for callers that take a directory removed meanwhile as no
// failure).
Status SyncDir(const std::string& dir);

// mkdir -p of `dir` below `base` (which must exist), fsyncing each parent of a directory it
// creates. A component that exists but is not a directory is kFailedPrecondition. A
// directory removed under it (a concurrent delete pruning the folder it emptied) is made
// again from `base`, a bounded number of times (then kUnavailable).
Status MakeDirsDurable(const std::string& base, const std::string& relative_dir);

// "<strerror(errno)>" for messages.
std::string ErrnoText(int err);

}  // namespace tributary::objstore::local
