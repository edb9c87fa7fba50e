// S3's conditional requests over the lake (RFC 9110, section 13): a read's If-Match,
// If-None-Match, If-Modified-Since and If-Unmodified-Since, answered 412 or 304 before
// any byte is read; a write's If-None-Match: * (create only) and If-Match (replace only
// the version read), checked by the lake as the object is made
// (objstore::WriteCondition). Entity tags are compared as S3 does, quotes optional; a
// date that does not parse as an HTTP date is ignored, as RFC 9110 says.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http_types.h"
#include "objstore/object_store.h"

namespace tributary::app {

// Whether an If-Match header (a list of entity tags, quotes optional, or "*") names
// `etag` (unquoted), by strong comparison: a weak tag matches nothing.
bool IfMatchHolds(std::string_view header, const std::string& etag);

// The answer a GET or HEAD's conditions call for against `object`, in RFC 9110's order:
// 412 PreconditionFailed when If-Match (else If-Unmodified-Since) does not hold, else 304
// Not Modified (with the ETag and Last-Modified) when If-None-Match (else
// If-Modified-Since) does not; nullopt when the object is to be served.
std::optional<net::HttpResponse> AnswerToReadConditions(const net::HttpRequest& request,
                                                        const objstore::ObjectInfo& object);

// A copy's conditions on its source (CopyObject's and UploadPartCopy's
// x-amz-copy-source-if-match, -if-none-match, -if-unmodified-since, -if-modified-since),
// weighed as a read's, each that does not hold a 412 PreconditionFailed naming it.
std::optional<net::HttpResponse> RefuseCopySourceConditions(const net::HttpRequest& request,
                                                            const objstore::ObjectInfo& source);

// The condition a write's If-None-Match and If-Match set, into `*out`; or S3's refusal:
// If-None-Match other than "*" (501 NotImplemented), both at once (400 InvalidArgument).
std::optional<net::HttpResponse> RefuseWriteConditions(const net::HttpRequest& request,
                                                       objstore::WriteCondition* out);

// A write's failure as S3 answers it when it was a condition that did not hold: 412
// PreconditionFailed, or 404 NoSuchKey for If-Match of a key with no object. nullopt for
// any other failure (and for a write without conditions).
std::optional<net::HttpResponse> ConditionFailure(const Status& status,
                                                  const objstore::WriteCondition& condition);

}  // namespace tributary::app
