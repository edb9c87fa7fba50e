// S3's read API over the lake (aws_api.h: requests signed for service s3), so that S3
// tools (an SDK's S3 client, `aws s3 ls` and `cp`, DuckDB's or pandas' S3 readers) read
// what the streams and jobs wrote, with an endpoint override and path-style addressing,
// whether the lake is a local directory or an S3 store behind the server:
//   GET  /                                    ListBuckets (the buckets the server knows)
//   GET  /{bucket}?list-type=2&...            ListObjectsV2 (prefix, delimiter, max-keys,
//                                             continuation-token, start-after, encoding-type)
//   GET  /{bucket}[?prefix&delimiter&marker&max-keys]   ListObjects (the first version)
//   GET  /{bucket}?location                   GetBucketLocation
//   *    /{bucket}?lifecycle                  the lifecycle calls (api_s3_lifecycle.cc)
//   HEAD /{bucket}                            HeadBucket
//   GET  /{bucket}/{key} [Range: bytes=a-b]   GetObject (206 with Content-Range)
//   HEAD /{bucket}/{key}                      HeadObject
//   (both with If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since:
//   412 or 304 as RFC 9110 orders them, s3_conditions.h)
// Writes: api_s3_writes.cc.
#include <algorithm>
#include <optional>
#include <utility>

#include "app/api.h"
#include "app/aws_api.h"
#include "app/lake_reads.h"
#include "app/s3_api.h"
#include "app/s3_api_util.h"
#include "app/s3_conditions.h"
#include "base/ascii.h"
#include "base/base64.h"
#include "base/clock.h"

