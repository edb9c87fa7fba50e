#include "objstore/local_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "objstore/local_files.h"

namespace tributary::objstore::local {
namespace {

struct DirEntry {
  std::string name;
  bool is_dir = false;
  std::string sort_key;  // the name, and '/' after a folder's: how its keys sort
};

// Whether `entry` (of the open directory `dir`) is a folder, a file, or neither (a
// symbolic link, a socket...: never an object, as S3 has none).
enum class Kind { kFolder, kFile, kOther };
Kind KindOf(int dir, const struct dirent* entry) {
  switch (entry->d_type) {
    case DT_DIR:
      return Kind::kFolder;
    case DT_REG:
      return Kind::kFile;
    case DT_UNKNOWN:
      break;  // a file system that does not say: ask
    default:
      return Kind::kOther;
  }
  struct stat st;
  if (::fstatat(dir, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Kind::kOther;
  if (S_ISDIR(st.st_mode)) return Kind::kFolder;
  return S_ISREG(st.st_mode) ? Kind::kFile : Kind::kOther;
}

// The folders and files of the open folder `fd`, sorted as their keys sort. 0, or the
// errno of reading it.
int ReadSorted(int fd, std::vector<DirEntry>* out) {
  DIR* dir = ReadEntries(fd);
  if (dir == nullptr) return errno;
  errno = 0;
  while (const struct dirent* entry = ::readdir(dir)) {
    if (IsDotOrDotDot(entry->d_name)) continue;
    Kind kind = KindOf(fd, entry);
    if (kind == Kind::kOther) continue;
    DirEntry e;
    e.name = entry->d_name;
    e.is_dir = kind == Kind::kFolder;
    e.sort_key = e.is_dir ? e.name + "/" : e.name;
    out->push_back(std::move(e));
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return err;
  std::sort(out->begin(), out->end(),
            [](const DirEntry& a, const DirEntry& b) { return a.sort_key < b.sort_key; });
  return 0;
}

// The folder `name` of the open folder `parent`, opened without following a link in its
// place (one put there since the walk read `parent` lists nothing).
Fd OpenFolder(int parent, const std::string& name) {
  return Fd(::openat(parent, name.c_str(), FolderOpenFlags()));
}

// Whether the open folder `fd` holds an object (a regular file) at any depth: a folder
// left empty (a put's before its rename, or one a crash kept from pruning) is no common
// prefix, as it gives no key.
bool HoldsAnObject(int fd) {
  DIR* dir = ReadEntries(fd);
  if (dir == nullptr) return false;
  std::vector<std::string> folders;
  bool found = false;
  while (const struct dirent* entry = ::readdir(dir)) {
    if (IsDotOrDotDot(entry->d_name)) continue;
    Kind kind = KindOf(fd, entry);
    if (kind == Kind::kFile) {
      found = true;
      break;
    }
    if (kind == Kind::kFolder) folders.push_back(entry->d_name);
  }
  ::closedir(dir);
  if (found) return true;
  return std::any_of(folders.begin(), folders.end(), [fd](const std::string& name) {
    Fd child = OpenFolder(fd, name);
    return child.valid() && HoldsAnObject(child.get());
  });
}

bool StartsWith(const std::string& s, const std::string& start) {
  return s.compare(0, start.size(), start) == 0;
}

// One walk: the entries in key order into `result`, until the page is full.
class Walker {
 public:
  Walker(const std::string& skip_dir, const std::string& prefix, const std::string& delimiter,
         const ListOptions& options, const DescribeObject& describe)
      : skip_dir_(skip_dir),
        prefix_(prefix),
        delimiter_(delimiter),
        options_(options),
        describe_(describe) {}

  // The open folder `fd` at `path`, whose keys begin with `rel` ("" at the bucket, else
  // "a/b/").
  Status Walk(int fd, const std::string& path, const std::string& rel) {
    std::vector<DirEntry> entries;
    if (int err = ReadSorted(fd, &entries); err != 0) {
      // Not there (any more): a prefix naming no folder, or one a delete just pruned.
      if (err == ENOENT || err == ENOTDIR) return Status::Ok();
      return IoError("cannot list '" + path + "': " + ErrnoText(err));
    }
    for (const DirEntry& entry : entries) {
      if (done_) break;
      if (rel.empty() && entry.is_dir && entry.name == skip_dir_) continue;
      const std::string key = rel + entry.sort_key;  // a folder's with its '/'
      // Only the first level can hold names outside the prefix ("a/b" walks a/).
      if (!StartsWith(key, prefix_)) continue;
      const std::string child = path + "/" + entry.name;
      TRY(entry.is_dir ? Folder(fd, entry.name, child, key) : File(fd, entry.name, child, key));
    }
    return Status::Ok();
  }

  ListResult TakeResult() { return std::move(result_); }

 private:
  // The folder `name` of the open folder `parent`, at `path`, whose keys all begin with
  // `folder` ("a/b/").
  Status Folder(int parent, const std::string& name, const std::string& path,
                const std::string& folder) {
    // Its keys all sort before start_after unless start_after is among them or before it.
    if (folder < options_.start_after && !StartsWith(options_.start_after, folder))
      return Status::Ok();
    if (std::string common = CommonPrefixOf(folder); !common.empty()) {
      // Every key below has this common prefix: one entry, and no need to go in, unless
      // start_after lies inside it (ListOptions): then only a key after it gives it.
      if (common == last_common_ || common == options_.start_after) return Status::Ok();
      Fd fd = OpenFolder(parent, name);
      if (!fd.valid()) return Status::Ok();
      bool gives = false;
      if (common > options_.start_after) {
        gives = HoldsAnObject(fd.get());
      } else {
        TRY_ASSIGN(gives, HoldsAnObjectAfter(fd.get(), path, folder));
      }
      if (gives) AddCommonPrefix(std::move(common));
      return Status::Ok();
    }
    Fd fd = OpenFolder(parent, name);
    if (!fd.valid()) {
      // Gone since the walk read its parent, or a link or a file in its place: no keys.
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return IoError("cannot list '" + path + "': " + ErrnoText(errno));
    }
    return Walk(fd.get(), path, folder);
  }

  // The regular file `name` of the open folder `parent`, at `path`, of key `key`.
  Status File(int parent, const std::string& name, const std::string& path,
              const std::string& key) {
    if (std::string common = CommonPrefixOf(key); !common.empty()) {
      if (common != last_common_ && common != options_.start_after && key > options_.start_after)
        AddCommonPrefix(std::move(common));
      return Status::Ok();
    }
    if (key <= options_.start_after || !Room()) return Status::Ok();
    if (auto info = describe_(parent, name.c_str(), key, path)) {
      result_.objects.push_back(std::move(*info));
      ++entries_;
    }
    return Status::Ok();
  }

  // Whether the open folder `fd` at `path`, whose keys begin with `folder`, holds an object
  // whose key sorts after start_after: a walk of it without a delimiter that stops at the
  // first.
  Result<bool> HoldsAnObjectAfter(int fd, const std::string& path, const std::string& folder) {
    ListOptions first;
    first.start_after = options_.start_after;
    first.max_keys = 1;
    const std::string no_delimiter;
    Walker inside(skip_dir_, folder, no_delimiter, first, describe_);
    TRY(inside.Walk(fd, path, folder));
    return !inside.TakeResult().objects.empty();
  }

  // The common prefix `key` (or a folder's path) folds into: up to and including the
  // delimiter's first occurrence after the prefix, wholly inside `key`; "" if none.
  std::string CommonPrefixOf(const std::string& key) const {
    if (delimiter_.empty()) return "";
    size_t at = key.find(delimiter_, prefix_.size());
    return at == std::string::npos ? "" : key.substr(0, at + delimiter_.size());
  }

  void AddCommonPrefix(std::string common) {
    if (!Room()) return;
    last_common_ = common;
    result_.common_prefixes.push_back(std::move(common));
    ++entries_;
  }

  // Whether the page has room for another entry; when it has none, that entry says the
  // listing goes on past the page, and the walk ends.
  bool Room() {
    if (options_.max_keys == 0 || entries_ < options_.max_keys) return true;
    result_.truncated = true;
    done_ = true;
    return false;
  }

  const std::string& skip_dir_;
  const std::string& prefix_;
  const std::string& delimiter_;
  const ListOptions& options_;
  const DescribeObject& describe_;
  ListResult result_;
  std::string last_common_;  // common prefixes come in order: equal ones one after another
  size_t entries_ = 0;
  bool done_ = false;
};

}  // namespace

Result<ListResult> WalkListing(const std::string& bucket_dir, const std::string& start_rel,
                               const std::string& skip_dir, const std::string& prefix,
                               const std::string& delimiter, const ListOptions& options,
                               const DescribeObject& describe) {
  Walker walker(skip_dir, prefix, delimiter, options, describe);
  const std::string start = start_rel.empty() ? bucket_dir : bucket_dir + "/" + start_rel;
  Folders folders;
  if (int err = folders.Open(bucket_dir, start_rel); err != 0) {
    // A prefix naming no folder, one a delete just pruned, or one through a link.
    if (err == ENOENT || err == ENOTDIR || err == ELOOP) return ListResult{};
    return IoError("cannot list '" + start + "': " + ErrnoText(err));
  }
  TRY(walker.Walk(folders.innermost(), start, start_rel.empty() ? "" : start_rel + "/"));
  return walker.TakeResult();
}

}  // namespace tributary::objstore::local
