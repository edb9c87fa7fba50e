#include "objstore/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "base/clock.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/log.h"
#include "objstore/file_appender.h"
#include "objstore/local_files.h"
#include "objstore/local_listing.h"

namespace tributary::objstore {
namespace fs = std::filesystem;
using local::ErrnoText;
using local::Folders;

namespace {

// How often a writer makes its folder again and retries when a concurrent delete pruned it
// between the mkdir and the rename.
constexpr int kPlaceAttempts = 100;

ObjectInfo InfoFromStat(const std::string& key, const struct stat& st) {
  ObjectInfo info;
  info.key = key;
  info.size = static_cast<uint64_t>(st.st_size);
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.modified_ms = mtime_ns / 1000000;
  char etag[64];
  std::snprintf(etag, sizeof(etag), "%llx-%llx", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(mtime_ns));
  info.etag = etag;
  return info;
}

constexpr char kEtagAttribute[] = "user.tributary.etag";
constexpr char kChecksumAttribute[] = "user.tributary.checksum";

// Extended attributes carrying PutOptions. Returns the errno of the first failure, or 0.
int SetAttributes(int fd, const PutOptions& options) {
  auto set = [&](const std::string& name, const std::string& value) {
    return ::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) == 0 ? 0 : errno;
  };
  if (options.content_type != PutOptions{}.content_type)
    if (int err = set("user.tributary.content_type", options.content_type)) return err;
  if (!options.content_encoding.empty())
    if (int err = set("user.tributary.content_encoding", options.content_encoding)) return err;
  for (const auto& [name, value] : options.metadata)
    if (int err = set("user.tributary.meta." + name, value)) return err;
  if (!options.etag.empty() || !options.checksum.empty()) {
    // With the file's own tag (size and time) beside them: an edit in place by another
    // program changes that, and the given ETag and checksum, no longer the bytes', are not
    // read back.
    struct stat st;
    if (::fstat(fd, &st) != 0) return errno;
    const std::string own = InfoFromStat("", st).etag;
    if (!options.etag.empty())
      if (int err = set(kEtagAttribute, options.etag + " " + own)) return err;
    if (!options.checksum.empty())
      if (int err = set(kChecksumAttribute, options.checksum + " " + own)) return err;
  }
  return 0;
}

// The ETag PutOptions gave the object, from its attribute `value`, into `info` (which
// holds the file's own tag, from InfoFromStat), if the file is still as it was written.
void TakeGivenEtag(std::string_view value, ObjectInfo* info) {
  size_t space = value.rfind(' ');
  if (space != std::string_view::npos && value.substr(space + 1) == info->etag) info->etag = value.substr(0, space);
}

// TakeGivenEtag for the object at `path` (a link there is not followed).
void ReadEtag(const std::string& path, ObjectInfo* info) {
  char value[160];
  ssize_t length = ::lgetxattr(path.c_str(), kEtagAttribute, value, sizeof value);
  if (length > 0) TakeGivenEtag(std::string_view(value, static_cast<size_t>(length)), info);
}

// ReadEtag for the file open as `fd`.
void ReadEtag(int fd, ObjectInfo* info) {
  char value[160];
  ssize_t length = ::fgetxattr(fd, kEtagAttribute, value, sizeof value);
  if (length > 0) TakeGivenEtag(std::string_view(value, static_cast<size_t>(length)), info);
}

// The ETag reads will give the file open as `fd` (its own, or the given one its attribute
// keeps), "" if it cannot be told.
std::string EtagAsRead(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return "";
  ObjectInfo info = InfoFromStat("", st);
  ReadEtag(fd, &info);
  return info.etag;
}

// A key's folder ("a/b" of "a/b/c", "" for a key at the top) and its name in it ("c").
std::pair<std::string_view, std::string> SplitKey(const std::string& key) {
  size_t slash = key.rfind('/');
  if (slash == std::string::npos) return {std::string_view(), key};
  return {std::string_view(key).substr(0, slash), key.substr(slash + 1)};
}

// open(2) flags for reading an object: a link in its place is not followed (ELOOP), and a
// FIFO someone left there does not block the open (it is no object: fstat tells).
constexpr int kObjectOpenFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

// Whether an errno of opening a key's folders or the object names no object there: a
// segment missing, a file where a folder would be, or a symbolic link (never followed;
// EXDEV: one that would lead out of the bucket).
bool NoObject(int err) { return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV; }

// Opens the object `key` of the bucket directory `dir` for reading, through its folders,
// following no symbolic link: 0, or the errno (NoObject: nothing there).
int OpenObject(const std::string& dir, const std::string& key, Fd* out) {
  Fd bucket(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!bucket.valid()) return errno;
  Fd object(local::OpenBeneath(bucket.get(), key, kObjectOpenFlags));
  if (!object.valid()) return errno;
  *out = std::move(object);
  return 0;
}

// Why the if_match `condition` of a write of `key` does not hold: no object.
Status MissingObject(const WriteCondition& condition, const std::string& key,
                     const std::string& bucket) {
  return NotFound("object '" + key + "' does not exist in bucket '" + bucket + "'" +
                  (condition.if_match == "*"
                       ? ""
                       : ", so it has no ETag '" + condition.if_match + "' to match"));
}

// Whether `condition` holds for the object now named `name` in the folder `dir_fd` (key
// `key` of `bucket`): OK, or why not. Called under the key's lock.
Status CheckCondition(const WriteCondition& condition, int dir_fd, const std::string& name,
                      const std::string& key, const std::string& bucket) {
  if (condition.if_match.empty()) return Status::Ok();
  Fd fd(::openat(dir_fd, name.c_str(), kObjectOpenFlags));
  struct stat st;
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return MissingObject(condition, key, bucket);
  ObjectInfo info = InfoFromStat(key, st);
  ReadEtag(fd.get(), &info);
  if (condition.if_match != "*" && info.etag != condition.if_match) {
    return FailedPrecondition("object '" + key + "' in bucket '" + bucket + "' has ETag '" +
                              info.etag + "', not '" + condition.if_match +
                              "': it changed since it was read");
  }
  return Status::Ok();
}

// The PutOptions SetAttributes stored on the file open as `fd`, into `info` (none where
// the file system keeps no extended attributes).
void ReadAttributes(int fd, ObjectInfo* info) {
  ssize_t size = ::flistxattr(fd, nullptr, 0);
  if (size <= 0) return;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::flistxattr(fd, names.data(), names.size());
  if (size <= 0) return;
  names.resize(static_cast<size_t>(size));
  const std::string own_tag = info->etag;  // InfoFromStat's
  constexpr std::string_view kPrefix = "user.tributary.";
  constexpr std::string_view kMeta = "user.tributary.meta.";
  for (size_t at = 0; at < names.size();) {
    std::string name(names.c_str() + at);
    at += name.size() + 1;
    if (name.rfind(kPrefix, 0) != 0) continue;
    ssize_t length = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (length < 0) continue;
    std::string value(static_cast<size_t>(length), '\0');
    length = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (length < 0) continue;
    value.resize(static_cast<size_t>(length));
    if (name == "user.tributary.content_type") {
      info->content_type = std::move(value);
    } else if (name == "user.tributary.content_encoding") {
      info->content_encoding = std::move(value);
    } else if (name == kEtagAttribute) {
      TakeGivenEtag(value, info);
    } else if (name == kChecksumAttribute) {
      // Compared with the file's own tag, whether the given ETag replaced it already or not.
      size_t space = value.rfind(' ');
      if (space != std::string::npos && value.substr(space + 1) == own_tag) info->checksum = value.substr(0, space);
    } else if (name.rfind(kMeta, 0) == 0) {
      info->metadata[name.substr(kMeta.size())] = std::move(value);
    }
  }
}

// A temp file in <bucket>/.tributary-tmp/ renamed into place on Commit.
class LocalObjectWriter : public ObjectWriter {
 public:
  // `temp_dir` is the open temp folder, `temp_name` the file `fd` is, in it.
  LocalObjectWriter(std::string bucket, std::string dir, std::string key, Fd temp_dir,
                    std::string temp_name, int fd, PutOptions options,
                    std::shared_ptr<std::atomic<bool>> warned, std::shared_ptr<KeyLocks> locks)
      : bucket_(std::move(bucket)),
        dir_(std::move(dir)),
        key_(std::move(key)),
        temp_dir_(std::move(temp_dir)),
        temp_name_(std::move(temp_name)),
        temp_path_(dir_ + "/" + kLocalTempDir + "/" + temp_name_),
        fd_(fd),
        appender_(fd, temp_path_),
        options_(std::move(options)),
        warned_xattrs_(std::move(warned)),
        locks_(std::move(locks)) {}
  ~LocalObjectWriter() override { Abort(); }