namespace tributary::app {
namespace {

using net::HttpRequest;
using net::HttpResponse;

constexpr size_t kMaxListKeys = 1000;
HttpResponse ListBuckets(Server* server) {
  std::string xml = "<ListAllMyBucketsResult" + std::string(kS3Namespace) +
                    "><Owner><ID>tributary</ID><DisplayName>tributary</DisplayName></Owner><Buckets>";
  for (const auto& [bucket, created_ms] : KnownBuckets(server)) {
    xml += "<Bucket>" + XmlElement("Name", bucket) +
           XmlElement("CreationDate", FormatIso8601Millis(created_ms)) + "</Bucket>";
  }
  return S3Xml(xml + "</Buckets></ListAllMyBucketsResult>");
}

// ListObjectsV2 (`v2`: continuation-token, start-after, KeyCount), or ListObjects, its
// first version, which older tools still use (marker, NextMarker).
HttpResponse ListObjects(Server* server, const HttpRequest& req, const std::string& bucket, bool v2) {
  const std::string prefix = QueryParam(req, "prefix"), delimiter = QueryParam(req, "delimiter");
  const std::string encoding = QueryParam(req, "encoding-type");
  if (!encoding.empty() && encoding != "url") {
    return S3Error(400, "InvalidArgument", "encoding-type '" + encoding + "' is not 'url'");
  }
  size_t max_keys = kMaxListKeys;
  if (req.query.count("max-keys")) {
    auto max = QueryInt(req, "max-keys", 1000, 1'000'000);
    if (!max.ok()) return S3Error(400, "InvalidArgument", "max-keys: '" + QueryParam(req, "max-keys") + "' is not a whole number");
    max_keys = std::min<size_t>(static_cast<size_t>(*max), kMaxListKeys);
  }
  const std::string token = v2 ? QueryParam(req, "continuation-token") : "";
  const std::string start_after = QueryParam(req, v2 ? "start-after" : "marker");
  std::string after = start_after;
  if (!token.empty()) {
    auto decoded = Base64Decode(token);
    if (!decoded.ok()) return S3Error(400, "InvalidArgument", "continuation-token is not one this server gave");
    after = std::max(after, *decoded);
  }
  auto store = BucketToRead(server, bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  // Only the page: a local lake walks its folders in key order and stops there, rather
  // than reading every object under the prefix for each page.
  auto listing = (*store)->List(prefix, delimiter, ListPageOptions(after, max_keys));
  if (!listing.ok()) return S3Error(listing.status(), false);
  ListingPage page = PageOf(*listing, after, max_keys);

  // With encoding-type=url, keys and prefixes go out percent-encoded (the client decodes).
  auto text = [&](std::string_view s) { return encoding.empty() ? std::string(s) : net::UrlEncode(std::string(s)); };
  std::string xml = "<ListBucketResult" + std::string(kS3Namespace) + ">" + XmlElement("Name", bucket) +
                    XmlElement("Prefix", text(prefix));
  if (!delimiter.empty()) xml += XmlElement("Delimiter", text(delimiter));
  xml += XmlElement("MaxKeys", std::to_string(max_keys));
  if (!encoding.empty()) xml += XmlElement("EncodingType", encoding);
  if (v2) {
    xml += XmlElement("KeyCount", std::to_string(page.objects.size() + page.common_prefixes.size()));
    xml += XmlElement("IsTruncated", page.truncated ? "true" : "false");
    if (!token.empty()) xml += XmlElement("ContinuationToken", token);
    if (page.truncated) xml += XmlElement("NextContinuationToken", Base64Encode(page.last));
    if (!start_after.empty()) xml += XmlElement("StartAfter", text(start_after));
  } else {
    xml += XmlElement("Marker", text(start_after));
    xml += XmlElement("IsTruncated", page.truncated ? "true" : "false");
    // Where the next page starts (S3 sends it with a delimiter; clients use the last key otherwise).
    if (page.truncated) xml += XmlElement("NextMarker", text(page.last));
  }
  for (const objstore::ObjectInfo& o : page.objects) {
    xml += "<Contents>" + XmlElement("Key", text(o.key)) + XmlElement("LastModified", FormatIso8601Millis(o.modified_ms)) +
           XmlElement("ETag", QuotedEtag(o.etag)) + XmlElement("Size", std::to_string(o.size)) +
           XmlElement("StorageClass", "STANDARD") + "</Contents>";
  }
  for (const std::string& p : page.common_prefixes) xml += "<CommonPrefixes>" + XmlElement("Prefix", text(p)) + "</CommonPrefixes>";
  return S3Xml(xml + "</ListBucketResult>");
}

// "bytes=a-b", "bytes=a-" or "bytes=-n" against an object of `size` bytes; false if it
// cannot be satisfied. Anything else (several ranges, another unit) is ignored, as S3 does.
struct Range {
  bool given = false;
  uint64_t first = 0, last = 0;  // inclusive
};
bool ParseRange(const std::string& header, uint64_t size, Range* out) {
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos) return true;
  std::string spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return true;
  auto number = [](const std::string& s, uint64_t* v) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    *v = std::stoull(s);
    return true;
  };
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t first = 0, last = 0;
  if (a.empty()) {  // the last n bytes
    if (!number(b, &last) || last == 0) return true;
    if (size == 0) return false;
    out->first = last >= size ? 0 : size - last;
    out->last = size - 1;
  } else {
    if (!number(a, &first)) return true;
    if (!b.empty() && (!number(b, &last) || last < first)) return true;
    if (first >= size) return false;
    out->first = first;
    out->last = b.empty() ? size - 1 : std::min(last, size - 1);
  }
  out->given = true;
  return true;
}

// The response-* parameters of GetObject and HeadObject: the header each sets.
constexpr std::pair<const char*, const char*> kResponseOverrides[] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

// The parameters GetObject and HeadObject take: the response-* overrides, partNumber
// (objects are kept whole, so part 1 is the whole object), versionId=null (no versions
// are kept); a presigned URL's x-amz-* parameters are headers by then (ServeS3). A sub-resource
// (?tagging, ?acl, ?uploadId, ?attributes ...) is another call, which is not served: answering it
// with the object's bytes would be wrong.
std::optional<HttpResponse> RefuseObjectParams(const HttpRequest& req) {
  for (const auto& [name, value] : req.query) {
    bool override_param = false;
    for (const auto& [param, header] : kResponseOverrides) override_param |= name == param;
    if (override_param) continue;
    if (name == "versionId" && value == "null") continue;
    if (name == "partNumber") {
      if (value.empty() || value.size() > 5 ||
          value.find_first_not_of("0123456789") != std::string::npos || std::stoi(value) < 1 ||
          std::stoi(value) > 10000) {
        return S3Error(400, "InvalidArgument", "partNumber '" + value + "' is not 1..10000");
      }
      if (value != "1") {
        return S3Error(416, "InvalidPartNumber",
                       "the requested part number is not satisfiable: objects here are kept whole "
                       "(one part)");
      }
      continue;
    }
    return S3Error(
        501, "NotImplemented",
        "'?" + name +
            "' on an object is not served: GetObject and HeadObject take "
            "partNumber and the response-* overrides; versions, tagging, ACLs, attributes "
            "and the other sub-resources are not");
  }
  return std::nullopt;
}

// `attempt`: a small object replaced between its Head and its read is read again, whole.
HttpResponse GetObject(S3Api* api, const HttpRequest& req, const std::string& bucket,
                       const std::string& key, int attempt = 0) {
  const bool head = req.method == "HEAD";
  auto store = BucketToRead(api->server(), bucket);
  if (!store.ok()) return S3Error(store.status(), false);
  if (auto refused = RefuseObjectParams(req)) return std::move(*refused);
  if (Status st = objstore::ValidateKey(key); !st.ok()) return S3Error(st, true);
  auto info = (*store)->Head(key);
  if (!info.ok()) return S3Error(info.status(), true);
  if (auto answer = AnswerToReadConditions(req, *info)) return std::move(*answer);
  Range range;
  if (!ParseRange(req.Header("range"), info->size, &range)) {
    HttpResponse r = S3Error(416, "InvalidRange", "the requested range is not satisfiable (the object has " +
                                                      std::to_string(info->size) + " bytes)");
    r.headers["Content-Range"] = "bytes */" + std::to_string(info->size);
    return r;
  }
  HttpResponse r;
  r.content_type = info->content_type.empty() ? "application/octet-stream" : info->content_type;
  if (!info->content_encoding.empty()) r.headers["Content-Encoding"] = info->content_encoding;
  for (const auto& [name, value] : info->metadata) r.headers["x-amz-meta-" + name] = value;
  r.headers["ETag"] = QuotedEtag(info->etag);
  r.headers["Last-Modified"] = HttpDate(info->modified_ms);
  r.headers["Accept-Ranges"] = "bytes";
  // The checksum the object was put with, when asked for (the SDKs ask, and check the
  // body against it); a range's bytes are not what it sums.
  const size_t colon = info->checksum.find(':');
  if (EqualsIgnoreCase(req.Header("x-amz-checksum-mode"), "ENABLED") && colon != std::string::npos && !range.given) {
    const std::string value = info->checksum.substr(colon + 1);
    r.headers[info->checksum.substr(0, colon)] = value;
    // A multipart upload's composite checksum ends in -<parts>: the SDKs do not check those.
    r.headers["x-amz-checksum-type"] = value.find('-') != std::string::npos ? "COMPOSITE" : "FULL_OBJECT";
  }
  for (const auto& [param, header] : kResponseOverrides) {
    auto it = req.query.find(param);
    if (it == req.query.end()) continue;
    if (std::string_view(header) == "Content-Type") {
      r.content_type = it->second;
    } else {
      r.headers[header] = it->second;
    }
  }
  uint64_t length = info->size;
  if (range.given) {
    r.status = 206;
    length = range.last - range.first + 1;
    r.headers["Content-Range"] = "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                                 std::to_string(info->size);
  }
  if (head) {
    r.head_length = length;
    return r;
  }
  if (length > S3Api::kPieceBytes) {  // read as the client takes it
    r.body_source = api->PiecesOf(*store, key, range.first, length, info->etag);
  } else if (length > 0) {
    // The bytes of the object whose headers these are (its ETag), not of a later one.
    auto bytes = (*store)->Get(key, objstore::ByteRange{range.first, length, info->etag});
    if (bytes.status().code() == ErrorCode::kFailedPrecondition && attempt < 3) {
      return GetObject(api, req, bucket, key, attempt + 1);
    }
    if (!bytes.ok()) return S3Error(bytes.status(), true);
    r.body = std::move(*bytes);
  }
  return r;
}

}  // namespace

