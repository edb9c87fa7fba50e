// S3's writes to the lake (aws_api.h: requests signed for service s3), so that `aws s3
// cp` and the SDKs' uploads put files where training jobs, crawlers and ETL jobs read
// them (the reference uploads its DeepAR channels to S3 so):
//   PUT    /{bucket}                          CreateBucket (a local lake only)
//   PUT    /{bucket}/{key}                    PutObject (Content-MD5 and x-amz-checksum-*
//                                             checked, x-amz-meta-*,
//                                             Content-Type and -Encoding kept); a body
//                                             past the HTTP limit (16 MiB) streams in
//                                             instead (s3_large_puts.cc)
//   POST   /{bucket}/{key}?uploads            CreateMultipartUpload
//   PUT    /{bucket}/{key}?partNumber&uploadId UploadPart
//   (with x-amz-copy-source: CopyObject and UploadPartCopy, api_s3_copies.cc)
//   POST   /{bucket}/{key}?uploadId           CompleteMultipartUpload
//   DELETE /{bucket}/{key}?uploadId           AbortMultipartUpload
//   DELETE /{bucket}/{key}                    DeleteObject
//   POST   /{bucket}?delete                   DeleteObjects
// An object appears whole or not at all (ObjectStore's promise). PutObject,
// CompleteMultipartUpload and CopyObject take If-None-Match: * and If-Match
// (s3_conditions.h), checked by the lake as the object appears; DeleteObject If-Match,
// and DeleteObjects an <ETag> per object, as it goes.
#include "app/api.h"
#include "app/lake_reads.h"
#include "app/s3_api_util.h"
#include "app/s3_checksums.h"
#include "app/s3_conditions.h"
#include "app/s3_uploads.h"
#include "app/server.h"
#include "base/ascii.h"
#include "base/base64.h"
#include "base/hex.h"
#include "objstore/xml.h"