  Status Write(std::string_view data) override {
    if (fd_ < 0) return FailedPrecondition("writer for '" + key_ + "' is already closed");
    Status st = appender_.Append(data);
    if (!st.ok()) Abort();
    return st;
  }

  void SetEtag(std::string etag) override { options_.etag = std::move(etag); }
  void SetChecksum(std::string checksum) override { options_.checksum = std::move(checksum); }
  std::string StoredEtag() const override { return committed_ ? etag_ : ""; }

  Status Commit() override {
    if (fd_ < 0) return FailedPrecondition("writer for '" + key_ + "' is already closed");
    Status st = Finish();
    if (!st.ok()) Abort();
    return st;
  }

  void Abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!temp_name_.empty()) {
      ::unlinkat(temp_dir_.get(), temp_name_.c_str(), 0);
      temp_name_.clear();
    }
  }

 private:
  Status Finish() {
    TRY(appender_.Finish());
    if (int err = SetAttributes(fd_, options_); err != 0 && !warned_xattrs_->exchange(true)) {
      Logger("objstore")
          ->warn(
              "bucket={} dir={} msg=\"content type, encoding and metadata are not kept: extended "
              "attributes unavailable ({})\"",
              bucket_, dir_, ErrnoText(err));
    }
    if (::fsync(fd_) != 0) return IoError("cannot fsync '" + temp_path_ + "': " + ErrnoText(errno));
    // Read back rather than assumed: a file system that kept no attribute (or not the
    // ETag's) gives the file's own tag to reads, and so to whoever answers this one.
    etag_ = EtagAsRead(fd_);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return IoError("cannot close '" + temp_path_ + "': " + ErrnoText(errno));

    auto [parent_rel, name] = SplitKey(key_);
    // Made and opened without following a link, and the object placed relative to the
    // folder opened: a link in the lake never takes the write elsewhere.
    Folders folders;
    if (Status st = PlaceInto(&folders, parent_rel, name); !st.ok()) {
      // No folder of a write that failed stays behind: an empty one would keep its name
      // from ever being an object (and its own key, if_match, from being found).
      folders.RemoveMade();
      return st;
    }
    temp_name_.clear();
    committed_ = true;
    // The folder holds the object now, so only a delete of this very key, done since,
    // can have emptied and pruned it: the put happened, and there is nothing to sync
    // (fsync of the removed folder does no harm).
    if (::fsync(folders.innermost()) != 0)
      return IoError("cannot fsync directory '" + folders.PathTo(folders.depth()) +
                     "': " + ErrnoText(errno));
    return Status::Ok();
  }

  // Opens (or makes) the folder `parent_rel` into `folders` and places the temp file in it
  // as `name`, under the write's condition.
  Status PlaceInto(Folders* folders, std::string_view parent_rel, const std::string& name) {
    // The object a replace-only write is for has its folders already: they are opened,
    // not made, and a write refused for want of it makes nothing.
    const bool replace_only = !options_.condition.if_match.empty();
    bool cleared = false;  // a folder of the key's name, holding no object, was removed
    // A concurrent Delete may remove an empty parent between mkdir and rename: make it
    // again and retry (bounded; each retry needs another delete to land in between).
    for (int attempt = 1;; ++attempt) {
      if (replace_only) {
        int err = folders->Open(dir_, parent_rel);
        if (err == ELOOP) return local::SymlinkInKey(key_).WithContext(Refusal());
        if (NoObject(err)) return MissingObject(options_.condition, key_, bucket_);
        if (err != 0)
          return IoError("cannot open directory '" + dir_ + "/" + std::string(parent_rel) +
                         "': " + ErrnoText(err));
      } else {
        TRY(folders->Make(dir_, parent_rel).WithContext(Refusal()));
      }
      const int parent = folders->innermost();
      int err = 0;
      {
        // The key's writes and deletes one at a time, so that a condition checked still
        // holds when the object appears.
        std::lock_guard lock(locks_->For(key_));
        struct stat st;
        if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
          return local::SymlinkInKey(key_).WithContext(Refusal());
        TRY(CheckCondition(options_.condition, parent, name, key_, bucket_));
        err = Place(parent, name);
      }
      if (err == 0) return Status::Ok();
      if (err == ENOENT && attempt < kPlaceAttempts) continue;
      struct stat st;
      if (err == EEXIST && options_.condition.if_absent &&
          ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        return FailedPrecondition("object '" + key_ + "' already exists in bucket '" + bucket_ +
                                  "' (the write was to create it only)");
      }
      if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
        // A folder of the key's name. One that holds no object gives no key (a crash's
        // leftover, or a failed write's from before they were removed): it goes, and the
        // write is tried again. One that holds an object refuses the key for good.
        local::FolderRemoval removal = local::FolderRemoval::kHoldsAnObject;
        if (!cleared && attempt < kPlaceAttempts) {
          removal = local::RemoveFoldersWithoutObjects(parent, name);
          cleared = removal == local::FolderRemoval::kRemoved;
          if (cleared) continue;
        }
        if (removal == local::FolderRemoval::kNotRemoved)
          return FailedPrecondition(Refusal() + ": the folder '" + key_ +
                                    "/' is in the way; it holds no object, but something else "
                                    "(a symbolic link, a device) that the lake leaves alone: "
                                    "remove it, or write another key");
        return FailedPrecondition(Refusal() + ": other objects have it as a prefix ('" + key_ +
                                  "/...'); the local backend cannot hold both");
      }
      if (err == ENOENT)
        return Unavailable(Refusal() + ": its folder '" + std::string(parent_rel) +
                           "' was removed by concurrent deletes " + std::to_string(kPlaceAttempts) +
                           " times running; try again");
      return IoError("cannot move '" + temp_path_ + "' to '" + dir_ + "/" + key_ +
                     "': " + ErrnoText(err));
    }
  }

  std::string Refusal() const { return "cannot put '" + key_ + "' in bucket '" + bucket_ + "'"; }

  // The temp file becomes the object `name` in the folder `parent`: renamed over what is
  // there, or, to create only, linked (which fails with EEXIST when the key is taken) and
  // unlinked. 0 or errno.
  int Place(int parent, const std::string& name) {
    const int temp_dir = temp_dir_.get();
    const char* temp = temp_name_.c_str();
    if (!options_.condition.if_absent)
      return ::renameat(temp_dir, temp, parent, name.c_str()) == 0 ? 0 : errno;
    if (::linkat(temp_dir, temp, parent, name.c_str(), 0) != 0) {
      int err = errno;
      if (err != EPERM && err != ENOTSUP) return err;
      // A file system without hard links: a rename that does not replace.
      return ::renameat2(temp_dir, temp, parent, name.c_str(), RENAME_NOREPLACE) == 0 ? 0 : errno;
    }
    ::unlinkat(temp_dir, temp, 0);  // a crash before it leaves a temp file the next open sweeps
    return 0;
  }

  std::string bucket_, dir_, key_;
  Fd temp_dir_;
  std::string temp_name_;  // "" once placed or removed
  std::string temp_path_;  // for messages
  int fd_;
  local::FileAppender appender_;  // large objects bypass the page cache
  PutOptions options_;
  std::shared_ptr<std::atomic<bool>> warned_xattrs_;
  std::shared_ptr<KeyLocks> locks_;
  std::string etag_;        // as reads will give it, once the bytes are synced
  bool committed_ = false;  // the object is in place
};

