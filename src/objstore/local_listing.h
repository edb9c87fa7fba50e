// Listing a local bucket by walking its directories in key order, so that a page costs
// what the page holds, not what the bucket holds. LocalObjectStore::List's walk.
//
// S3 lists keys in byte order. A folder "a" holds the keys "a/...", which sort together
// where the string "a/" sorts among its siblings: after a file "a-b" ('-' < '/'), before
// a file "a0". So each directory's entries are sorted by name, a folder's name with '/'
// after it, and walked in that order, a folder's keys in its place:
//
//   bucket/  a  (folder: a/x)   a-b   a0        walked as   a-b, a/x, a0
//
// With a delimiter, a folder whose path already holds it after the prefix is one common
// prefix and is not entered (beyond finding that it holds an object at all): listing
// "2026/" with "/" reads 2026/'s entries, not every object under them. Entries up to
// ListOptions::start_after are passed over, folders wholly before it unread, and the walk
// stops at the first entry past max_keys.
//
// Folders are opened relative to the one above without following a symbolic link (a link
// is never an object or a folder here, as S3 has none), from the bucket's directory down.
//
// Thread-compatible; the directories may change under the walk (objects put and deleted,
// folders pruned): a folder gone before it is read lists nothing.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "objstore/object_store.h"

namespace tributary::objstore::local {

// The object of `key`, the entry `name` of the open folder `dir_fd` (at `path`), a regular
// file when the walk saw it; nullopt if it is no longer one.
using DescribeObject = std::function<std::optional<ObjectInfo>(
    int dir_fd, const char* name, const std::string& key, const std::string& path)>;

// The listing of the keys under `prefix` in the bucket directory `bucket_dir`, walked from
// its subdirectory `start_rel` ("" for the bucket itself; the prefix's part up to its last
// '/', which the caller has checked names no reserved or escaping path; a link on the way
// there lists nothing). The bucket's
// top-level `skip_dir` (the temp directory) is never listed. IoError naming the directory
// for a directory that cannot be read.
Result<ListResult> WalkListing(const std::string& bucket_dir, const std::string& start_rel,
                               const std::string& skip_dir, const std::string& prefix,
                               const std::string& delimiter, const ListOptions& options,
                               const DescribeObject& describe);

}  // namespace tributary::objstore::local
