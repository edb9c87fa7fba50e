// POSIX helpers for the local backend: whole writes and reads on descriptors, durable
// directory creation, and walking folders without following symbolic links. Errors name
// the path and the OS's reason. Thread-compatible (no shared state).
#pragma once

#include <dirent.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "base/status.h"

namespace tributary::objstore::local {

// write(2) until all of `data` is written (EINTR retried).
Status WriteAll(int fd, std::string_view data, const std::string& path);

// The status for a write to `path` that failed with `err`: kResourceExhausted when the
// disk or quota is full, kIoError otherwise.
Status WriteFailure(const std::string& path, int err);

// pread(2) of exactly `length` bytes at `offset` (fewer only if the file is shorter).
Result<std::string> ReadAt(int fd, uint64_t offset, uint64_t length, const std::string& path);

// A stream of the entries of the open folder `fd` (which stays open, and is read from its
// start; closedir(3) it), or nullptr with errno set.
DIR* ReadEntries(int fd);
// "." and "..", which ReadEntries gives too.
bool IsDotOrDotDot(const char* name);

// openat(2) flags for a folder below the bucket: a symbolic link in its place is not
// followed (the open fails: ENOTDIR).
int FolderOpenFlags();

// The folders from a bucket's directory down to one below it ("a/b" of the key "a/b/c"),
// each opened relative to the one above with O_NOFOLLOW: a symbolic link someone left in
// the lake is never followed out of it (List never shows one either), and a folder
// renamed or replaced by a link meanwhile is not followed into. The bucket's directory
// itself is opened as configured, links and all.
//
// The descriptors stay open, so that a caller acts in the very folders it checked (makes,
// renames and removes entries with the *at(2) calls) and can prune them upwards.
class Folders {
 public:
  // Opens `base` and the folders `relative_dir` ("" for none) names below it: 0, or the
  // errno: ENOENT (one is missing), ENOTDIR (one is a file or a device), ELOOP (one is a
  // symbolic link), or what open(2) said.
  int Open(const std::string& base, std::string_view relative_dir);

  // mkdir -p of `relative_dir` below `base` (which must exist), fsyncing each parent of a
  // folder it makes, and opens them as Open does. A segment that is a symbolic link is
  // kFailedPrecondition ("a segment of the key is a symbolic link in the lake directory");
  // one that is an object (a file) is kFailedPrecondition too. A folder removed under it
  // (a concurrent delete pruning the folder it emptied) is made again from `base`, a
  // bounded number of times (then kUnavailable). made_from() tells which it made.
  Status Make(const std::string& base, std::string_view relative_dir);
  // The shallowest level (1..) any Make of this object made a folder at, 0 if none: the
  // folders from there down are this writer's, for it to remove if it fails.
  size_t made_from() const { return made_from_; }
  // Removes the folders Make made (from the deepest open one up to made_from()) as long
  // as they are empty: a write that failed leaves none behind, to be taken for a prefix.
  void RemoveMade();
  // Removes the folders from the deepest open one up to level `shallowest` (1..) while
  // they are empty, each from the parent it was opened in (so never past the base); one
  // already gone (ENOENT) is passed over. The level whose folder records the last
  // removal: shallowest - 1 if all went, else the first that would not go.
  size_t RemoveEmptyUpTo(size_t shallowest) const;

  // How many folders below the base are open (the segments of relative_dir).
  size_t depth() const { return names_.size(); }
  // The descriptor of the folder at `level` (0: the base; depth(): the deepest).
  int fd(size_t level) const { return fds_[level].get(); }
  int innermost() const { return fds_.back().get(); }
  // The name of the folder at `level` (1..depth()) in its parent.
  const std::string& name(size_t level) const { return names_[level - 1]; }
  // "base/a/b" up to `level`, for messages.
  std::string PathTo(size_t level) const;

 private:
  // One pass of Make; *vanished: a folder was removed under it, start again.
  Status MakeOnce(std::string_view relative_dir, bool* vanished);
  // Opens the folder `name` below the innermost one: 0 or errno, as Open.
  int Enter(const std::string& name);

  std::string base_;
  std::vector<Fd> fds_;
  std::vector<std::string> names_;
  size_t made_from_ = 0;
};

// What RemoveFoldersWithoutObjects did.
enum class FolderRemoval {
  kRemoved,        // it held no object: gone, with its folders (or it was gone already)
  kHoldsAnObject,  // a regular file somewhere below: left as it is
  kNotRemoved,     // no object, but something else (a link, a device) or an error: left
};

// Removes the folder `name` of the open folder `parent` and the folders in it, all the
// way down, if none holds an object (a regular file): such a tree gives no key, and
// stands in the way of an object of its name. Links are not followed, nor removed.
FolderRemoval RemoveFoldersWithoutObjects(int parent, const std::string& name);

// Opens `relative` ("a/b/c") below the open folder `dir_fd` with open(2) `flags`, following
// no symbolic link on the way or at its end: a descriptor, or -1 with errno set (ENOENT,
// ENOTDIR, ELOOP for a link...). One openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
// where the kernel has it (Linux 5.6; a container's seccomp profile may still refuse it),
// else a walk of openat(2) with O_NOFOLLOW, segment by segment, which costs a call per
// segment (on the development VM, opening an object four folders deep took 31 us
// walked, 9.4 us with openat2, 7.5 us by path).
int OpenBeneath(int dir_fd, const std::string& relative, int flags);

// Tests: whether OpenBeneath may use openat2 (true unless the kernel refused it once).
void SetOpenat2ForTesting(bool allowed);

// Why a key cannot be written: a segment of it is a symbolic link (`where`, a path for
// the operator to look at). kFailedPrecondition.
Status SymlinkInKey(const std::string& where);

// "<strerror(errno)>" for messages.
std::string ErrnoText(int err);

}  // namespace tributary::objstore::local