// The temp folder of the bucket directory `dir`, open, made if missing. A link in its
// place is refused, not followed: temp files would be written, and old ones swept,
// wherever it points.
Result<Fd> OpenTempFolder(const std::string& dir) {
  Folders bucket;
  int err = bucket.Open(dir, "");
  if (err == ENOENT) {  // someone removed the bucket's directory: make it again
    TRY(MakeDirs(dir));
    err = bucket.Open(dir, "");
  }
  if (err != 0) return IoError("cannot open bucket directory '" + dir + "': " + ErrnoText(err));
  const std::string temp_dir = dir + "/" + kLocalTempDir;
  Fd fd(::openat(bucket.innermost(), kLocalTempDir, local::FolderOpenFlags()));
  if (!fd.valid() && errno == ENOENT) {  // someone removed it: make it again
    if (::mkdirat(bucket.innermost(), kLocalTempDir, 0755) != 0 && errno != EEXIST)
      return IoError("cannot create directory '" + temp_dir + "': " + ErrnoText(errno));
    fd = Fd(::openat(bucket.innermost(), kLocalTempDir, local::FolderOpenFlags()));
  }
  if (!fd.valid() && errno == ENOTDIR) {
    return IoError("'" + temp_dir +
                   "' is not a folder (a symbolic link or a file): the local lake keeps the "
                   "objects being written there and follows no link; remove it, and it is made "
                   "again");
  }
  if (!fd.valid()) return IoError("cannot open directory '" + temp_dir + "': " + ErrnoText(errno));
  return fd;
}

