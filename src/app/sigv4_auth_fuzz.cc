// libFuzzer target for the SigV4 check (sigv4_auth.h): every request to the AWS-shaped
// APIs reaches it before anything else, from anyone who can connect. Built by
// scripts/run-fuzz.
//
// The input describes a request (method, path as signed, query, headers, body, how far its
// date is from the server's clock) and how it is signed:
//  - signed by the client signer (objstore/sigv4.h, checked against AWS's test vectors)
//    with the Authorization header or as a presigned URL, as an AWS SDK sends it: the
//    check must take it exactly when its date is within the window (15 minutes' skew; a
//    presigned URL's expiry), and give back the region, scope, signature and signing key
//    the client used. Then one thing the signature covers is changed after signing (the
//    method, the path, a query value, a signed header's value, the body), an x-amz-*
//    header it does not cover is added, or a presigned URL's own parameter is given twice:
//    the check must refuse it. Query names may repeat, signed as AWS's vectors sign them
//    (every value) or as S3 does (the first value of each name; the service here is s3);
//  - or not signed at all, with an Authorization header or X-Amz-* query parameters the
//    input spells out: the check must refuse it without the secret, whatever it says.
// Every refusal has a message; nothing may crash, hang or overflow (ASan + UBSan).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/sigv4_auth.h"
#include "base/ascii.h"
#include "objstore/sigv4.h"

namespace {

using tributary::app::SigV4Check;
using tributary::app::SigV4Expectation;
using tributary::app::SigV4Failure;
using tributary::app::VerifySigV4;
using tributary::net::HttpRequest;
namespace sigv4 = tributary::objstore::sigv4;

constexpr int64_t kNow = 1796644800;  // 2026-12-07T12:00:00Z
constexpr char kKey[] = "admin";
constexpr char kSecret[] = "fuzz-admin-token";
constexpr char kService[] = "s3";

void Require(bool condition, const char* what) {
  if (!condition) {
    fprintf(stderr, "sigv4_auth_fuzz: %s\n", what);
    std::abort();
  }
}

// A header name as the server hands it over: lower case, a token.
std::string HeaderName(FuzzedDataProvider& in) {
  std::string name = "x-";
  for (char c : in.ConsumeRandomLengthString(12)) {
    const char lower = tributary::AsciiLower(c);
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '-')
      name += lower;
  }
  return name;
}

SigV4Check Check(const HttpRequest& r, const SigV4Expectation& expected) {
  SigV4Check check = VerifySigV4(r, expected, kNow);
  Require(check.ok() == check.message.empty(),
          "a refusal without a message, or an acceptance with one");
  return check;
}

void Refused(const HttpRequest& r, const SigV4Expectation& expected, const char* what) {
  if (Check(r, expected).ok()) {
    fprintf(stderr, "sigv4_auth_fuzz: taken after %s\n", what);
    std::abort();
  }
}

