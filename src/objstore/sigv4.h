// AWS Signature Version 4 for the S3 backend: canonical request, string to sign,
// signing key and the Authorization header, as AWS documents them. Pure functions,
// no I/O; thread-safe.
//
// What the caller decides (S3's rules, which differ from other AWS services):
//  - canonical_uri is the path exactly as sent, already URI-encoded once (each byte
//    outside A-Z a-z 0-9 - . _ ~ as %XX, '/' kept); it is not normalized ("a//b" and
//    "." stay), because S3 keys are not paths;
//  - every header passed is signed (host and x-amz-date at least; x-amz-content-sha256
//    for S3), so pass only those sent on the wire;
//  - payload_hash is the hex SHA-256 of the body, or kUnsignedPayload.
//
//   sigv4::Request req{"GET", "/bucket/a%20b.json", {{"list-type", "2"}},
//                      {{"host", "s3.example"}, {"x-amz-date", date}, ...}, hash};
//   auto auth = sigv4::Sign(req, creds, "us-east-1", "s3", date).authorization;
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/hex.h"  // HexEncode, which the signatures use

namespace tributary::objstore::sigv4 {

inline constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";
inline constexpr char kEmptyPayloadHash[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token by the caller when set
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string canonical_uri;  // encoded path, e.g. "/examplebucket/test.txt"
  Pairs query;                // raw (not yet encoded) names and values, any order
  Pairs headers;              // names in any case, raw values; repeated names allowed
  std::string payload_hash;   // hex SHA-256 of the body, or kUnsignedPayload
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // lower-case hex
  std::string authorization;   // the Authorization header value
  std::string signed_headers;  // "host;range;x-amz-date"
};

// `amz_date` is the x-amz-date value ("20150830T123600Z"); its first 8 characters
// name the day in the credential scope.
Signature Sign(const Request& request, const Credentials& credentials, std::string_view region,
               std::string_view service, std::string_view amz_date);

// Percent-encodes every byte except unreserved ones (and '/' unless encode_slash).
std::string UriEncode(std::string_view s, bool encode_slash);

// name=value pairs encoded, sorted by name then value, joined with '&'.
std::string CanonicalQueryString(const Pairs& query);

// The first value of each name, in the order given: what S3 signs of a query name given
// more than once (AWS's test vectors sign every value).
Pairs FirstValues(const Pairs& query);

// "20150830T123600Z" for a Unix time in seconds (UTC).
std::string AmzDate(int64_t unix_seconds);

std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

// kSigning = HMAC chain over "AWS4"+secret, day, region, service, "aws4_request".
std::string SigningKey(std::string_view secret, std::string_view day, std::string_view region,
                       std::string_view service);

}  // namespace tributary::objstore::sigv4