// Removes the regular files older than kStaleTempAgeMs from the open temp folder.
void SweepStaleTempFiles(int temp_dir) {
  DIR* entries = local::ReadEntries(temp_dir);
  if (entries == nullptr) return;
  std::vector<std::string> stale;
  int64_t now_ms = WallMillis();
  while (const struct dirent* entry = ::readdir(entries)) {
    struct stat st;
    if (::fstatat(temp_dir, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    int64_t age_ms = now_ms - static_cast<int64_t>(st.st_mtim.tv_sec) * 1000;
    if (age_ms > kStaleTempAgeMs) stale.push_back(entry->d_name);
  }
  ::closedir(entries);
  for (const std::string& name : stale) ::unlinkat(temp_dir, name.c_str(), 0);
}

}  // namespace

LocalObjectStore::LocalObjectStore(std::string bucket, std::string dir, int64_t temp_sweep_every_ms)
    : bucket_(std::move(bucket)),
      dir_(std::move(dir)),
      warned_xattrs_(std::make_shared<std::atomic<bool>>(false)),
      locks_(std::make_shared<KeyLocks>()),
      temp_sweep_every_ms_(temp_sweep_every_ms),
      next_temp_sweep_ms_(WallMillis() + temp_sweep_every_ms) {}

Result<std::string> LocalObjectStore::PathOf(const std::string& key) const {
  TRY(ValidateKey(key));
  auto refuse = [&](const std::string& why) {
    return InvalidArgument("object key '" + key + "' " + why + " (local backend, bucket '" +
                           bucket_ + "')");
  };
  size_t start = 0;
  bool first = true;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    size_t len = end - start;
    if (len == 0) return refuse("has an empty segment (\"a//b\" or a trailing '/')");
    if (len > 255) return refuse("has a segment longer than 255 bytes");
    if (first && key.compare(start, len, kLocalTempDir) == 0)
      return refuse(std::string("is under the reserved ") + kLocalTempDir + "/");
    first = false;
    start = end + 1;
  }
  return dir_ + "/" + key;
}

