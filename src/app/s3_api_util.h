// What the S3 API's reads (api_s3.cc) and writes (api_s3_writes.cc) share: S3's XML
// answers and errors, and reading a request's query.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http_types.h"
#include "objstore/object_store.h"

namespace tributary::app {

inline constexpr char kS3Namespace[] = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

// S3's XML error document with `code` ("NoSuchKey").
net::HttpResponse S3Error(int status, std::string_view code, const std::string& message);
// A Status as S3's error about a bucket, or about a key (`about_key`): NotFound ->
// NoSuchKey or NoSuchBucket (404); InvalidArgument -> NoSuchKey for a key (one the lake
// cannot hold, "raw/", is one it does not have), else InvalidArgument (400); Unavailable
// -> ServiceUnavailable (503); anything else InternalError (500).
net::HttpResponse S3Error(const Status& status, bool about_key);
// 200 with the XML declaration and `body`.
net::HttpResponse S3Xml(std::string body);
// <name>escaped text</name>
std::string XmlElement(std::string_view name, std::string_view text);
// "Thu, 03 Dec 2026 12:18:13 GMT"
std::string HttpDate(int64_t unix_ms);
// The ETag in the quotes S3 puts around it, and without them.
std::string QuotedEtag(const std::string& etag);
std::string UnquotedEtag(std::string etag);
// What an upload keeps of the request: Content-Type and -Encoding (without aws-chunked,
// the encoding the body came in), x-amz-meta-* metadata.
Result<objstore::PutOptions> PutOptionsOf(const net::HttpRequest& request);
// Moves the query's x-amz-* parameters (but a presigned URL's own X-Amz-Signature ...,
// which stay) into the headers, as S3 takes them: the headers a presigned URL carries,
// signed with it (the SDKs' checksum of the body, x-amz-checksum-crc32 ...). One the
// request also sends as a header is the header's.
void HoistPresignedHeaders(net::HttpRequest& request);

class Server;
class S3Api;
class S3UploadStore;
// S3's API over the lake, for requests signed for service s3 (api_s3.cc, reads, and the
// writes below); not routed by path, since path-style S3 addresses are /<bucket>/<key>.
// Runs on S3Api's workers; drops the query parameters that do not name the call.
net::HttpResponse ServeS3(S3Api* api, net::HttpRequest& request);
// The S3 API's writes (api_s3_writes.cc): PUT, POST and DELETE on `bucket` (and `key`,
// "" for the bucket itself).
net::HttpResponse ServeS3Write(Server* server, S3UploadStore* uploads, const net::HttpRequest& request,
                               const std::string& bucket, const std::string& key);
// S3's lifecycle calls on `bucket` (api_s3_lifecycle.cc): GET, PUT and DELETE ?lifecycle.
net::HttpResponse ServeS3Lifecycle(Server* server, const net::HttpRequest& request,
                                   const std::string& bucket);
// The copies (api_s3_copies.cc): PUTs with x-amz-copy-source. UploadPartCopy's upload
// `id` and part `number` are checked by the caller.
net::HttpResponse CopyObject(Server* server, const net::HttpRequest& request, const std::string& bucket,
                             const std::string& key);
net::HttpResponse UploadPartCopy(Server* server, S3UploadStore* uploads, const net::HttpRequest& request,
                                 const std::string& id, int number);

}  // namespace tributary::app
