#include "objstore/local_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

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

int FolderOpenFlags() { return O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC; }

Status SymlinkInKey(const std::string& where) {
  return FailedPrecondition("a segment of the key is a symbolic link in the lake directory ('" +
                            where +
                            "'); the local backend never follows one out of the lake: replace "
                            "the link with a folder, or write another key");
}

namespace {

// Whether openat2(2) may be tried: cleared when the kernel (or a seccomp filter) refuses it.
std::atomic<bool> openat2_usable{true};

}  // namespace

void SetOpenat2ForTesting(bool allowed) { openat2_usable.store(allowed); }

int OpenBeneath(int dir_fd, const std::string& relative, int flags) {
  if (openat2_usable.load(std::memory_order_relaxed)) {
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir_fd, relative.c_str(), &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
    openat2_usable.store(false);  // not in this kernel, or filtered out: walk from now on
  }
  Fd current;
  int at = dir_fd;
  size_t start = 0;
  for (size_t slash; (slash = relative.find('/', start)) != std::string::npos; start = slash + 1) {
    Fd next(::openat(at, relative.substr(start, slash - start).c_str(), FolderOpenFlags()));
    if (!next.valid()) return -1;
    current = std::move(next);
    at = current.get();
  }
  return ::openat(at, relative.c_str() + start, flags | O_NOFOLLOW);
}

namespace {

// How often Folders::Make starts over when a folder it made, or was about to make one in,
// is removed under it. Each time needs a delete to empty and prune the folder exactly
// between two of its steps, so a handful of racing deletes never use them up.
constexpr int kMakeAttempts = 100;

}  // namespace

std::string Folders::PathTo(size_t level) const {
  std::string path = base_;
  for (size_t i = 1; i <= level && i <= names_.size(); ++i) path += "/" + names_[i - 1];
  return path;
}