Result<std::unique_ptr<ObjectWriter>> LocalObjectStore::NewWriter(const std::string& key,
                                                                  const PutOptions& options) {
  TRY(PathOf(key).status());
  TRY_ASSIGN(Fd temp_dir, OpenTempFolder(dir_));
  // A server that runs for long still clears what a crash before its start left.
  int64_t due = next_temp_sweep_ms_.load(std::memory_order_relaxed);
  if (WallMillis() >= due &&
      next_temp_sweep_ms_.compare_exchange_strong(due, WallMillis() + temp_sweep_every_ms_)) {
    SweepStaleTempFiles(temp_dir.get());
  }
  std::string temp_name = RandomHex(12);
  int fd =
      ::openat(temp_dir.get(), temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return IoError("cannot create '" + dir_ + "/" + kLocalTempDir + "/" + temp_name +
                   "': " + ErrnoText(errno));
  }
  return std::unique_ptr<ObjectWriter>(std::make_unique<LocalObjectWriter>(
      bucket_, dir_, key, std::move(temp_dir), std::move(temp_name), fd, options, warned_xattrs_,
      locks_));
}

Result<std::string> LocalObjectStore::Get(const std::string& key, std::optional<ByteRange> range) {
  TRY_ASSIGN(std::string path, PathOf(key));
  Fd object;
  if (int err = OpenObject(dir_, key, &object); err != 0) {
    if (NoObject(err))
      return NotFound("object '" + key + "' does not exist in bucket '" + bucket_ + "'");
    return IoError("cannot open '" + path + "': " + ErrnoText(err));
  }
  const int fd = object.get();
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return NotFound("object '" + key + "' does not exist in bucket '" + bucket_ + "'");
  if (range && !range->if_match.empty()) {
    // The ETag of the file this descriptor reads, as Head gives it.
    ObjectInfo info = InfoFromStat(key, st);
    ReadEtag(fd, &info);
    if (info.etag != range->if_match) {
      return FailedPrecondition("object '" + key + "' in bucket '" + bucket_ + "' has ETag '" +
                                info.etag + "', not '" + range->if_match + "': it was replaced");
    }
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = range ? range->offset : 0;
  if (offset > size) {
    return InvalidArgument("range starts at byte " + std::to_string(offset) + " but object '" +
                           key + "' has " + std::to_string(size) + " bytes");
  }
  uint64_t length = size - offset;
  if (range && range->length) length = std::min(length, *range->length);
  return local::ReadAt(fd, offset, length, path);
}

Result<ObjectInfo> LocalObjectStore::Head(const std::string& key) {
  TRY_ASSIGN(std::string path, PathOf(key));
  Fd object;
  if (int err = OpenObject(dir_, key, &object); err != 0) {
    if (NoObject(err))
      return NotFound("object '" + key + "' does not exist in bucket '" + bucket_ + "'");
    return IoError("cannot open '" + path + "': " + ErrnoText(err));
  }
  struct stat st;
  if (::fstat(object.get(), &st) != 0)
    return IoError("cannot stat '" + path + "': " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode))
    return NotFound("object '" + key + "' does not exist in bucket '" + bucket_ + "'");
  ObjectInfo info = InfoFromStat(key, st);
  ReadAttributes(object.get(), &info);
  return info;
}

