// LocalObjectStore: a bucket is a directory, <root>/<bucket>/, and a key is a path
// under it ("2026/11/30/a.json" -> <root>/<bucket>/2026/11/30/a.json).
//
// How the ObjectStore promises are kept on a POSIX filesystem:
//  - atomic objects: a writer fills <root>/<bucket>/.tributary-tmp/<random>, fsyncs it,
//    renames it into place and fsyncs the directory, so a reader (or a crash) sees the
//    old object or the new one, never a mix. List never shows .tributary-tmp/; temp
//    files older than an hour (a crashed writer's) are removed when the bucket is opened
//    and, while it is in use, by the first writer after each hour.
//  - large objects: past 1 MiB a writer switches its temp file to O_DIRECT, so a lake
//    object costs no page-cache copy (file_appender.h); smaller ones are written as usual.
//  - keys: on top of ValidateKey, this backend refuses keys it cannot map to distinct
//    paths: empty segments ("a//b", "a/"), segments over 255 bytes, and keys under
//    ".tributary-tmp/". A key cannot be both an object and a "directory" of others
//    ("a" and "a/b"): the second Put fails with kFailedPrecondition naming both. A
//    folder that holds no object is no prefix: a Put of its name removes it. A write that
//    fails removes the folders it made (and one with if_match makes none).
//  - Head: size and mtime from fstat(2); the etag is "<size hex>-<mtime ns hex>" — it
//    changes whenever the object is replaced, but it is not an MD5 as on S3.
//  - PutOptions (content type, encoding, user metadata) are kept as extended attributes
//    (user.tributary.content_type, user.tributary.content_encoding,
//    user.tributary.meta.<name>) set before the rename. On a filesystem without xattrs
//    they are dropped with one warning per bucket; object bytes are never affected.
//  - Delete removes the file and then every directory it leaves empty, up to the bucket.
//  - symbolic links below the bucket's directory are never followed: every folder of a
//    key is opened relative to the one above with O_NOFOLLOW (local_files.h, Folders), the
//    object too, and the object is placed and removed relative to its folder. A key
//    through a link names no object (Get, Head: kNotFound; Delete: nothing to delete, and
//    nothing removed), a write of one is kFailedPrecondition ("a segment of the key is a
//    symbolic link in the lake directory"), and List shows none. A link in the place of
//    .tributary-tmp/ fails writers (kIoError) and is never swept.
//
//  - conditional writes (PutOptions::condition): the key's writes and deletes through
//    this process take turns at the moment they make or remove the object (one of 64
//    locks, by the key's hash), so a condition is checked and the object placed with no
//    other write of the key between; to create only, the temp file is linked into place,
//    which the file system refuses when the key is taken. Another process writing the
//    same directory is not held off. If-Match compares ETags: an object put without one
//    (PutOptions::etag) has the file's own, of its size and time, which two writes of one
//    size within a tick of the file system's clock share. (The inode number would tell
//    them apart, but crawlers and ETL bookmarks keep ETags: a lake copied or restored with
//    its times kept, `cp -a` or `rsync -a`, would then look entirely new to them, and a
//    job would process every object again.)
//
// Thread-safety: all methods may be called from any thread; concurrent Puts of the same
// key are last-rename-wins, as on S3.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "objstore/local_files.h"
#include "objstore/object_store.h"

namespace tributary::objstore {

// The name of the per-bucket directory that holds objects being written.
inline constexpr char kLocalTempDir[] = ".tributary-tmp";
// How old a temp file is when it is taken for a crashed writer's and removed.
inline constexpr int64_t kStaleTempAgeMs = 3600 * 1000;

// A bucket's key locks: a key's writes and deletes hold its lock while they place or
// remove the object (shared with writers, which may outlive the store).
class KeyLocks {
 public:
  std::mutex& For(const std::string& key) { return locks_[std::hash<std::string>{}(key) % kCount]; }

 private:
  static constexpr size_t kCount = 64;
  std::mutex locks_[kCount];
};

class LocalObjectStore : public ObjectStore {
 public:
  // `dir` is the bucket directory; it must exist (the provider creates it, and sweeps its
  // temp directory). Writers sweep it again every `temp_sweep_every_ms` from now.
  LocalObjectStore(std::string bucket, std::string dir,
                   int64_t temp_sweep_every_ms = kStaleTempAgeMs);

  Result<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key,
                                                  const PutOptions& options = {}) override;
  Result<std::string> Get(const std::string& key,
                          std::optional<ByteRange> range = std::nullopt) override;
  Result<ObjectInfo> Head(const std::string& key) override;
  Result<ListResult> List(const std::string& prefix, const std::string& delimiter = "",
                          const ListOptions& options = {}) override;
  Status Delete(const std::string& key) override;
  Status DeleteIf(const std::string& key, const std::string& if_match) override;
  std::string Describe() const override;
  Status CheckKey(const std::string& key) const override { return PathOf(key).status(); }
  // Also kFailedPrecondition: a key conflict (an object where a prefix is wanted, or the
  // reverse) stays until someone deletes the object, and a failed condition is final.
  bool IsPermanentRefusal(const Status& status) const override {
    return status.code() == ErrorCode::kInvalidArgument ||
           status.code() == ErrorCode::kFailedPrecondition;
  }

  // The path a key maps to, after every check above, for messages and tests (the store
  // itself never opens it by this path: see symbolic links above).
  Result<std::string> PathOf(const std::string& key) const;

 private:
  // Delete, under `condition` if given (its if_match).
  Status Remove(const std::string& key, const WriteCondition* condition);
  // After the object at `path` was unlinked from the innermost of `folders`: removes the
  // folders that left empty, up to the bucket, and syncs the folder the last removal was
  // made in.
  Status PruneEmptyFolders(const local::Folders& folders, const std::string& path);

  std::string bucket_;
  std::string dir_;
  // Shared with writers, which may outlive this object: set once the missing-xattr
  // warning has been logged.
  std::shared_ptr<std::atomic<bool>> warned_xattrs_;
  std::shared_ptr<KeyLocks> locks_;
  // When a writer next sweeps the temp directory of stale files (ms since the epoch).
  const int64_t temp_sweep_every_ms_;
  std::atomic<int64_t> next_temp_sweep_ms_;
};

class LocalObjectStoreProvider : public ObjectStoreProvider {
 public:
  // Creates `root` if needed. An empty root is kInvalidArgument (lake.local_root).
  static Result<std::unique_ptr<LocalObjectStoreProvider>> Open(const std::string& root);

  Result<std::shared_ptr<ObjectStore>> Bucket(const std::string& name) override;

 private:
  explicit LocalObjectStoreProvider(std::string root) : root_(std::move(root)) {}
  std::string root_;
  std::mutex mu_;  // guards buckets_
  std::map<std::string, std::shared_ptr<ObjectStore>> buckets_;
};

}  // namespace tributary::objstore
