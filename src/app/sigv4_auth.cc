#include "app/sigv4_auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "app/aws_chunked.h"
#include "objstore/sigv4.h"

namespace tributary::app {
namespace {

namespace sigv4 = objstore::sigv4;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

SigV4Check Fail(SigV4Failure failure, std::string message, std::string region = "") {
  SigV4Check check;
  check.failure = failure;
  check.message = std::move(message);
  check.region = std::move(region);
  return check;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

struct Authorization {
  std::string_view credential;
  std::string_view signed_headers;
  std::string_view signature;
};

// The three "Name=value" parts after the algorithm, in any order, comma separated.
bool ParseAuthorization(std::string_view rest, Authorization* out, std::string* problem) {
  for (std::string_view part : Split(rest, ',')) {
    part = Trim(part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      *problem = "'" + std::string(part) + "' is not Name=value";
      return false;
    }
    std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
    if (name == "Credential") {
      out->credential = value;
    } else if (name == "SignedHeaders") {
      out->signed_headers = value;
    } else if (name == "Signature") {
      out->signature = value;
    } else {
      *problem = "unknown part '" + std::string(name) + "'";
      return false;
    }
  }
  for (auto [name, value] : {std::pair<const char*, std::string_view>{"Credential", out->credential},
                             {"SignedHeaders", out->signed_headers},
                             {"Signature", out->signature}}) {
    if (value.empty()) {
      *problem = std::string("no ") + name;
      return false;
    }
  }
  return true;
}

// Where a request's signature and what it covers were found: the Authorization header
// and x-amz-date, or a presigned URL's query.
struct SignedParts {
  SigV4Check failure;  // not ok when the parts could not be read
  std::string_view credential;
  std::string_view signed_headers;
  std::string_view signature;
  std::string amz_date;
  std::string_view where;    // "x-amz-date" or "X-Amz-Date", for messages
  int64_t expires_seconds = 0;  // a presigned URL's X-Amz-Expires; 0 for the header form
};

// A presigned URL lives at most 7 days, as AWS allows.
constexpr int64_t kMaxPresignedSeconds = 7 * 24 * 3600;

}  // namespace

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

int64_t ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  auto digits = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = digits(0, 4) - 1900;
  tm.tm_mon = digits(4, 2) - 1;
  tm.tm_mday = digits(6, 2);
  tm.tm_hour = digits(9, 2);
  tm.tm_min = digits(11, 2);
  tm.tm_sec = digits(13, 2);
  if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm));
}

namespace {

// The Authorization header's parts, or why it has none.
SignedParts HeaderParts(const net::HttpRequest& request, const SigV4Expectation& expected) {
  SignedParts parts;
  const std::string& header = request.Header("authorization");
  if (header.empty() && request.query.count("AWSAccessKeyId")) {
    parts.failure = Fail(SigV4Failure::kMissing,
                         "a Signature Version 2 URL (AWSAccessKeyId, Signature, Expires) is not taken: presign with "
                         "Signature Version 4 (the AWS CLI v1 does with s3.signature_version = s3v4 in its config)");
    return parts;
  }
  if (header.empty()) {
    parts.failure = Fail(SigV4Failure::kMissing,
                         "the request is not signed: send AWS Signature Version 4 with access key id '" +
                             expected.access_key_id + "' and the admin token as the secret access key");
    return parts;
  }
  std::string_view value = header;
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm || value.size() == kAlgorithm.size() ||
      value[kAlgorithm.size()] != ' ') {
    parts.failure = Fail(SigV4Failure::kMissing, "Authorization is not AWS4-HMAC-SHA256 (Signature Version 4)");
    return parts;
  }
  Authorization auth;
  std::string problem;
  if (!ParseAuthorization(value.substr(kAlgorithm.size() + 1), &auth, &problem)) {
    parts.failure = Fail(SigV4Failure::kMalformed, "Authorization header: " + problem);
    return parts;
  }
  parts.credential = auth.credential;
  parts.signed_headers = auth.signed_headers;
  parts.signature = auth.signature;
  parts.amz_date = request.Header("x-amz-date");
  parts.where = "x-amz-date";
  return parts;
}

