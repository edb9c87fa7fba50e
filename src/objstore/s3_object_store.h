// S3ObjectStore: one bucket of an S3-compatible service (AWS S3, MinIO, Ceph RGW,
// s3rver in tests), spoken to through S3Client (signing, retries, error mapping).
//
//   Put / NewWriter   PutObject; above multipart_threshold the writer switches to
//                     CreateMultipartUpload + UploadPart (part_size each, doubling every
//                     1,000 parts; at most 10,000 parts) + CompleteMultipartUpload, and
//                     AbortMultipartUpload if not committed. Memory per writer: about
//                     max(threshold, current part size) bytes.
//   Get               GetObject, with a Range header for a ByteRange
//   Head              HeadObject (size, Last-Modified, ETag without quotes)
//   List              ListObjectsV2, following continuation tokens to the last page
//   Delete            DeleteObject (a missing key is OK; a missing bucket is kNotFound)
//
// PutOptions travel as Content-Type, Content-Encoding and x-amz-meta-<name> (names are
// lower-cased, as S3 stores them). The bucket must exist: a missing one is kNotFound
// from the first request (Bucket() does no request).
//
// Thread-safety: all methods may be called from any thread at once; they block.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "objstore/object_store.h"
#include "objstore/s3_client.h"

namespace tributary::objstore {

class S3ObjectStore : public ObjectStore {
 public:
  S3ObjectStore(std::string bucket, std::shared_ptr<s3::S3Client> client);

  Result<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key,
                                                  const PutOptions& options = {}) override;
  Result<std::string> Get(const std::string& key,
                          std::optional<ByteRange> range = std::nullopt) override;
  Result<ObjectInfo> Head(const std::string& key) override;
  Result<ListResult> List(const std::string& prefix, const std::string& delimiter = "",
                          const ListOptions& options = {}) override;
  Status Delete(const std::string& key) override;
  // DeleteObject with If-Match, which the store checks (AWS S3 does). A 404 after an
  // attempt that may have deleted the object is success.
  Status DeleteIf(const std::string& key, const std::string& if_match) override;
  std::string Describe() const override;

 private:
  std::string bucket_;
  std::shared_ptr<s3::S3Client> client_;
};

class S3ObjectStoreProvider : public ObjectStoreProvider {
 public:
  // Validates the configuration (endpoint URL, credentials, part size); no request is sent.
  static Result<std::unique_ptr<S3ObjectStoreProvider>> Open(const ObjectStoreConfig& config,
                                                             s3::S3Options options = {});

  Result<std::shared_ptr<ObjectStore>> Bucket(const std::string& name) override;

  const std::shared_ptr<s3::S3Client>& client() const { return client_; }

 private:
  explicit S3ObjectStoreProvider(std::shared_ptr<s3::S3Client> client)
      : client_(std::move(client)) {}
  std::shared_ptr<s3::S3Client> client_;
  std::mutex mu_;  // guards buckets_
  std::map<std::string, std::shared_ptr<ObjectStore>> buckets_;
};

}  // namespace tributary::objstore
