// ObjectStore: the data lake as the rest of Tributary sees it — one bucket of objects
// addressed by keys ("2026/11/30/14/pollution-1-2026-11-30-14-02-11-<uuid>").
//
// Backends: LocalObjectStore (a directory, the default: <data-dir>/lake/<bucket>/) and
// S3ObjectStore (any S3-compatible service, SigV4-signed). Both give the same promises:
//  - a reader never sees a half-written object: Put and NewWriter(...)->Commit() make
//    the whole object visible at once, or nothing;
//  - keys are 1..1024 bytes of UTF-8 without NUL, "." or ".." segments, or a leading
//    "/"; anything else is kInvalidArgument naming the key;
//  - List returns keys in byte order; with a delimiter, keys that contain it after the
//    prefix are folded into common prefixes (S3's ListObjectsV2 semantics); ListOptions
//    asks for one page (entries after a key, at most so many);
//  - a missing key is kNotFound; a backend that is down is kUnavailable (after the
//    backend's own retries).
//
// Thread-safety: every method may be called from any thread at once.
//
//   TRY_ASSIGN(auto lake, OpenObjectStores(config));
//   TRY_ASSIGN(auto bucket, lake->Bucket("iot-data"));
//   TRY(bucket->Put("2026/11/30/14/a.json", "{\"ozone\":3}\n"));
//   TRY_ASSIGN(auto listing, bucket->List("2026/11/", "/"));
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::objstore {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  int64_t modified_ms = 0;  // Unix epoch milliseconds
  std::string etag;         // opaque; "" when the backend has none
  // What the object was put with (PutOptions): filled by Head, left empty by List.
  std::string content_type;                     // "" when it was the default
  std::string content_encoding;
  std::map<std::string, std::string> metadata;  // user metadata (x-amz-meta-*)
  std::string checksum;  // PutOptions::checksum, when the backend keeps it and the bytes are as put
};

struct ListResult {
  std::vector<ObjectInfo> objects;           // in key order
  std::vector<std::string> common_prefixes;  // in order, each ending with the delimiter
  bool truncated = false;  // ListOptions::max_keys cut it short: more entries follow
};

// One page of a listing (S3's start-after or continuation token, and max-keys). Its
// entries are the objects and common prefixes together, in byte order as one list.
struct ListOptions {
  // Only entries that sort after this, as S3's start-after: the objects whose keys sort
  // after it, and the common prefixes of those keys but for start_after itself. So after
  // "a/b" the common prefix "a/" is given if a key "a/c" is there (S3 gives it), and after
  // "a/" it is not: a page that ended with a folder's common prefix is followed by what
  // comes after the whole folder.
  std::string start_after;
  // At most this many entries; 0: every one. A listing cut short says so (truncated).
  size_t max_keys = 0;
};

// Whether an entry a listing found may be on a page after `start_after` (ListOptions): an
// object whose key sorts after it; a common prefix that sorts after it or that it lies
// inside (whose store gave it for a later key), but not `start_after` itself.
bool MayFollow(const std::string& start_after, const std::string& entry, bool common_prefix);

// Bytes [offset, offset + length) of an object; no length means to the end.
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  // When not empty: the bytes are read only from the object that has this ETag (as Head
  // gives it), else FailedPrecondition. A read in pieces passes the first Head's, so that
  // it never mixes two versions of an object replaced meanwhile.
  std::string if_match;
};

// What a write requires of the object it would replace (S3's conditional writes,
// If-None-Match: * and If-Match), checked at Commit atomically with making the object
// visible: no other write or delete of the key comes between the check and the write.
// A condition that does not hold fails the Commit with kFailedPrecondition naming what
// was found (if_match of a key that has no object: kNotFound), and nothing is written.
struct WriteCondition {
  bool if_absent = false;  // only if the key has no object
  std::string if_match;    // only if the key's object has this ETag (unquoted; "*": any object)
  bool any() const { return if_absent || !if_match.empty(); }
};

struct PutOptions {
  std::string content_type = "application/octet-stream";
  std::string content_encoding;               // "gzip" for compressed records
  std::map<std::string, std::string> metadata;  // user metadata (x-amz-meta-*)
  // An ETag the caller computed for the bytes (the S3 API's MD5, as it answered the
  // upload): a backend without ETags of its own (the local one) gives it back from Head
  // and List from then on; S3 stores make their own and ignore it (a writer's StoredEtag
  // says which the object got).
  std::string etag;
  // An S3 additional checksum the caller checked the bytes against, as its header and
  // value ("x-amz-checksum-crc32:<base64>"): kept and given back like `etag` (by Head) by a
  // backend that does not compute its own (the local one); S3 stores ignore it.
  std::string checksum;
  WriteCondition condition;
};