void Unsigned(FuzzedDataProvider& in, HttpRequest r, const SigV4Expectation& expected) {
  if (in.ConsumeBool()) {
    r.headers["authorization"] = in.ConsumeRandomLengthString(300);
    r.headers["x-amz-date"] = in.ConsumeRandomLengthString(20);
  } else {
    for (const char* name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                             "X-Amz-SignedHeaders", "X-Amz-Signature"}) {
      r.AddQuery(name, in.ConsumeRandomLengthString(80));
    }
  }
  r.body = in.ConsumeRemainingBytesAsString();
  Refused(r, expected, "no signature made with the secret");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int form = in.ConsumeIntegralInRange(0, 2);  // header, presigned URL, not signed
  HttpRequest r;
  r.method = in.PickValueInArray({"GET", "PUT", "POST", "HEAD", "DELETE"});
  SigV4Expectation expected{kKey, kSecret, kService, "/" + in.ConsumeRandomLengthString(40)};
  const std::string host = "127.0.0.1:" + std::to_string(in.ConsumeIntegral<uint16_t>());
  r.headers["host"] = host;
  // Names may repeat (?a=2&a=1): the signature covers every value.
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    std::string name = in.ConsumeBool() && !r.query_pairs.empty()
                           ? r.query_pairs.back().first
                           : in.ConsumeRandomLengthString(16);
    if (name.rfind("X-Amz-", 0) == 0) continue;  // the presigned URL's own
    r.AddQuery(name, in.ConsumeRandomLengthString(24));
  }
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    std::string name = HeaderName(in);
    if (name == "x-amz-date" || name == "x-amz-content-sha256") continue;
    r.headers[name] = in.ConsumeRandomLengthString(24);
  }
  if (form == 2) {
    Unsigned(in, r, expected);
    return 0;
  }
  const bool presigned = form == 1;
  const int64_t skew = in.ConsumeIntegralInRange<int64_t>(-1500, 1500);
  const int64_t expires = in.ConsumeIntegralInRange<int64_t>(1, 7 * 24 * 3600);
  expected.body_follows = !presigned && in.ConsumeBool();
  const int hash_form = in.ConsumeIntegralInRange(0, 2);  // none, the body's, UNSIGNED-PAYLOAD
  const bool sign_hash = in.ConsumeBool();
  const int change = in.ConsumeIntegralInRange(0, 6);
  const size_t repeated = in.ConsumeIntegralInRange(0, 5);  // the parameter change 6 repeats
  const bool first_values_only = in.ConsumeBool();
  const std::string region = in.PickValueInArray({"us-east-1", "local", "eu-west-3"});
  r.body = in.ConsumeRemainingBytesAsString();

  const std::string date = sigv4::AmzDate(kNow + skew);
  const std::string day = date.substr(0, 8);
  sigv4::Request client{r.method, expected.canonical_uri, {}, {}, sigv4::Sha256Hex(r.body)};
  if (presigned) {
    client.payload_hash = sigv4::kUnsignedPayload;
  } else {
    r.headers["x-amz-date"] = date;
    if (expected.body_follows || hash_form == 1 || (hash_form == 2 && !r.body.empty())) {
      r.headers["x-amz-content-sha256"] = client.payload_hash;
    } else if (hash_form == 2) {
      r.headers["x-amz-content-sha256"] = client.payload_hash = sigv4::kUnsignedPayload;
    }
  }
  for (const auto& [name, value] : r.headers) {
    if (name != "x-amz-content-sha256" || sign_hash) client.headers.emplace_back(name, value);
  }
  std::string signed_names;
  for (const auto& [name, value] : client.headers)
    signed_names += (signed_names.empty() ? "" : ";") + name;
  if (presigned) {
    r.AddQuery("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    r.AddQuery("X-Amz-Credential",
               std::string(kKey) + "/" + day + "/" + region + "/" + kService + "/aws4_request");
    r.AddQuery("X-Amz-Date", date);
    r.AddQuery("X-Amz-Expires", std::to_string(expires));
    r.AddQuery("X-Amz-SignedHeaders", signed_names);
  }
  client.query = r.query_pairs;
  // As S3 signs a name given more than once (and as it is taken).
  if (first_values_only) client.query = sigv4::FirstValues(client.query);
  const sigv4::Signature signature =
      sigv4::Sign(client, {kKey, kSecret, ""}, region, kService, date);
  Require(signature.signed_headers == signed_names,
          "the signer's SignedHeaders are not the header names, sorted");
  if (presigned) {
    r.AddQuery("X-Amz-Signature", signature.signature);
  } else {
    r.headers["authorization"] = signature.authorization;
  }

  const bool in_time = presigned ? skew <= tributary::app::kSigV4MaxSkewSeconds && -skew <= expires
                                 : skew >= -tributary::app::kSigV4MaxSkewSeconds &&
                                       skew <= tributary::app::kSigV4MaxSkewSeconds;
  SigV4Check check = Check(r, expected);
  if (!in_time) {
    Require(check.failure == SigV4Failure::kExpired,
            "a signature out of its time was not refused as expired");
    return 0;
  }
  if (!check.ok()) {
    fprintf(stderr, "sigv4_auth_fuzz: a request signed as an SDK signs it was refused: %s\n",
            check.message.c_str());
    std::abort();
  }
  Require(check.presigned == presigned && check.region == region && check.amz_date == date &&
              check.signature == signature.signature &&
              check.scope == day + "/" + region + "/" + kService + "/aws4_request" &&
              check.signing_key == sigv4::SigningKey(kSecret, day, region, kService),
          "the check gave back other credentials than those signed with");

  switch (change) {
    case 0:
      r.method += "X";
      Refused(r, expected, "the method changed");
      break;
    case 1:
      expected.canonical_uri += "x";
      Refused(r, expected, "the path changed");
      break;
    case 2:
      if (r.query_pairs.empty() || (presigned && r.query_pairs.size() == 6)) break;
      for (auto& [name, value] : r.query_pairs) {
        if (name.rfind("X-Amz-", 0) == 0) continue;
        value += "x";
        break;
      }
      Refused(r, expected, "a query value changed");
      break;
    case 3:
      r.headers["host"] += "0";
      Refused(r, expected, "a signed header's value changed");
      break;
    case 4:
      // A presigned URL signs no body, by design; nor does the check look at a body still
      // to come (the caller checks it against x-amz-content-sha256).
      if (presigned || expected.body_follows) break;
      r.body += "x";
      Refused(r, expected, "the body changed");
      break;
    case 5:
      r.headers["x-amz-copy-source"] = "/other-bucket/key";
      Refused(r, expected, "an unsigned x-amz-* header was added");
      break;
    case 6: {
      // One of the presigned URL's own parameters given again, even with the same value.
      if (!presigned) break;
      const auto again = r.query_pairs[r.query_pairs.size() - 1 - repeated];
      r.AddQuery(again.first, again.second);
      Refused(r, expected, "a presigned URL's parameter given twice");
      break;
    }
  }
  return 0;
}
