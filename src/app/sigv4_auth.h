// Checking a request's AWS Signature Version 4 (the Authorization header form that the
// AWS SDKs and CLI send), so that AWS tools can call the API with an access key whose
// secret is the administrator token. The signature is computed again from the request
// as received (objstore/sigv4.h) and compared in constant time.
//
// What is checked, each failure with a message that says what was wrong:
//  - the header is "AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/
//    aws4_request, SignedHeaders=<a;b;...>, Signature=<64 hex>";
//  - the access key id is the expected one, the service is the expected one (any region);
//  - x-amz-date is present and signed, within 15 minutes of the server's clock, and on the
//    credential's day; host is signed and every signed header is in the request;
//  - x-amz-content-sha256, when sent, is the body's SHA-256 (a body is always signed:
//    UNSIGNED-PAYLOAD is taken only for an empty one, as an S3 client's GET sends it), or,
//    for a body still to come, an aws-chunked form (its chunks signed, or checksummed in
//    a trailer: aws_chunked.h);
//  - the signature matches.
// Or, with no Authorization header, a presigned URL's query (what `aws s3 presign` and
// the SDKs' presigners make): X-Amz-Algorithm, -Credential, -Date, -Expires (1 s to 7
// days), -SignedHeaders (host at least) and -Signature, checked the same way; the URL is
// good from its date (15 minutes' skew) until the date plus X-Amz-Expires, and signs no
// body (UNSIGNED-PAYLOAD), so that whoever holds it may send the one request it names.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace tributary::app {

struct SigV4Expectation {
  std::string access_key_id;  // the one key accepted
  std::string secret;         // its secret
  std::string service;        // the credential scope's service, e.g. "firehose"
  std::string canonical_uri;  // the path as signed ("/")
  // The body is still to come (taken piece by piece): the signature is checked with
  // x-amz-content-sha256 as sent, which must be a SHA-256 (hex), and the caller checks
  // the body against it once it has all of it; or one of aws-chunked's STREAMING-*
  // forms, whose chunks the caller checks (aws_chunked.h) from the signature returned.
  bool body_follows = false;
};

enum class SigV4Failure {
  kNone,
  kMissing,          // no Authorization header, or not SigV4
  kMalformed,        // a part of it missing or unreadable
  kUnknownKey,       // another access key id
  kExpired,          // x-amz-date more than 15 minutes from now
  kMismatch,         // the signature (or the body's hash) does not match
  kUnsignedHeaders,  // a presigned URL's request carries x-amz-* headers it did not sign
};

struct SigV4Check {
  SigV4Failure failure = SigV4Failure::kNone;
  std::string message;  // "" when ok
  std::string region;   // the credential scope's region, when it could be read
  bool presigned = false;  // the signature was a presigned URL's
  // When ok: what an aws-chunked body's chunk signatures chain from (the request's
  // signature, hex), and are computed with.
  std::string signature;
  std::string amz_date;     // "20130524T000000Z"
  std::string scope;        // "20130524/us-east-1/s3/aws4_request"
  std::string signing_key;  // SigV4's derived key, raw
  bool ok() const { return failure == SigV4Failure::kNone; }
};

// How far x-amz-date may be from the server's clock, as AWS allows.
inline constexpr int64_t kSigV4MaxSkewSeconds = 15 * 60;

SigV4Check VerifySigV4(const net::HttpRequest& request, const SigV4Expectation& expected,
                       int64_t now_unix_seconds);

// Whether `s` is a SHA-256 as x-amz-content-sha256 carries one: 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

// "20261203T121956Z" -> Unix seconds; -1 if it is not that form.
int64_t ParseAmzDate(std::string_view amz_date);

}  // namespace tributary::app