// A streamed upload. Nothing is visible until Commit() returns OK; destroying a writer
// that was not committed aborts it (temporary file removed, multipart upload aborted).
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Write(std::string_view data) = 0;
  // PutOptions::etag known only once the bytes are written (an upload's MD5, computed as
  // it streams): before Commit. Backends that make their own ETags ignore it.
  virtual void SetEtag(std::string etag) { (void)etag; }
  // PutOptions::checksum known only once the bytes are written, likewise.
  virtual void SetChecksum(std::string checksum) { (void)checksum; }
  virtual Status Commit() = 0;
  virtual void Abort() = 0;
  // After a Commit that returned OK: the ETag the object was stored with, the one Head,
  // List and ByteRange::if_match give back, for a caller that answers it (the S3 API).
  // The given one (PutOptions::etag, SetEtag) where the backend keeps it (the local lake,
  // on a file system with extended attributes), else the backend's own: on S3 the MD5 of
  // a single PutObject, or the multipart ETag of the parts this writer sent, in its own
  // part sizes. "" before Commit, or from a writer that cannot tell (then ask Head).
  virtual std::string StoredEtag() const { return ""; }
};

// One bucket.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual Result<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key,
                                                          const PutOptions& options = {}) = 0;
  // Put in one call (a writer with one Write).
  virtual Status Put(const std::string& key, std::string_view data,
                     const PutOptions& options = {});
  virtual Result<std::string> Get(const std::string& key,
                                  std::optional<ByteRange> range = std::nullopt) = 0;
  virtual Result<ObjectInfo> Head(const std::string& key) = 0;
  // The objects under `prefix`: all of them, or the page `options` asks for. An empty
  // delimiter lists recursively. A backend reads no more than the page needs where it
  // can (the local one walks folders in key order and stops; S3 pages by start-after).
  virtual Result<ListResult> List(const std::string& prefix, const std::string& delimiter = "",
                                  const ListOptions& options = {}) = 0;
  // Deleting a missing key is OK (as in S3).
  virtual Status Delete(const std::string& key) = 0;
  // Deletes only if the key's object has ETag `if_match` (unquoted; "*": any object),
  // checked atomically with the delete (S3's conditional delete): else kFailedPrecondition
  // naming the ETag found, or kNotFound when there is no object. A backend that cannot
  // check so answers kUnimplemented.
  virtual Status DeleteIf(const std::string& key, const std::string& if_match);

  // "local:/srv/tributary-data/lake/iot-data" or "s3://iot-data (http://127.0.0.1:9000)".
  virtual std::string Describe() const = 0;

  // Whether this bucket can hold `key` at all, by its backend's own rules: ValidateKey's,
  // plus the local lake's (segments of 1..255 bytes, nothing under .tributary-tmp/).
  // InvalidArgument naming the key and the rule if not. For callers that make keys from a
  // template, to refuse the template before any object waits on it.
  virtual Status CheckKey(const std::string& key) const;
  // Whether a write that failed with `status` would fail however often it was retried:
  // the store refuses the key or the object as such, and only another key would do.
  // kInvalidArgument on every backend; the local lake adds kFailedPrecondition, its key
  // conflicts ("a" an object and "a/b" wanted), which no retry clears.
  virtual bool IsPermanentRefusal(const Status& status) const {
    return status.code() == ErrorCode::kInvalidArgument;
  }
};

// Where the lake lives. Config keys under "lake" (docs/configuration.md).
struct ObjectStoreConfig {
  std::string backend = "local";  // "local" or "s3"
  std::string local_root;         // local: buckets are directories under it
  // s3:
  std::string endpoint;           // "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com"
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;      // optional
  bool path_style = true;         // false: virtual-host addressing (bucket.host)
  uint64_t multipart_threshold = 16ull << 20;  // objects above it use multipart upload
  uint64_t part_size = 8ull << 20;             // >= 5 MiB as S3 requires
  int max_attempts = 5;           // per request, with exponential backoff on 5xx/timeouts
  int timeout_ms = 30000;
};

// Hands out buckets of one backend.
class ObjectStoreProvider {
 public:
  virtual ~ObjectStoreProvider() = default;
  // The bucket must be a valid S3 bucket name (3..63 of [a-z0-9.-]). Local buckets are
  // created on first use; S3 buckets must exist (kNotFound otherwise... checked lazily).
  virtual Result<std::shared_ptr<ObjectStore>> Bucket(const std::string& name) = 0;
};

Result<std::unique_ptr<ObjectStoreProvider>> OpenObjectStores(const ObjectStoreConfig& config);

// Key and bucket checks shared by the backends and by callers that build keys.
Status ValidateKey(std::string_view key);
Status ValidateBucketName(std::string_view bucket);

}  // namespace tributary::objstore
