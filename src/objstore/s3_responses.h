// The S3 response documents the backend reads (ListObjectsV2, errors, multipart
// initiation and completion) and the one it writes (CompleteMultipartUpload), plus the
// two date formats S3 uses. Pure functions over strings; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "objstore/object_store.h"

namespace tributary::objstore::s3 {

// One page of ListObjectsV2.
struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};
Result<ListPage> ParseListObjectsV2(std::string_view body);

// <Error><Code>NoSuchKey</Code><Message>...</Message></Error>; nullopt if `body` is not one.
struct ErrorBody {
  std::string code;
  std::string message;
};
std::optional<ErrorBody> ParseErrorBody(std::string_view body);

// <InitiateMultipartUploadResult><UploadId>...</UploadId>...
Result<std::string> ParseUploadId(std::string_view body);

// <CompleteMultipartUploadResult>'s <ETag>, unquoted: the object's; "" when the body is
// not such a document or names none (some compatible stores).
std::string ParseCompletedEtag(std::string_view body);

// Parts are numbered from 1 in the order given; etags as UploadPart returned them.
std::string CompleteMultipartUploadXml(const std::vector<std::string>& part_etags);

// "2009-10-12T17:50:30.000Z" -> Unix milliseconds.
Result<int64_t> ParseIso8601Millis(std::string_view text);
// "Wed, 12 Oct 2009 17:50:00 GMT" (RFC 7231 IMF-fixdate) -> Unix milliseconds.
Result<int64_t> ParseHttpDateMillis(std::string_view text);

// ETag without the surrounding quotes S3 puts on it.
std::string Unquote(std::string_view etag);

}  // namespace tributary::objstore::s3
