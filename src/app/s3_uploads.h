// S3UploadStore: the S3 API's multipart uploads in progress (CreateMultipartUpload,
// UploadPart, CompleteMultipartUpload, AbortMultipartUpload). Each part is a file under
// <dir>/<upload id>/ until the upload completes, when the parts are written in order
// through one ObjectWriter (the object appears whole, or not at all) and the directory is
// removed. Uploads live as long as the server: a restart forgets them (their parts are
// removed at start) and a client's next call gets NoSuchUpload. An upload a client
// abandoned (no part for `stale_after`, a day by default, as MinIO's stale upload expiry) is
// aborted at the next CreateMultipartUpload, so its parts do not fill the disk.
//
// Thread-safety: every method may be called from any thread at once (parts of one
// upload arrive in parallel).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/s3_checksums.h"
#include "base/status.h"
#include "objstore/object_store.h"

namespace tributary::app {

// Hex MD5 of `data`: S3's ETag of an object put whole, or of a part.
std::string Md5Hex(std::string_view data);

class S3UploadStore {
 public:
  struct Options {
    std::chrono::milliseconds stale_after = std::chrono::hours(24);
    std::function<int64_t()> now;  // Unix ms; default the wall clock
  };
  // Removes what a previous server left under `dir`.
  explicit S3UploadStore(std::string dir);
  S3UploadStore(std::string dir, Options options);

  struct Upload {
    std::string bucket;
    std::string key;
    objstore::PutOptions options;
    // CreateMultipartUpload's x-amz-checksum-algorithm and -type: the object's checksum,
    // of the parts' (COMPOSITE: the algorithm over the parts' digests, "<base64>-<parts>")
    // or of the whole object (FULL_OBJECT, the CRCs).
    std::optional<S3ChecksumAlgorithm> checksum_algorithm;
    bool full_object_checksum = false;
  };
  struct PartRef {
    int number = 0;
    std::string etag;      // as UploadPart answered it, quotes optional
    std::string checksum;  // the part's checksum in the upload's algorithm (base64), if given
  };
  // What CompleteMultipartUpload made.
  struct Completed {
    std::string etag;             // "<md5 of the parts' md5s>-<n>"
    std::string checksum_header;  // "x-amz-checksum-crc32", "" without an algorithm
    std::string checksum;         // its value: "<base64>-<n>" (COMPOSITE) or "<base64>"
  };

  // A new upload id.
  Result<std::string> Create(Upload upload);
  // The upload `id` names, for `bucket` and `key` (NotFound otherwise).
  Result<Upload> Get(const std::string& id, const std::string& bucket, const std::string& key) const;
  // Stores part `number` (1..10000) of upload `id`; returns its ETag (hex MD5).
  Result<std::string> PutPart(const std::string& id, int number, std::string_view bytes);
  // Part `number` of upload `id` written piece by piece (a part past the HTTP body
  // limit): it takes the place of an earlier one with that number on Commit, with the
  // ETag given to SetEtag (its MD5), which must come first. NotFound for no such upload.
  Result<std::unique_ptr<objstore::ObjectWriter>> NewPartWriter(const std::string& id, int number);
  // CompleteMultipartUpload up to the object's appearance: the parts `parts` names, in
  // their order (ascending numbers, ETags matching what was stored; every part but the
  // last at least 5 MiB, as S3 requires), written to `writer`, which makes the object on
  // its Commit (refused there if `condition` does not hold, objstore::WriteCondition);
  // after a Commit the caller forgets the upload (Abort). With a checksum algorithm, each
  // part's is computed as it is written and checked against the one listed
  // (InvalidArgument, and no writer, if they differ), and the object keeps its checksum
  // (PutOptions::checksum).
  struct Assembled {
    std::unique_ptr<objstore::ObjectWriter> writer;
    Completed done;  // its etag the parts' multipart ETag, given to the writer
    objstore::ObjectStore* bucket = nullptr;
    std::string key;

    // Makes the object (the writer's Commit) and answers `done` with the ETag the lake
    // stored, which reads give back: the parts' multipart ETag where the lake keeps a
    // given one (a local lake), the store's own on an S3 lake (its writer uploads in its
    // own part sizes, and S3 makes the ETag).
    Result<Completed> Commit();
  };
  Result<Assembled> Assemble(const std::string& id, const std::vector<PartRef>& parts,
                             objstore::ObjectStore* bucket,
                             const objstore::WriteCondition& condition);
  // Forgets the upload and its parts (NotFound if there is none).
  Status Abort(const std::string& id);
  // Aborts the uploads that got no part for `stale_after`; how many. Create calls it.
  int AbortStale();

 private:
  class PartWriter;
  std::string PartPath(const std::string& id, int number) const;
  // Records part `number`'s ETag (NotFound if the upload was aborted meanwhile).
  Status NotePart(const std::string& id, int number, const std::string& etag);
  // Renames a part writer's file (`partial`) into place as part `number` and notes its
  // ETag, under mu_: of two writers of one part, the ETag kept is the bytes' kept.
  Status KeepPart(const std::string& id, int number, const std::string& partial,
                  const std::string& path, const std::string& etag);

  // Notes a call on upload `id` (mu_ held).
  void Touch(const std::string& id) { touched_ms_[id] = options_.now(); }

  const std::string dir_;
  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Upload> uploads_;
  std::map<std::string, int64_t> touched_ms_;  // id -> the last call on it, Unix ms
  std::map<std::string, std::map<int, std::string>> part_etags_;  // id -> number -> md5 hex
};

}  // namespace tributary::app
