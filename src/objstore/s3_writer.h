// The ObjectWriter of the S3 backend. Bytes are buffered; while the object stays at or
// under multipart_threshold, Commit sends one PutObject. Past the threshold the writer
// creates a multipart upload and sends each full part as soon as it has one (part_size,
// growing as parts accumulate: PartSizeFor), refusing before it would send part 10,001;
// Commit sends the rest as the last part and completes the upload. Abort (or destroying
// an uncommitted writer) aborts the multipart upload so S3 keeps no orphaned parts.
//
// Requests retried after an attempt that may have been applied (S3Client's Attempts):
// a conditional PutObject answered 412, or a CompleteMultipartUpload answered
// NoSuchUpload (or failing otherwise), may be seeing the object its own first attempt
// made: the writer then reads the key's ETag and succeeds if it is the one its bytes
// give (PutEtag, MultipartEtag). CreateMultipartUpload is not retried after such an
// attempt (a second upload would leave the first one unaborted): the write fails, and
// the caller writes again. A CompleteMultipartUpload answered 200 with an <Error> body is
// a failure (Call::error_in_2xx): retried if InternalError or SlowDown, with the same
// NoSuchUpload check after it.
//
// Thread-compatible: one writer is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "objstore/object_store.h"
#include "objstore/s3_client.h"

namespace tributary::objstore::s3 {

// Content-Type, Content-Encoding and x-amz-meta-* headers for PutOptions; a metadata
// name that is not an HTTP token is kInvalidArgument.
Result<std::vector<std::pair<std::string, std::string>>> HeadersFor(const PutOptions& options);
// If-None-Match: * and If-Match: "<etag>" for a WriteCondition, sent with the request
// that makes the object (PutObject or CompleteMultipartUpload); the store checks them
// (AWS S3 and MinIO do; a store that ignores them writes unconditionally).
std::vector<std::pair<std::string, std::string>> ConditionHeaders(const WriteCondition& condition);

// The ETags S3 gives what it stores, without quotes: PutObject's is the hex MD5 of the
// body; a multipart upload's the hex MD5 of its parts' binary MD5s, then "-<parts>".
// MultipartEtag is "" if a part's ETag is not an MD5 (SSE-KMS, some compatible stores).
std::string PutEtag(std::string_view body);
std::string MultipartEtag(const std::vector<std::string>& part_etags);

// The size of part `part_number` (from 1) of a multipart upload: `base` for the first
// `parts_per_step` parts, then doubling every `parts_per_step` parts, up to S3's 5 GiB.
// With 8 MiB and 1,000, the 10,000 parts S3 allows hold about 8 TiB (S3's objects stop
// at 5 TiB), while objects under 8 GB keep 8 MiB parts.
uint64_t PartSizeFor(uint64_t base, size_t part_number, int parts_per_step);

class S3Writer : public ObjectWriter {
 public:
  S3Writer(std::shared_ptr<S3Client> client, std::string bucket, std::string key,
           std::vector<std::pair<std::string, std::string>> headers, WriteCondition condition = {});
  ~S3Writer() override;

  Status Write(std::string_view data) override;
  Status Commit() override;
  void Abort() override;
  // S3's ETag for the object (it makes its own; PutOptions::etag is not sent): PutObject's
  // ETag header or CompleteMultipartUpload's <ETag>, else what S3 makes of the bytes or
  // parts sent (PutEtag, MultipartEtag), "" if neither can be told.
  std::string StoredEtag() const override { return stored_etag_; }

 private:
  Status StartMultipart();
  Status UploadPart(std::string_view part);
  uint64_t NextPartSize() const;
  Status PutWhole();
  Status Complete();
  // After a request that failed although an attempt of it may have been applied: whether
  // the object at the key is the one this writer sent (its ETag is `expected`).
  bool WrittenByEarlierAttempt(const std::string& op, const std::string& expected);

  std::shared_ptr<S3Client> client_;
  std::string bucket_, key_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::pair<std::string, std::string>> condition_headers_;
  std::string buffer_;
  std::string upload_id_;           // set once multipart has started
  std::vector<std::string> etags_;  // of the parts sent, in order
  bool closed_ = false;
  std::string stored_etag_;  // set by a Commit that succeeded
};

}  // namespace tributary::objstore::s3
