// S3's copies inside the lake: PUTs that name their bytes with x-amz-copy-source instead
// of sending them, as `aws s3 cp s3://a/x s3://b/y`, `aws s3 mv` and the SDKs' copy calls
// do (a small object in one CopyObject, a large one in UploadPartCopy ranges):
//   PUT /{bucket}/{key}                            CopyObject (x-amz-metadata-directive
//                                                  COPY or REPLACE; x-amz-copy-source-if-*)
//   PUT /{bucket}/{key}?partNumber=n&uploadId=u    UploadPartCopy (x-amz-copy-source-range)
// The source is read a piece at a time and written through one ObjectWriter, so a copy of
// any size holds one piece in memory; a part holds its range (at most 64 MiB).
#include <optional>

#include "app/lake_reads.h"
#include "app/s3_api.h"
#include "app/s3_api_util.h"
#include "app/s3_checksums.h"
#include "app/s3_conditions.h"
#include "app/s3_uploads.h"
#include "app/server.h"
#include "base/clock.h"
#include "net/http_types.h"

namespace tributary::app {
namespace {

using net::HttpRequest;
using net::HttpResponse;

constexpr uint64_t kMaxPartCopyBytes = 64ull << 20;

struct CopySource {
  std::string bucket;
  std::string key;
  std::shared_ptr<objstore::ObjectStore> store;
  objstore::ObjectInfo info;
};

bool IsMd5Hex(const std::string& etag) {
  return etag.size() == 32 && etag.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The object x-amz-copy-source names ("bucket/key" or "/bucket/key", URL-encoded), looked
// up, with the x-amz-copy-source-if-* conditions checked; or S3's error.
std::optional<HttpResponse> FindCopySource(Server* server, const HttpRequest& req, CopySource* out) {
  std::string source = req.Header("x-amz-copy-source");
  if (size_t q = source.find('?'); q != std::string::npos) {
    if (source.compare(q, 11, "?versionId=") == 0 && source.substr(q + 11) != "null") {
      return S3Error(501, "NotImplemented", "x-amz-copy-source names a version ('" + source.substr(q + 11) +
                                                "'); the lake keeps no versions of an object");
    }
    source.resize(q);
  }
  source = net::UrlDecode(source, false);
  if (!source.empty() && source.front() == '/') source.erase(0, 1);
  const size_t slash = source.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == source.size()) {
    return S3Error(400, "InvalidArgument", "x-amz-copy-source '" + req.Header("x-amz-copy-source") +
                                               "' is not <bucket>/<key>");
  }
  out->bucket = source.substr(0, slash);
  out->key = source.substr(slash + 1);
  auto store = BucketToRead(server, out->bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  out->store = *store;
  auto info = out->store->Head(out->key);
  if (!info.ok()) return S3Error(info.status(), true);
  out->info = std::move(*info);
  return RefuseCopySourceConditions(req, out->info);
}

// CopyPartResult's and CopyObjectResult's body.
HttpResponse CopyResult(const std::string& element, const std::string& etag, int64_t modified_ms) {
  return S3Xml("<" + element + std::string(kS3Namespace) + ">" +
               XmlElement("LastModified", FormatIso8601Millis(modified_ms)) +
               XmlElement("ETag", QuotedEtag(etag)) + "</" + element + ">");
}

}  // namespace

HttpResponse CopyObject(Server* server, const HttpRequest& req, const std::string& bucket, const std::string& key) {
  CopySource source;
  if (auto refused = FindCopySource(server, req, &source)) return std::move(*refused);
  auto target = BucketToRead(server, bucket);
  if (!target.ok()) return S3Error(target.status(), false);
  if (Status st = objstore::ValidateKey(key); !st.ok()) return S3Error(400, "InvalidArgument", st.message());
  const std::string directive = req.Header("x-amz-metadata-directive");
  if (!directive.empty() && directive != "COPY" && directive != "REPLACE") {
    return S3Error(400, "InvalidArgument", "x-amz-metadata-directive '" + directive + "' is neither COPY nor REPLACE");
  }
  objstore::PutOptions options;
  if (directive == "REPLACE") {
    auto replaced = PutOptionsOf(req);
    if (!replaced.ok()) return S3Error(400, "InvalidRequest", replaced.status().message());
    options = std::move(*replaced);
  } else {
    if (source.bucket == bucket && source.key == key) {
      return S3Error(400, "InvalidRequest",
                     "this copy would put '" + key + "' onto itself unchanged: send x-amz-metadata-directive "
                     "REPLACE with the new metadata");
    }
    if (!source.info.content_type.empty()) options.content_type = source.info.content_type;
    options.content_encoding = source.info.content_encoding;
    options.metadata = source.info.metadata;
  }
  // The same bytes have the same MD5: a source's MD5 ETag carries over (S3's does too), and
  // so does the checksum it was put with; a multipart source's composite one (of its parts,
  // "-<n>") is not the copy's: the copy gets the whole object's, summed as it is copied.
  if (IsMd5Hex(UnquotedEtag(source.info.etag))) options.etag = UnquotedEtag(source.info.etag);
  const size_t colon = source.info.checksum.find(':');
  std::optional<BodyChecksum> whole;
  std::string whole_header;
  if (colon != std::string::npos && source.info.checksum.find('-', colon) != std::string::npos) {
    whole_header = source.info.checksum.substr(0, colon);
    if (auto algorithm = ChecksumAlgorithmOfHeader(whole_header)) whole.emplace(*algorithm);
  } else {
    options.checksum = source.info.checksum;
  }
  // If-None-Match and If-Match are about the copy's target, as on PutObject.
  if (auto refused = RefuseWriteConditions(req, &options.condition)) return std::move(*refused);
  auto writer = (*target)->NewWriter(key, options);
  if (!writer.ok()) return S3Error(writer.status(), false);
  for (uint64_t at = 0; at < source.info.size; at += S3Api::kPieceBytes) {
    const uint64_t n = std::min(S3Api::kPieceBytes, source.info.size - at);
    // Each piece from the source the copy began with: a source replaced meanwhile aborts
    // the copy rather than mixing two objects under the first one's ETag.
    auto piece = source.store->Get(source.key, objstore::ByteRange{at, n, source.info.etag});
    if (piece.status().code() == ErrorCode::kFailedPrecondition ||
        (piece.ok() && piece->size() != n)) {
      return S3Error(409, "OperationAborted", "the source '" + source.key + "' changed while it was copied");
    }
    if (!piece.ok()) return S3Error(piece.status(), true);
    if (Status st = (*writer)->Write(*piece); !st.ok()) return S3Error(st, false);
    if (whole) whole->Update(*piece);
  }
  if (whole) (*writer)->SetChecksum(whole_header + ":" + whole->Base64());
  if (Status st = (*writer)->Commit(); !st.ok()) {
    if (auto failed = ConditionFailure(st, options.condition)) return std::move(*failed);
    return S3Error(st, false);
  }
  auto copied = (*target)->Head(key);
  if (!copied.ok()) return S3Error(copied.status(), true);
  return CopyResult("CopyObjectResult", copied->etag, copied->modified_ms);
}

HttpResponse UploadPartCopy(Server* server, S3UploadStore* uploads, const HttpRequest& req, const std::string& id,
                            int number) {
  CopySource source;
  if (auto refused = FindCopySource(server, req, &source)) return std::move(*refused);
  uint64_t first = 0, last = source.info.size == 0 ? 0 : source.info.size - 1;
  const std::string& range = req.Header("x-amz-copy-source-range");
  if (!range.empty()) {
    // "bytes=first-last", both given, within the object.
    unsigned long long a = 0, b = 0;
    char tail = 0;
    if (std::sscanf(range.c_str(), "bytes=%llu-%llu%c", &a, &b, &tail) != 2 || b < a || b >= source.info.size) {
      return S3Error(400, "InvalidArgument", "x-amz-copy-source-range '" + range + "' is not bytes=first-last within the " +
                                                 std::to_string(source.info.size) + "-byte source");
    }
    first = a;
    last = b;
  }
  const uint64_t length = source.info.size == 0 ? 0 : last - first + 1;
  if (length > kMaxPartCopyBytes) {
    return S3Error(400, "EntityTooLarge", "a part copied here holds at most 64 MiB; this one would hold " +
                                              std::to_string(length) + " bytes (send x-amz-copy-source-range)");
  }
  std::string bytes;
  if (length > 0) {
    auto got = source.store->Get(source.key, objstore::ByteRange{first, length, /*if_match=*/{}});
    if (!got.ok()) return S3Error(got.status(), true);
    bytes = std::move(*got);
  }
  auto etag = uploads->PutPart(id, number, bytes);
  if (!etag.ok()) {
    return etag.status().code() == ErrorCode::kNotFound ? S3Error(404, "NoSuchUpload", etag.status().message())
                                                        : S3Error(etag.status(), false);
  }
  return CopyResult("CopyPartResult", *etag, WallMillis());
}

}  // namespace tributary::app
