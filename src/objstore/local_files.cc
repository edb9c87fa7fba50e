#include "objstore/local_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/files.h"

namespace tributary::objstore::local {

std::string ErrnoText(int err) { return std::strerror(err); }

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return WriteFailure(path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteFailure(const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT)
    return ResourceExhausted("cannot write '" + path + "': " + ErrnoText(err));
  return IoError("cannot write '" + path + "': " + ErrnoText(err));
}

Result<std::string> ReadAt(int fd, uint64_t offset, uint64_t length, const std::string& path) {
  std::string out;
  out.resize(length);
  uint64_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read '" + path + "': " + ErrnoText(errno));
    }
    if (n == 0) break;  // the file shrank under us (replaced objects keep their inode)
    got += static_cast<uint64_t>(n);
  }
  out.resize(got);
  return out;
}

namespace {

// How often MakeDirsDurable starts over when a directory it made, or was about to make
// one in, is removed under it. Each time needs a delete to empty and prune the folder
// exactly between two of its steps, so a handful of racing deletes never use them up.
constexpr int kMakeDirsAttempts = 100;

// One pass of MakeDirsDurable: OK with *vanished false when every directory exists, OK
// with *vanished true when one was removed under it (a concurrent delete pruning the
// folder it emptied: mkdir or the parent's fsync then meets ENOENT), an error otherwise.
Status MakeDirsOnce(const std::string& base, const std::string& relative_dir, bool* vanished) {
  *vanished = false;
  std::string current = base;
  size_t start = 0;
  while (start < relative_dir.size()) {
    size_t end = relative_dir.find('/', start);
    if (end == std::string::npos) end = relative_dir.size();
    std::string parent = current;
    current += "/" + relative_dir.substr(start, end - start);
    start = end + 1;
    if (::mkdir(current.c_str(), 0755) == 0) {
      int err = FsyncDir(parent);
      if (err == ENOENT) {
        *vanished = true;
        return Status::Ok();
      }
      if (err != 0) return IoError("cannot fsync directory '" + parent + "': " + ErrnoText(err));
      continue;
    }
    int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(current.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
      if (errno == ENOENT) {  // pruned between the mkdir and the stat
        *vanished = true;
        return Status::Ok();
      }
      // Named relative to `base` (the bucket): the server's directories are not the
      // client's business.
      return FailedPrecondition("'" + relative_dir.substr(0, end) +
                                "' is an object, so it cannot also be a prefix of other objects");
    }
    if (err == ENOENT) {
      *vanished = true;
      return Status::Ok();
    }
    if (err == ENOTDIR)
      return FailedPrecondition("a parent of '" + relative_dir.substr(0, end) +
                                "' is an object, so it cannot also be a prefix of other objects");
    return IoError("cannot create directory '" + current + "': " + ErrnoText(err));
  }
  return Status::Ok();
}

}  // namespace

Status SyncDir(const std::string& dir) {
  if (int err = FsyncDir(dir); err != 0)
    return IoError("cannot fsync directory '" + dir + "': " + ErrnoText(err));
  return Status::Ok();
}

Status MakeDirsDurable(const std::string& base, const std::string& relative_dir) {
  for (int attempt = 0; attempt < kMakeDirsAttempts; ++attempt) {
    bool vanished = false;
    TRY(MakeDirsOnce(base, relative_dir, &vanished));
    if (!vanished) return Status::Ok();
  }
  return Unavailable("cannot create directory '" + base + "/" + relative_dir + "': it was " +
                     "removed again by concurrent deletes emptying it " +
                     std::to_string(kMakeDirsAttempts) + " times running; try again");
}

}  // namespace tributary::objstore::local