namespace tributary::app {
namespace {

using net::HttpRequest;
using net::HttpResponse;

constexpr size_t kMaxDeleteKeys = 1000;

bool HasParam(const HttpRequest& req, const std::string& name) { return req.query.count(name) > 0; }

// Content-MD5 and an x-amz-checksum-* header (the SDKs' additional checksum), when sent,
// are the body's: else S3's refusal. The checksum goes back in `answer`'s headers, as S3
// answers it, and into `*kept` as the object keeps it (PutOptions::checksum).
std::optional<HttpResponse> RefuseBodyDigests(const HttpRequest& req, HttpResponse* answer, std::string* kept) {
  const std::string& sent = req.Header("content-md5");
  if (!sent.empty()) {
    auto binary = Base64Decode(sent);
    if (!binary.ok() || HexEncode(*binary) != Md5Hex(req.body)) {
      return S3Error(400, "BadDigest", "Content-MD5 '" + sent + "' is not the MD5 of the body");
    }
  }
  auto declared = DeclaredChecksumOf(req);
  if (!declared.ok()) return S3Error(400, "InvalidRequest", declared.status().message());
  if (*declared) {
    BodyChecksum sum((*declared)->algorithm);
    sum.Update(req.body);
    const std::string computed = sum.Base64();
    if (std::string mismatch = ChecksumMismatch(**declared, computed); !mismatch.empty()) {
      return S3Error(400, "BadDigest", mismatch);
    }
    answer->headers[(*declared)->header] = computed;
    *kept = (*declared)->header + ":" + computed;
  }
  return std::nullopt;
}

HttpResponse PutObject(Server* server, const HttpRequest& req, const std::string& bucket, const std::string& key) {
  if (!req.Header("x-amz-copy-source").empty()) return CopyObject(server, req, bucket, key);
  HttpResponse answer;
  std::string checksum;
  if (auto refused = RefuseBodyDigests(req, &answer, &checksum)) return std::move(*refused);
  auto options = PutOptionsOf(req);
  if (!options.ok()) return S3Error(400, "InvalidRequest", options.status().message());
  options->checksum = std::move(checksum);
  auto store = BucketToRead(server, bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  if (Status st = objstore::ValidateKey(key); !st.ok()) return S3Error(400, "InvalidArgument", st.message());
  if (auto refused = RefuseWriteConditions(req, &options->condition)) return std::move(*refused);
  options->etag = Md5Hex(req.body);
  if (Status st = (*store)->Put(key, req.body, *options); !st.ok()) {
    if (auto failed = ConditionFailure(st, options->condition)) return std::move(*failed);
    return S3Error(st, false);
  }
  answer.headers["ETag"] = QuotedEtag(options->etag);
  return answer;
}

HttpResponse CreateBucket(Server* server, const std::string& bucket) {
  if (server->config().lake_backend != "local") {
    return S3Error(501, "NotImplemented", "the lake is an S3 store: create buckets in it");
  }
  if (Status st = objstore::ValidateBucketName(bucket); !st.ok()) {
    return S3Error(400, "InvalidBucketName", st.message());
  }
  if (BucketToRead(server, bucket).ok()) {
    return S3Error(409, "BucketAlreadyOwnedByYou", "bucket '" + bucket + "' exists");
  }
  auto created = server->lake().Bucket(bucket);  // a local bucket is made on first use
  if (!created.ok()) return S3Error(created.status(), false);
  HttpResponse r;
  r.headers["Location"] = "/" + bucket;
  return r;
}

// Deletes `key`; with `if_match` (an ETag, or "*") only the object that has it, checked
// as it goes. A key the lake cannot hold has no object: already gone, or not found.
Status DeleteKey(objstore::ObjectStore& store, const std::string& key,
                 const std::string& if_match) {
  const bool valid = objstore::ValidateKey(key).ok();
  if (if_match.empty()) return valid ? store.Delete(key) : Status::Ok();
  return valid ? store.DeleteIf(key, if_match) : NotFound("object '" + key + "' does not exist");
}

// With If-Match (an ETag, or "*"), only the object that has it, checked as it goes.
HttpResponse DeleteObject(Server* server, const HttpRequest& req, const std::string& bucket,
                          const std::string& key) {
  auto store = BucketToRead(server, bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  objstore::WriteCondition condition;
  if (auto refused = RefuseWriteConditions(req, &condition)) return std::move(*refused);
  if (condition.if_absent)
    return S3Error(501, "NotImplemented", "If-None-Match on a delete: If-Match is served");
  if (Status st = DeleteKey(**store, key, condition.if_match); !st.ok()) {
    if (auto failed = ConditionFailure(st, condition)) return std::move(*failed);
    return S3Error(st, true);
  }
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse DeleteObjects(Server* server, const HttpRequest& req, const std::string& bucket) {
  auto store = BucketToRead(server, bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  auto doc = objstore::ParseXml(req.body);
  if (!doc.ok() || doc->name != "Delete") {
    return S3Error(400, "MalformedXML", "the body is not a <Delete> document");
  }
  auto objects = doc->ChildrenNamed("Object");
  if (objects.empty() || objects.size() > kMaxDeleteKeys) {
    return S3Error(400, "MalformedXML", "a <Delete> names 1..1000 objects, this one " + std::to_string(objects.size()));
  }
  const bool quiet = doc->ChildText("Quiet") == "true";
  std::string xml = "<DeleteResult" + std::string(kS3Namespace) + ">";
  for (const objstore::XmlNode* object : objects) {
    std::string key = object->ChildText("Key");
    // An <ETag>: deleted only if the object has it (S3's conditional delete).
    const std::string etag = UnquotedEtag(object->ChildText("ETag"));
    Status st = DeleteKey(**store, key, etag);
    if (st.ok()) {
      if (!quiet) xml += "<Deleted>" + XmlElement("Key", key) + "</Deleted>";
    } else {
      const char* code = st.code() == ErrorCode::kFailedPrecondition ? "PreconditionFailed"
                         : st.code() == ErrorCode::kNotFound         ? "NoSuchKey"
                                                                     : "InternalError";
      xml += "<Error>" + XmlElement("Key", key) + XmlElement("Code", code) +
             XmlElement("Message", st.message()) + "</Error>";
    }
  }
  return S3Xml(xml + "</DeleteResult>");
}

// CreateMultipartUpload's x-amz-checksum-algorithm and x-amz-checksum-type onto `upload`:
// COMPOSITE by default (FULL_OBJECT for CRC64NVME, which has no other), FULL_OBJECT only
// for the CRCs, as S3 has them.
Status ChecksumOfUpload(const HttpRequest& req, S3UploadStore::Upload* upload) {
  const std::string name = req.Header("x-amz-checksum-algorithm");
  const std::string type = AsciiUppered(req.Header("x-amz-checksum-type"));
  if (name.empty()) {
    if (!type.empty()) return InvalidArgument("x-amz-checksum-type needs x-amz-checksum-algorithm");
    return Status::Ok();
  }
  auto algorithm = ChecksumAlgorithmOfHeader("x-amz-checksum-" + AsciiLowered(name));
  if (!algorithm) {
    return InvalidArgument("x-amz-checksum-algorithm '" + name + "' is not one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256");
  }
  const bool crc = *algorithm != S3ChecksumAlgorithm::kSha1 && *algorithm != S3ChecksumAlgorithm::kSha256;
  if (!type.empty() && type != "COMPOSITE" && type != "FULL_OBJECT") {
    return InvalidArgument("x-amz-checksum-type '" + type + "' is neither COMPOSITE nor FULL_OBJECT");
  }
  if (type == "FULL_OBJECT" && !crc) {
    return InvalidArgument("x-amz-checksum-type FULL_OBJECT is for the CRCs, not " + AsciiUppered(name));
  }
  if (type == "COMPOSITE" && *algorithm == S3ChecksumAlgorithm::kCrc64Nvme) {
    return InvalidArgument("x-amz-checksum-type COMPOSITE is not served for CRC64NVME (FULL_OBJECT)");
  }
  upload->checksum_algorithm = *algorithm;
  upload->full_object_checksum = type == "FULL_OBJECT" || *algorithm == S3ChecksumAlgorithm::kCrc64Nvme;
  return Status::Ok();
}

HttpResponse CreateUpload(Server* server, S3UploadStore* uploads, const HttpRequest& req,
                          const std::string& bucket, const std::string& key) {
  auto options = PutOptionsOf(req);
  if (!options.ok()) return S3Error(400, "InvalidRequest", options.status().message());
  if (auto store = BucketToRead(server, bucket); !store.ok()) return S3Error(store.status(), false);
  if (Status st = objstore::ValidateKey(key); !st.ok()) return S3Error(400, "InvalidArgument", st.message());
  S3UploadStore::Upload upload{bucket, key, *options, std::nullopt, false};
  if (Status st = ChecksumOfUpload(req, &upload); !st.ok()) return S3Error(400, "InvalidRequest", st.message());
  auto id = uploads->Create(upload);
  if (!id.ok()) return S3Error(id.status(), false);
  HttpResponse r = S3Xml("<InitiateMultipartUploadResult" + std::string(kS3Namespace) + ">" + XmlElement("Bucket", bucket) +
                         XmlElement("Key", key) + XmlElement("UploadId", *id) + "</InitiateMultipartUploadResult>");
  if (upload.checksum_algorithm) {
    r.headers["x-amz-checksum-algorithm"] = std::string(ChecksumAlgorithmName(*upload.checksum_algorithm));
    r.headers["x-amz-checksum-type"] = upload.full_object_checksum ? "FULL_OBJECT" : "COMPOSITE";
  }
  return r;
}

HttpResponse UploadPart(Server* server, S3UploadStore* uploads, const HttpRequest& req, const std::string& bucket,
                        const std::string& key) {
  const std::string id = QueryParam(req, "uploadId");
  if (auto upload = uploads->Get(id, bucket, key); !upload.ok()) {
    return S3Error(404, "NoSuchUpload", upload.status().message());
  }
  const std::string number = QueryParam(req, "partNumber");
  if (number.empty() || number.size() > 5 || number.find_first_not_of("0123456789") != std::string::npos) {
    return S3Error(400, "InvalidArgument", "partNumber '" + number + "' is not 1..10000");
  }
  if (!req.Header("x-amz-copy-source").empty()) return UploadPartCopy(server, uploads, req, id, std::stoi(number));
  HttpResponse answer;
  std::string checksum;  // a part's is checked, not kept: the object's would be another
  if (auto refused = RefuseBodyDigests(req, &answer, &checksum)) return std::move(*refused);
  auto etag = uploads->PutPart(id, std::stoi(number), req.body);
  if (!etag.ok()) {
    return etag.status().code() == ErrorCode::kNotFound ? S3Error(404, "NoSuchUpload", etag.status().message())
                                                        : S3Error(etag.status(), false);
  }
  answer.headers["ETag"] = QuotedEtag(*etag);
  return answer;
}

HttpResponse CompleteUpload(Server* server, S3UploadStore* uploads, const HttpRequest& req,
                            const std::string& bucket, const std::string& key) {
  const std::string id = QueryParam(req, "uploadId");
  auto upload = uploads->Get(id, bucket, key);
  if (!upload.ok()) return S3Error(404, "NoSuchUpload", upload.status().message());
  auto doc = objstore::ParseXml(req.body);
  if (!doc.ok() || doc->name != "CompleteMultipartUpload") {
    return S3Error(400, "MalformedXML", "the body is not a <CompleteMultipartUpload> document");
  }
  std::vector<S3UploadStore::PartRef> parts;
  for (const objstore::XmlNode* part : doc->ChildrenNamed("Part")) {
    const std::string number = part->ChildText("PartNumber");
    if (number.empty() || number.size() > 5 || number.find_first_not_of("0123456789") != std::string::npos) {
      return S3Error(400, "MalformedXML", "PartNumber '" + number + "' is not 1..10000");
    }
    // The part's checksum in the upload's algorithm, when listed (<ChecksumCRC32>...).
    std::string checksum;
    if (upload->checksum_algorithm) {
      checksum = part->ChildText("Checksum" + std::string(ChecksumAlgorithmName(*upload->checksum_algorithm)));
    }
    parts.push_back({std::stoi(number), part->ChildText("ETag"), std::move(checksum)});
  }
  objstore::WriteCondition condition;
  if (auto refused = RefuseWriteConditions(req, &condition)) return std::move(*refused);
  auto store = BucketToRead(server, bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  auto assembled = uploads->Assemble(id, parts, store->get(), condition);
  if (!assembled.ok()) {
    const Status& st = assembled.status();
    if (st.code() == ErrorCode::kInvalidArgument) return S3Error(400, "InvalidPart", st.message());
    if (st.code() == ErrorCode::kFailedPrecondition) return S3Error(400, "EntityTooSmall", st.message());
    if (st.code() == ErrorCode::kNotFound) return S3Error(404, "NoSuchUpload", st.message());
    return S3Error(st, false);
  }
  // A condition that does not hold leaves the upload, to be completed again or aborted.
  auto completed = assembled->Commit();
  if (!completed.ok()) {
    if (auto failed = ConditionFailure(completed.status(), condition)) return std::move(*failed);
    return S3Error(completed.status(), false);
  }
  (void)uploads->Abort(id);
  // Its ETag as the lake stored it, which reads give back (an S3 lake makes its own).
  const S3UploadStore::Completed* done = &*completed;
  std::string checksum;
  if (upload->checksum_algorithm) {
    const std::string element = "Checksum" + std::string(ChecksumAlgorithmName(*upload->checksum_algorithm));
    checksum = XmlElement(element, done->checksum) +
               XmlElement("ChecksumType", upload->full_object_checksum ? "FULL_OBJECT" : "COMPOSITE");
  }
  return S3Xml("<CompleteMultipartUploadResult" + std::string(kS3Namespace) + ">" +
               XmlElement("Location", "/" + bucket + "/" + key) + XmlElement("Bucket", bucket) +
               XmlElement("Key", key) + XmlElement("ETag", QuotedEtag(done->etag)) + checksum +
               "</CompleteMultipartUploadResult>");
}

HttpResponse AbortUpload(S3UploadStore* uploads, const HttpRequest& req, const std::string& bucket,
                         const std::string& key) {
  const std::string id = QueryParam(req, "uploadId");
  if (auto upload = uploads->Get(id, bucket, key); !upload.ok()) {
    return S3Error(404, "NoSuchUpload", upload.status().message());
  }
  (void)uploads->Abort(id);
  HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace

HttpResponse ServeS3Write(Server* server, S3UploadStore* uploads, const HttpRequest& req,
                          const std::string& bucket, const std::string& key) {
  const std::string& m = req.method;
  if (key.empty()) {
    if (m == "PUT" && req.query.empty()) return CreateBucket(server, bucket);
    if (m == "POST" && HasParam(req, "delete")) return DeleteObjects(server, req, bucket);
  } else if (m == "PUT") {
    if (HasParam(req, "uploadId") || HasParam(req, "partNumber")) return UploadPart(server, uploads, req, bucket, key);
    if (req.query.empty()) return PutObject(server, req, bucket, key);
  } else if (m == "POST") {
    if (HasParam(req, "uploads")) return CreateUpload(server, uploads, req, bucket, key);
    if (HasParam(req, "uploadId")) return CompleteUpload(server, uploads, req, bucket, key);
  } else if (m == "DELETE") {
    if (HasParam(req, "uploadId")) return AbortUpload(uploads, req, bucket, key);
    if (req.query.empty()) return DeleteObject(server, req, bucket, key);
  }
  return S3Error(501, "NotImplemented",
                 m + " " + (key.empty() ? "on a bucket" : "on an object") +
                     (req.query.empty() ? "" : " with these parameters") +
                     " is not served (PutObject, CopyObject, the multipart upload calls, "
                     "DeleteObject, DeleteObjects and CreateBucket are)");
}

}  // namespace tributary::app