Result<ListResult> LocalObjectStore::List(const std::string& prefix, const std::string& delimiter,
                                          const ListOptions& options) {
  // Walk only the directory the prefix's last '/' names; filter the rest by name.
  size_t slash = prefix.rfind('/');
  std::string start_rel = slash == std::string::npos ? "" : prefix.substr(0, slash);
  // No key has a '.', '..' or empty segment, or lies under .tributary-tmp/: a prefix whose
  // directory part does names nothing, and that directory is not walked ("../" would
  // leave the bucket).
  if (!start_rel.empty() && !PathOf(start_rel).ok()) return ListResult{};
  auto describe = [](int dir_fd, const char* name, const std::string& key,
                     const std::string& path) -> std::optional<ObjectInfo> {
    struct stat st;
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      return std::nullopt;
    ObjectInfo info = InfoFromStat(key, st);
    ReadEtag(path, &info);
    return info;
  };
  return local::WalkListing(dir_, start_rel, kLocalTempDir, prefix, delimiter, options, describe);
}

Status LocalObjectStore::Delete(const std::string& key) { return Remove(key, nullptr); }

Status LocalObjectStore::DeleteIf(const std::string& key, const std::string& if_match) {
  WriteCondition condition;
  condition.if_match = if_match.empty() ? "*" : if_match;
  return Remove(key, &condition);
}