int Folders::Enter(const std::string& name) {
  int parent = innermost();
  int fd = ::openat(parent, name.c_str(), FolderOpenFlags());
  if (fd < 0) {
    int err = errno;
    // O_DIRECTORY | O_NOFOLLOW on a link says ENOTDIR, as for a file: tell them apart.
    struct stat st;
    if (err == ENOTDIR && ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
      err = ELOOP;
    return err;
  }
  fds_.emplace_back(fd);
  names_.push_back(name);
  return 0;
}

int Folders::Open(const std::string& base, std::string_view relative_dir) {
  base_ = base;
  fds_.clear();
  names_.clear();
  int fd = ::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  fds_.emplace_back(fd);
  size_t start = 0;
  while (start < relative_dir.size()) {
    size_t end = std::min(relative_dir.find('/', start), relative_dir.size());
    if (int err = Enter(std::string(relative_dir.substr(start, end - start))); err != 0) return err;
    start = end + 1;
  }
  return 0;
}

Status Folders::MakeOnce(std::string_view relative_dir, bool* vanished) {
  *vanished = false;
  int err = Open(base_, "");
  if (err != 0) return IoError("cannot open directory '" + base_ + "': " + ErrnoText(err));
  size_t start = 0;
  while (start < relative_dir.size()) {
    size_t end = std::min(relative_dir.find('/', start), relative_dir.size());
    const std::string name(relative_dir.substr(start, end - start));
    // Named relative to the bucket: the server's directories are not the client's business.
    const std::string shown(relative_dir.substr(0, end));
    start = end + 1;
    if (::mkdirat(innermost(), name.c_str(), 0755) == 0) {
      // fsync of a folder a delete removed meanwhile succeeds; the Enter below, or the
      // caller's rename into it, then meets ENOENT.
      if (::fsync(innermost()) != 0) {
        int err = errno;
        ::unlinkat(innermost(), name.c_str(), AT_REMOVEDIR);  // not entered: RemoveMade cannot
        return IoError("cannot fsync directory '" + PathTo(depth()) + "': " + ErrnoText(err));
      }
      if (made_from_ == 0 || depth() + 1 < made_from_) made_from_ = depth() + 1;
    } else if (errno == ENOENT) {  // the folder to make it in was pruned
      *vanished = true;
      return Status::Ok();
    } else if (errno != EEXIST) {
      return IoError("cannot create directory '" + PathTo(depth()) + "/" + name +
                     "': " + ErrnoText(errno));
    }
    err = Enter(name);
    if (err == 0) continue;
    if (err == ENOENT) {  // pruned between the mkdir and the open
      *vanished = true;
      return Status::Ok();
    }
    if (err == ELOOP) return SymlinkInKey(shown);
    if (err == ENOTDIR)
      return FailedPrecondition("'" + shown +
                                "' is an object, so it cannot also be a prefix of other objects");
    return IoError("cannot open directory '" + PathTo(depth()) + "/" + name +
                   "': " + ErrnoText(err));
  }
  return Status::Ok();
}

void Folders::RemoveMade() {
  // One not empty holds another write's object, or one on its way.
  if (made_from_ != 0) (void)RemoveEmptyUpTo(made_from_);
}

size_t Folders::RemoveEmptyUpTo(size_t shallowest) const {
  size_t level = depth();
  while (level >= shallowest && level > 0) {
    if (::unlinkat(fd(level - 1), name(level).c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) break;
    --level;
  }
  return level;
}

bool IsDotOrDotDot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

DIR* ReadEntries(int fd) {
  int own = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own < 0) return nullptr;
  DIR* dir = ::fdopendir(own);
  if (dir == nullptr) {
    int err = errno;
    ::close(own);
    errno = err;
  }
  return dir;
}

FolderRemoval RemoveFoldersWithoutObjects(int parent, const std::string& name) {
  Fd folder(::openat(parent, name.c_str(), FolderOpenFlags()));
  if (!folder.valid())
    return errno == ENOENT ? FolderRemoval::kRemoved : FolderRemoval::kNotRemoved;
  DIR* entries = ReadEntries(folder.get());
  if (entries == nullptr) return FolderRemoval::kNotRemoved;
  std::vector<std::string> folders;
  FolderRemoval result = FolderRemoval::kRemoved;
  while (const struct dirent* entry = ::readdir(entries)) {
    if (IsDotOrDotDot(entry->d_name)) continue;
    struct stat st;
    if (::fstatat(folder.get(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
    if (S_ISDIR(st.st_mode)) {
      folders.emplace_back(entry->d_name);
    } else if (S_ISREG(st.st_mode)) {
      result = FolderRemoval::kHoldsAnObject;
      break;
    } else {
      result = FolderRemoval::kNotRemoved;
    }
  }
  ::closedir(entries);
  if (result == FolderRemoval::kHoldsAnObject) return result;
  for (const std::string& child : folders) {
    FolderRemoval below = RemoveFoldersWithoutObjects(folder.get(), child);
    if (below == FolderRemoval::kHoldsAnObject) return below;
    if (below != FolderRemoval::kRemoved) result = below;
  }
  if (result != FolderRemoval::kRemoved) return result;
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return result;
  // Filled meanwhile: by an object on its way, or a put's folder before its rename.
  return errno == ENOTEMPTY || errno == EEXIST ? FolderRemoval::kHoldsAnObject
                                               : FolderRemoval::kNotRemoved;
}

Status Folders::Make(const std::string& base, std::string_view relative_dir) {
  base_ = base;
  for (int attempt = 0; attempt < kMakeAttempts; ++attempt) {
    bool vanished = false;
    TRY(MakeOnce(relative_dir, &vanished));
    if (!vanished) return Status::Ok();
  }
  return Unavailable("cannot create directory '" + base + "/" + std::string(relative_dir) +
                     "': it was removed again by concurrent deletes emptying it " +
                     std::to_string(kMakeAttempts) + " times running; try again");
}

}  // namespace tributary::objstore::local