// A presigned URL's X-Amz-* query parameters, or why they are not one.
SignedParts PresignedParts(const net::HttpRequest& request) {
  SignedParts parts;
  auto param = [&](const char* name) -> std::string_view {
    auto it = request.query.find(name);
    return it == request.query.end() ? std::string_view() : std::string_view(it->second);
  };
  if (param("X-Amz-Algorithm") != kAlgorithm) {
    parts.failure = Fail(SigV4Failure::kMissing, "X-Amz-Algorithm is not AWS4-HMAC-SHA256 (Signature Version 4)");
    return parts;
  }
  for (const char* name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                           "X-Amz-SignedHeaders", "X-Amz-Signature"}) {
    if (param(name).empty()) {
      parts.failure = Fail(SigV4Failure::kMalformed, std::string("the presigned URL has no ") + name);
      return parts;
    }
    // Which of two would count is not for the server to guess.
    size_t times = 0;
    for (const auto& pair : request.query_pairs) times += pair.first == name;
    if (times > 1) {
      parts.failure =
          Fail(SigV4Failure::kMalformed,
               fmt::format("the presigned URL gives {} {} times: give it once", name, times));
      return parts;
    }
  }
  std::string_view expires = param("X-Amz-Expires");
  int64_t seconds = 0;
  for (char c : expires) {
    if (c < '0' || c > '9' || seconds > kMaxPresignedSeconds) {
      seconds = -1;
      break;
    }
    seconds = seconds * 10 + (c - '0');
  }
  if (seconds < 1 || seconds > kMaxPresignedSeconds) {
    parts.failure = Fail(SigV4Failure::kMalformed, "X-Amz-Expires '" + std::string(expires) +
                                                       "' is not 1..604800 seconds (7 days)");
    return parts;
  }
  parts.credential = param("X-Amz-Credential");
  parts.signed_headers = param("X-Amz-SignedHeaders");
  parts.signature = param("X-Amz-Signature");
  parts.amz_date = std::string(param("X-Amz-Date"));
  parts.where = "X-Amz-Date";
  parts.expires_seconds = seconds;
  return parts;
}