Status LocalObjectStore::Remove(const std::string& key, const WriteCondition* condition) {
  auto no_object = [&] {
    if (condition == nullptr) return Status::Ok();
    return NotFound("object '" + key + "' does not exist in bucket '" + bucket_ + "'");
  };
  auto mapped = PathOf(key);
  if (!mapped.ok()) {
    // A key S3 takes but this backend cannot hold ("folder/", "a//b") names no object:
    // deleting it is done, as on S3 (s3fs and rclone delete such folder markers).
    TRY(ValidateKey(key));
    return no_object();
  }
  const std::string& path = *mapped;
  // Through folders opened without following a link, and only a regular file: a link in
  // the lake is no object (List never shows one), and nothing it points at is removed.
  auto [parent_rel, name] = SplitKey(key);
  Folders folders;
  if (int err = folders.Open(dir_, parent_rel); err != 0) {
    if (NoObject(err)) return no_object();
    return IoError("cannot open the folder of '" + path + "': " + ErrnoText(err));
  }
  const int parent = folders.innermost();
  int err = 0;
  {
    std::lock_guard lock(locks_->For(key));
    if (condition != nullptr) {
      TRY(CheckCondition(*condition, parent, name, key, bucket_));
    } else {
      struct stat st;
      if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return Status::Ok();  // nothing, a folder ("a" of "a/b"), a link
    }
    if (::unlinkat(parent, name.c_str(), 0) != 0) err = errno;
  }
  if (err != 0) {
    if (err == ENOENT || err == ENOTDIR || err == EISDIR) return Status::Ok();
    return IoError("cannot delete '" + path + "': " + ErrnoText(err));
  }
  return PruneEmptyFolders(folders, path);
}

Status LocalObjectStore::PruneEmptyFolders(const Folders& folders, const std::string& path) {
  // Other deletes prune the same folders at once, and puts fill them again: a folder
  // already gone (ENOENT) is passed over, and the first that will not go (ENOTEMPTY, or
  // anything else: pruning is tidying, not part of the delete) ends the climb, which
  // never leaves the bucket.
  size_t level = folders.RemoveEmptyUpTo(1);
  // The last removal is recorded in the folder at `level`. If another delete pruned it
  // since (no links left), that delete's removal is recorded further up: sync the nearest
  // folder that is still there.
  while (true) {
    struct stat st;
    const int fd = folders.fd(level);
    if (level > 0 && ::fstat(fd, &st) == 0 && st.st_nlink == 0) {
      --level;
      continue;
    }
    if (::fsync(fd) == 0) return Status::Ok();
    return IoError("deleted '" + path + "' but cannot fsync directory '" + folders.PathTo(level) +
                   "' (the delete may not survive a crash): " + ErrnoText(errno));
  }
}

std::string LocalObjectStore::Describe() const { return "local:" + dir_; }

Result<std::unique_ptr<LocalObjectStoreProvider>> LocalObjectStoreProvider::Open(
    const std::string& root) {
  if (root.empty())
    return InvalidArgument("lake.local_root is empty; name the directory that holds the buckets");
  TRY(MakeDirs(root));
  std::error_code ec;
  std::string absolute = fs::absolute(root, ec).lexically_normal().string();
  if (ec) return IoError("cannot resolve lake root '" + root + "': " + ec.message());
  while (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  return std::unique_ptr<LocalObjectStoreProvider>(new LocalObjectStoreProvider(absolute));
}

Result<std::shared_ptr<ObjectStore>> LocalObjectStoreProvider::Bucket(const std::string& name) {
  TRY(ValidateBucketName(name));
  std::lock_guard lock(mu_);
  if (auto it = buckets_.find(name); it != buckets_.end()) return it->second;
  std::string dir = root_ + "/" + name;
  TRY(MakeDirs(dir));
  TRY_ASSIGN(Fd temp_dir, OpenTempFolder(dir));
  SweepStaleTempFiles(temp_dir.get());
  auto store = std::make_shared<LocalObjectStore>(name, dir);
  buckets_[name] = store;
  return std::shared_ptr<ObjectStore>(store);
}

}  // namespace tributary::objstore