HttpResponse ServeS3(S3Api* api, HttpRequest& req) {
  Server* server = api->server();
  // Parameters that do not name the call: a presigned URL's signature (PUT ?X-Amz-... is
  // PutObject) and the operation's name that the SDKs add (the method and path say it).
  std::erase_if(req.query, [](const auto& param) { return param.first.rfind("X-Amz-", 0) == 0; });
  req.query.erase("x-id");
  HoistPresignedHeaders(req);
  HttpResponse r = [&]() -> HttpResponse {
    // Path-style: /<bucket>[/<key>].
    std::string_view path = req.path;
    path.remove_prefix(std::min<size_t>(1, path.size()));
    if (path.empty()) {
      if (req.method != "GET") return S3Error(501, "NotImplemented", req.method + " / is not served");
      return ListBuckets(server);
    }
    size_t slash = path.find('/');
    std::string bucket(path.substr(0, slash));
    std::string key = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
    if (key.empty() && req.query.count("lifecycle")) return ServeS3Lifecycle(server, req, bucket);
    if (req.method != "GET" && req.method != "HEAD") return ServeS3Write(server, api->uploads(), req, bucket, key);
    if (!key.empty()) return GetObject(api, req, bucket, key);
    if (req.method == "HEAD") {
      auto store = BucketToRead(server, bucket);
      return store.ok() ? HttpResponse{} : S3Error(store.status(), false);
    }
    if (req.query.count("location")) {  // GetBucketLocation: the default region, as S3 answers it
      auto store = BucketToRead(server, bucket);
      if (!store.ok()) return S3Error(store.status(), false);
      return S3Xml("<LocationConstraint" + std::string(kS3Namespace) + "/>");
    }
    const std::string list_type = QueryParam(req, "list-type");
    if (list_type == "2") return ListObjects(server, req, bucket, true);
    static const char* const kListParams[] = {"prefix", "delimiter", "max-keys", "marker", "encoding-type"};
    for (const auto& [name, value] : req.query) {
      if (std::find(std::begin(kListParams), std::end(kListParams), name) == std::end(kListParams)) {
        return S3Error(501, "NotImplemented",
                       "'?" + name +
                           "' on a bucket is not served: ListObjectsV2 (list-type=2), ListObjects, "
                           "GetBucketLocation and the lifecycle calls are; versioning, policies, "
                           "ACLs and the other sub-resources are not");
      }
    }
    return ListObjects(server, req, bucket, false);
  }();
  if (req.method == "HEAD" && !r.head_length) r.body.clear();  // a HEAD answer has no body
  return r;
}

}  // namespace tributary::app
