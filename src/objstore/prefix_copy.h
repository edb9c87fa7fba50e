// Copies between a key prefix of a bucket and a local directory tree, for work that
// needs files on disk: a training job's channels are downloaded before the trainer
// starts and its model directory is uploaded after; a model created from a lake URI
// is downloaded into the server's model cache.
//
//   TRY_ASSIGN(size_t n, DownloadPrefix(*bucket, "data/train/", "/scratch/job/train"));
//   TRY(UploadDirectory("/scratch/job/model", *bucket, "models/job/output/model/"));
//
// Key "<prefix>a/b.json" is file "<dir>/a/b.json" and back. Keys are validated by the
// store (no "." or ".." segments), so a download cannot write outside `dir`.
// Thread-compatible: the store calls block; run these on worker threads. A long copy
// can be ended between objects: `check` is called before each one, and a status other
// than OK ends the copy with that status (what is already written stays).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "base/status.h"
#include "objstore/object_store.h"

namespace tributary::objstore {

// Every object under `prefix` into `dir` (created as needed); returns how many
// objects were written. A key equal to the prefix itself (a folder marker) is skipped;
// one whose rest has a "." or ".." segment is an error (it would leave `dir`), before
// anything after it is written.
using CopyCheck = std::function<Status()>;

Result<size_t> DownloadPrefix(ObjectStore& bucket, const std::string& prefix, const std::string& dir,
                              const CopyCheck& check = {});

// Every regular file under `dir` to `prefix` + its relative path; returns how many.
Result<size_t> UploadDirectory(const std::string& dir, ObjectStore& bucket, const std::string& prefix,
                               const CopyCheck& check = {});

}  // namespace tributary::objstore