SigV4Check VerifyParts(const net::HttpRequest& request, const SigV4Expectation& expected, int64_t now,
                       const SignedParts& auth) {
  if (!auth.failure.ok()) return auth.failure;
  // Credential=<key>/<day>/<region>/<service>/aws4_request
  std::vector<std::string_view> scope = Split(auth.credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty() || scope[2].empty()) {
    return Fail(SigV4Failure::kMalformed,
                "Credential '" + std::string(auth.credential) +
                    "' is not <access key id>/<yyyymmdd>/<region>/<service>/aws4_request");
  }
  std::string region(scope[2]);
  if (scope[0] != expected.access_key_id) {
    return Fail(SigV4Failure::kUnknownKey,
                "unknown access key id '" + std::string(scope[0]) + "': use '" +
                    expected.access_key_id + "' with the admin token as the secret access key",
                region);
  }
  if (scope[3] != expected.service) {
    return Fail(SigV4Failure::kMalformed,
                "Credential is scoped to service '" + std::string(scope[3]) + "', not '" +
                    expected.service + "'",
                region);
  }

  std::vector<std::string_view> names = Split(auth.signed_headers, ';');
  bool has_host = false, has_date = false;
  sigv4::Request canonical;
  canonical.method = request.method;
  canonical.canonical_uri = expected.canonical_uri;
  const bool presigned = auth.expires_seconds > 0;
  for (const auto& [name, value] : request.query_pairs) {
    if (!(presigned && name == "X-Amz-Signature")) canonical.query.emplace_back(name, value);
  }
  for (std::string_view name : names) {
    std::string key(name);
    auto it = request.headers.find(key);
    if (name.empty() || it == request.headers.end()) {
      return Fail(SigV4Failure::kMalformed,
                  "signed header '" + key + "' is not in the request (SignedHeaders=" +
                      std::string(auth.signed_headers) + ")",
                  region);
    }
    has_host |= name == "host";
    has_date |= name == "x-amz-date";
    canonical.headers.emplace_back(key, it->second);
  }
  if (!has_host || (!has_date && !presigned)) {  // a presigned URL signs its date in the query
    return Fail(SigV4Failure::kMalformed,
                std::string("SignedHeaders must include ") + (has_host ? "x-amz-date" : "host"),
                region);
  }
  const std::string& amz_date = auth.amz_date;
  const std::string where(auth.where);
  int64_t signed_at = ParseAmzDate(amz_date);
  if (signed_at < 0) {
    return Fail(SigV4Failure::kMalformed,
                where + " '" + amz_date + "' is not yyyymmddThhmmssZ", region);
  }
  if (amz_date.compare(0, 8, scope[1]) != 0) {
    return Fail(SigV4Failure::kMalformed,
                "Credential's day " + std::string(scope[1]) + " is not " + where + "'s (" +
                    amz_date + ")",
                region);
  }
  if (presigned) {
    if (signed_at > now + kSigV4MaxSkewSeconds) {
      return Fail(SigV4Failure::kExpired,
                  "the presigned URL is not valid yet: signed for " + amz_date + ", more than 15 minutes after " +
                      "the server's time " + sigv4::AmzDate(now),
                  region);
    }
    if (now > signed_at + auth.expires_seconds) {
      return Fail(SigV4Failure::kExpired,
                  "the presigned URL expired at " + sigv4::AmzDate(signed_at + auth.expires_seconds) +
                      " (signed " + amz_date + " for " + std::to_string(auth.expires_seconds) +
                      " s); the server's time is " + sigv4::AmzDate(now),
                  region);
    }
  } else if (signed_at < now - kSigV4MaxSkewSeconds || signed_at > now + kSigV4MaxSkewSeconds) {
    return Fail(SigV4Failure::kExpired,
                "signature expired: x-amz-date " + amz_date + " is more than 15 minutes from " +
                    "the server's time " + sigv4::AmzDate(now),
                region);
  }

  const std::string& sent_hash = request.Header("x-amz-content-sha256");
  canonical.payload_hash = expected.body_follows ? sent_hash : sigv4::Sha256Hex(request.body);
  if (presigned) {
    canonical.payload_hash = sigv4::kUnsignedPayload;  // a presigned URL signs no body, by design
  } else if (expected.body_follows) {
    if (!IsSha256Hex(sent_hash) && !AwsChunkedFormOf(sent_hash)) {
      return Fail(SigV4Failure::kMalformed,
                  sent_hash.empty() ? std::string("x-amz-content-sha256 is required: the body's SHA-256, signed")
                  : sent_hash.rfind("STREAMING-", 0) == 0
                      ? "x-amz-content-sha256: " + sent_hash +
                            " is not an aws-chunked form taken here (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER)"
                      : "x-amz-content-sha256: '" + sent_hash + "' is not the body's SHA-256 (64 hex digits); sign the body",
                  region);
    }
  } else if (sent_hash == sigv4::kUnsignedPayload && request.body.empty()) {
    canonical.payload_hash = sent_hash;  // nothing unsigned to trust: a read
  } else if (!sent_hash.empty() && sent_hash != canonical.payload_hash) {
    return Fail(SigV4Failure::kMismatch,
                sent_hash == sigv4::kUnsignedPayload
                    ? std::string("x-amz-content-sha256: UNSIGNED-PAYLOAD is not accepted; sign the body")
                    : "x-amz-content-sha256 is not the SHA-256 of the body",
                region);
  }

  sigv4::Signature expected_signature =
      sigv4::Sign(canonical, {expected.access_key_id, expected.secret, ""}, region,
                  expected.service, amz_date);
  if (expected_signature.signed_headers != auth.signed_headers) {
    return Fail(SigV4Failure::kMalformed,
                "SignedHeaders '" + std::string(auth.signed_headers) +
                    "' is not lower-case, sorted and without repeats",
                region);
  }
  auto matches = [&](const std::string& want) {
    return auth.signature.size() == want.size() &&
           CRYPTO_memcmp(auth.signature.data(), want.data(), want.size()) == 0;
  };
  // Of a name given more than once, AWS's vectors sign every value; S3 signs only the
  // first (and the operation takes only the first: what follows is not the signer's).
  // Both are taken for S3, as its clients sign either way.
  if (!matches(expected_signature.signature) && expected.service == "s3") {
    if (sigv4::Pairs firsts = sigv4::FirstValues(canonical.query);
        firsts.size() < canonical.query.size()) {
      canonical.query = std::move(firsts);
      expected_signature = sigv4::Sign(canonical, {expected.access_key_id, expected.secret, ""},
                                       region, expected.service, amz_date);
    }
  }
  const std::string& want = expected_signature.signature;
  if (!matches(want)) {
    return Fail(SigV4Failure::kMismatch,
                "the request signature does not match: sign with the admin token as the secret "
                "access key, and send the request as signed",
                region);
  }
  {
    // Whoever holds a signed request or a presigned URL may choose the body, not what is
    // done with it: an x-amz-* header the signature does not cover (x-amz-copy-source would
    // turn a PUT into a copy of any object, within the signature's 15 minutes) is refused,
    // as S3 refuses it. x-amz-content-sha256 of a header-signed request may go unsigned:
    // the body's hash is checked against it and signed in the canonical request anyway.
    std::string unsigned_names;
    for (const auto& [name, value] : request.headers) {
      if (name.rfind("x-amz-", 0) != 0) continue;
      if (!presigned && name == "x-amz-content-sha256") continue;
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      unsigned_names += (unsigned_names.empty() ? "" : ", ") + name;
    }
    if (!unsigned_names.empty()) {
      return Fail(
          SigV4Failure::kUnsignedHeaders,
          "there were headers present in the request which were not signed: " + unsigned_names +
              " (X-Amz-SignedHeaders=" + std::string(auth.signed_headers) + ")",
          region);
    }
  }
  SigV4Check ok;
  ok.region = region;
  ok.signature = want;
  ok.amz_date = amz_date;
  ok.scope = std::string(scope[1]) + "/" + region + "/" + expected.service + "/aws4_request";
  ok.signing_key = sigv4::SigningKey(expected.secret, scope[1], region, expected.service);
  return ok;
}

}  // namespace

SigV4Check VerifySigV4(const net::HttpRequest& request, const SigV4Expectation& expected,
                       int64_t now) {
  // Where the signature is: the Authorization header, or a presigned URL's query.
  const bool presigned = request.Header("authorization").empty() && request.query.count("X-Amz-Algorithm") > 0;
  SigV4Check check = presigned ? VerifyParts(request, expected, now, PresignedParts(request))
                               : VerifyParts(request, expected, now, HeaderParts(request, expected));
  check.presigned = presigned;
  return check;
}

}  // namespace tributary::app
