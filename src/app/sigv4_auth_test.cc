#include "app/sigv4_auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "objstore/sigv4.h"

namespace tributary::app {
namespace {

namespace sigv4 = objstore::sigv4;

// AWS's SigV4 test suite, "post-vanilla": POST / with host and x-amz-date, no body.
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteDate[] = "20150830T123600Z";

net::HttpRequest PostVanilla() {
  net::HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers["host"] = "example.amazonaws.com";
  r.headers["x-amz-date"] = kSuiteDate;
  r.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";
  return r;
}

SigV4Expectation SuiteKey() { return {"AKIDEXAMPLE", kSuiteSecret, "service", "/"}; }

// A PutRecord the AWS SDK for JavaScript (v3) signed with access key "admin" and secret
// "tok", as the server received it.
constexpr char kSdkDate[] = "20261203T121956Z";

net::HttpRequest SdkPutRecord() {
  net::HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.body = R"({"DeliveryStreamName":"s","Record":{"Data":"aGVsbG8="}})";
  r.headers = {
      {"content-type", "application/x-amz-json-1.1"},
      {"x-amz-target", "Firehose_20150804.PutRecord"},
      {"content-length", "55"},
      {"x-amz-user-agent", "aws-sdk-js/3.1177.0"},
      {"user-agent", "aws-sdk-js/3.1177.0 ua/2.1 os/linux#6.18.44-fc-v1098 lang/js md/nodejs#20.20.2 "
                     "api/firehose#3.1177.0 m/N,E,e"},
      {"host", "127.0.0.1:33195"},
      {"amz-sdk-invocation-id", "c714c134-c84a-45a6-b66b-a5119873a4cc"},
      {"amz-sdk-request", "attempt=1; max=3"},
      {"x-amz-date", kSdkDate},
      {"x-amz-content-sha256", "9f79f1e26920c6c42c879fd0b757ffeb354443c722a161a06999061b8d6fe70b"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=admin/20261203/us-east-1/firehose/aws4_request, "
       "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;"
       "x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent, "
       "Signature=028aea5b31befaef904fab8e5a8aab704c5659c2452808295be750aeced59318"},
      {"connection", "keep-alive"},
  };
  return r;
}

SigV4Expectation SdkKey() { return {"admin", "tok", "firehose", "/"}; }

TEST(SigV4AuthTest, ParsesAmzDate) {
  EXPECT_EQ(ParseAmzDate("20150830T123600Z"), 1440938160);
  EXPECT_EQ(ParseAmzDate("19700101T000000Z"), 0);
  EXPECT_EQ(ParseAmzDate("20150830T123600"), -1);
  EXPECT_EQ(ParseAmzDate("2015-08-30T12:36"), -1);
  EXPECT_EQ(ParseAmzDate("20151330T123600Z"), -1);
  EXPECT_EQ(ParseAmzDate("2015083xT123600Z"), -1);
}

TEST(SigV4AuthTest, AcceptsTheSuitesPostVanilla) {
  SigV4Check check = VerifySigV4(PostVanilla(), SuiteKey(), ParseAmzDate(kSuiteDate));
  EXPECT_TRUE(check.ok()) << check.message;
  EXPECT_EQ(check.region, "us-east-1");
}

// The suite's vectors that repeat a name, as the server hands them over: each value of a
// query name given twice (get-vanilla-query-order-value), and a header sent three times,
// joined with ',' (get-header-key-duplicate). Keeping only the last value fails both.
TEST(SigV4AuthTest, AcceptsTheSuitesRepeatedQueryNamesAndHeaders) {
  auto suite_get = [](const char* signed_headers, const char* signature) {
    net::HttpRequest r = PostVanilla();
    r.method = "GET";
    r.headers["authorization"] =
        std::string(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=") +
        signed_headers + ", Signature=" + signature;
    return r;
  };
  const int64_t now = ParseAmzDate(kSuiteDate);

  net::HttpRequest query = suite_get(
      "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
  query.AddQuery("Param1", "value2");
  query.AddQuery("Param1", "value1");
  SigV4Check check = VerifySigV4(query, SuiteKey(), now);
  EXPECT_TRUE(check.ok()) << check.message;
  query.query_pairs.erase(query.query_pairs.begin());  // the last value only
  EXPECT_EQ(VerifySigV4(query, SuiteKey(), now).failure, SigV4Failure::kMismatch);

  net::HttpRequest header =
      suite_get("host;my-header1;x-amz-date",
                "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
  header.headers["my-header1"] = "value2,value2,value1";
  check = VerifySigV4(header, SuiteKey(), now);
  EXPECT_TRUE(check.ok()) << check.message;
  header.headers["my-header1"] = "value1";
  EXPECT_EQ(VerifySigV4(header, SuiteKey(), now).failure, SigV4Failure::kMismatch);
}

// S3 signs only the first value of a query name given more than once (and takes only
// that one); the other services sign every value. A request to S3 is taken signed either
// way; to another service, only with every value.
TEST(SigV4AuthTest, S3AlsoTakesTheFirstValueOfARepeatedQueryName) {
  const sigv4::Credentials credentials{"admin", "tok", ""};
  auto signed_get = [&](const std::string& service, sigv4::Pairs signed_query) {
    net::HttpRequest r;
    r.method = "GET";
    r.path = r.raw_path = "/lake";
    r.headers = {{"host", "127.0.0.1:9000"}, {"x-amz-date", kSdkDate}};
    sigv4::Request client{"GET",
                          "/lake",
                          std::move(signed_query),
                          {{"host", "127.0.0.1:9000"}, {"x-amz-date", kSdkDate}},
                          sigv4::Sha256Hex("")};
    r.headers["authorization"] =
        sigv4::Sign(client, credentials, "us-east-1", service, kSdkDate).authorization;
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"prefix", "b/"}, {"list-type", "2"}, {"prefix", "a/"}}) {
      r.AddQuery(name, value);
    }
    return VerifySigV4(r, {"admin", "tok", service, "/lake"}, ParseAmzDate(kSdkDate));
  };
  const sigv4::Pairs every{{"prefix", "b/"}, {"list-type", "2"}, {"prefix", "a/"}};
  const sigv4::Pairs first{{"prefix", "b/"}, {"list-type", "2"}};
  const sigv4::Pairs last{{"list-type", "2"}, {"prefix", "a/"}};
  SigV4Check check = signed_get("s3", first);
  EXPECT_TRUE(check.ok()) << check.message;
  check = signed_get("s3", every);
  EXPECT_TRUE(check.ok()) << check.message;
  EXPECT_EQ(signed_get("s3", last).failure, SigV4Failure::kMismatch);
  EXPECT_EQ(signed_get("firehose", first).failure, SigV4Failure::kMismatch);
  check = signed_get("firehose", every);
  EXPECT_TRUE(check.ok()) << check.message;
}

TEST(SigV4AuthTest, AcceptsARequestTheAwsSdkSigned) {
  SigV4Check check = VerifySigV4(SdkPutRecord(), SdkKey(), ParseAmzDate(kSdkDate) + 60);
  EXPECT_TRUE(check.ok()) << check.message;
}

TEST(SigV4AuthTest, RefusesAnyChangeToWhatWasSigned) {
  const int64_t now = ParseAmzDate(kSdkDate);
  {
    net::HttpRequest r = SdkPutRecord();  // the body, with its hash header left as signed
    r.body[r.body.size() - 4] = 'X';
    SigV4Check check = VerifySigV4(r, SdkKey(), now);
    EXPECT_EQ(check.failure, SigV4Failure::kMismatch);
    EXPECT_NE(check.message.find("x-amz-content-sha256"), std::string::npos) << check.message;
  }
  {
    net::HttpRequest r = SdkPutRecord();  // the body and its hash: the signature no longer fits
    r.body[r.body.size() - 4] = 'X';
    r.headers.erase("x-amz-content-sha256");
    r.headers["authorization"].replace(r.headers["authorization"].find("x-amz-content-sha256;"),
                                       21, "");
    EXPECT_EQ(VerifySigV4(r, SdkKey(), now).failure, SigV4Failure::kMismatch);
  }
  {
    net::HttpRequest r = SdkPutRecord();  // a signed header
    r.headers["x-amz-target"] = "Firehose_20150804.DeleteDeliveryStream";
    SigV4Check check = VerifySigV4(r, SdkKey(), now);
    EXPECT_EQ(check.failure, SigV4Failure::kMismatch);
    EXPECT_NE(check.message.find("does not match"), std::string::npos) << check.message;
  }
  {
    net::HttpRequest r = SdkPutRecord();  // the method
    r.method = "PUT";
    EXPECT_EQ(VerifySigV4(r, SdkKey(), now).failure, SigV4Failure::kMismatch);
  }
  {
    net::HttpRequest r = SdkPutRecord();  // a query parameter added
    r.AddQuery("x", "1");
    EXPECT_EQ(VerifySigV4(r, SdkKey(), now).failure, SigV4Failure::kMismatch);
  }
  {
    net::HttpRequest r = SdkPutRecord();  // an unsigned header may change
    r.headers["user-agent"] = "something else";
    EXPECT_TRUE(VerifySigV4(r, SdkKey(), now).ok());
  }
  {
    // An x-amz-* header added after signing is refused, naming it, as S3 refuses it
    // (x-amz-copy-source would turn a signed PUT into a copy of another object).
    net::HttpRequest r = SdkPutRecord();
    r.headers["x-amz-copy-source"] = "/rev1/x-1";
    SigV4Check check = VerifySigV4(r, SdkKey(), now);
    EXPECT_EQ(check.failure, SigV4Failure::kUnsignedHeaders);
    EXPECT_NE(check.message.find("not signed: x-amz-copy-source"), std::string::npos)
        << check.message;
  }
}

TEST(SigV4AuthTest, RefusesAnotherSecretOrKey) {
  const int64_t now = ParseAmzDate(kSdkDate);
  SigV4Expectation other = SdkKey();
  other.secret = "tak";
  EXPECT_EQ(VerifySigV4(SdkPutRecord(), other, now).failure, SigV4Failure::kMismatch);
  other = SdkKey();
  other.access_key_id = "root";
  SigV4Check check = VerifySigV4(SdkPutRecord(), other, now);
  EXPECT_EQ(check.failure, SigV4Failure::kUnknownKey);
  EXPECT_NE(check.message.find("unknown access key id 'admin'"), std::string::npos) << check.message;
  other = SdkKey();
  other.service = "s3";
  check = VerifySigV4(SdkPutRecord(), other, now);
  EXPECT_EQ(check.failure, SigV4Failure::kMalformed);
  EXPECT_NE(check.message.find("service 'firehose', not 's3'"), std::string::npos) << check.message;
}

TEST(SigV4AuthTest, RefusesASignatureOlderOrNewerThanFifteenMinutes) {
  const int64_t signed_at = ParseAmzDate(kSdkDate);
  EXPECT_TRUE(VerifySigV4(SdkPutRecord(), SdkKey(), signed_at + kSigV4MaxSkewSeconds).ok());
  EXPECT_TRUE(VerifySigV4(SdkPutRecord(), SdkKey(), signed_at - kSigV4MaxSkewSeconds).ok());
  SigV4Check late = VerifySigV4(SdkPutRecord(), SdkKey(), signed_at + kSigV4MaxSkewSeconds + 1);
  EXPECT_EQ(late.failure, SigV4Failure::kExpired);
  EXPECT_NE(late.message.find("more than 15 minutes"), std::string::npos) << late.message;
  EXPECT_EQ(VerifySigV4(SdkPutRecord(), SdkKey(), signed_at - kSigV4MaxSkewSeconds - 1).failure,
            SigV4Failure::kExpired);
}

TEST(SigV4AuthTest, NamesWhatIsMissingOrMalformed) {
  const int64_t now = ParseAmzDate(kSdkDate);
  struct Case {
    const char* authorization;
    SigV4Failure failure;
    const char* message_part;
  };
  const Case cases[] = {
      {"", SigV4Failure::kMissing, "not signed"},
      {"Bearer abc", SigV4Failure::kMissing, "not AWS4-HMAC-SHA256"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261203/us-east-1/firehose/aws4_request, "
       "SignedHeaders=host;x-amz-date",
       SigV4Failure::kMalformed, "no Signature"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261203/firehose/aws4_request, "
       "SignedHeaders=host;x-amz-date, Signature=00",
       SigV4Failure::kMalformed, "is not <access key id>/<yyyymmdd>/<region>/<service>/aws4_request"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261203/us-east-1/firehose/aws4_request, "
       "SignedHeaders=host;x-amz-date;x-missing, Signature=00",
       SigV4Failure::kMalformed, "signed header 'x-missing' is not in the request"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261203/us-east-1/firehose/aws4_request, "
       "SignedHeaders=x-amz-date, Signature=00",
       SigV4Failure::kMalformed, "must include host"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261202/us-east-1/firehose/aws4_request, "
       "SignedHeaders=host;x-amz-date, Signature=00",
       SigV4Failure::kMalformed, "Credential's day 20261202 is not x-amz-date's"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261203/us-east-1/firehose/aws4_request, "
       "SignedHeaders=x-amz-date;host, Signature=00",
       SigV4Failure::kMalformed, "sorted"},
      {"AWS4-HMAC-SHA256 Credential=admin/20261203/us-east-1/firehose/aws4_request, "
       "SignedHeaders=host;x-amz-date, Signature=00, Extra=1",
       SigV4Failure::kMalformed, "unknown part 'Extra'"},
  };
  for (const Case& c : cases) {
    net::HttpRequest r = SdkPutRecord();
    if (*c.authorization == '\0') {
      r.headers.erase("authorization");
    } else {
      r.headers["authorization"] = c.authorization;
    }
    SigV4Check check = VerifySigV4(r, SdkKey(), now);
    EXPECT_EQ(check.failure, c.failure) << c.authorization << ": " << check.message;
    EXPECT_NE(check.message.find(c.message_part), std::string::npos)
        << c.authorization << ": " << check.message;
  }
}

TEST(SigV4AuthTest, TakesAnUnsignedPayloadOnlyWithoutABody) {
  // A GET as an S3 client signs it: UNSIGNED-PAYLOAD in the canonical request.
  net::HttpRequest r;
  r.method = "GET";
  r.path = r.raw_path = "/iot-data/a b.json";
  r.headers = {{"host", "127.0.0.1:8080"},
               {"x-amz-date", kSdkDate},
               {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  objstore::sigv4::Request signed_request{"GET", "/iot-data/a%20b.json", {}, {}, "UNSIGNED-PAYLOAD"};
  for (const auto& [name, value] : r.headers) signed_request.headers.emplace_back(name, value);
  std::string authorization =
      objstore::sigv4::Sign(signed_request, {"admin", "tok", ""}, "us-east-1", "s3", kSdkDate).authorization;
  r.headers["authorization"] = authorization;
  const SigV4Expectation s3{"admin", "tok", "s3", "/iot-data/a%20b.json"};
  SigV4Check check = VerifySigV4(r, s3, ParseAmzDate(kSdkDate));
  EXPECT_TRUE(check.ok()) << check.message;
  r.body = "x";  // the same signature over a body nobody signed
  EXPECT_EQ(VerifySigV4(r, s3, ParseAmzDate(kSdkDate)).failure, SigV4Failure::kMismatch);
}

TEST(SigV4AuthTest, RefusesAnUnsignedPayload) {
  net::HttpRequest r = SdkPutRecord();
  r.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  SigV4Check check = VerifySigV4(r, SdkKey(), ParseAmzDate(kSdkDate));
  EXPECT_EQ(check.failure, SigV4Failure::kMismatch);
  EXPECT_NE(check.message.find("UNSIGNED-PAYLOAD is not accepted"), std::string::npos) << check.message;
}

// A body still to come (a large PutObject, taken piece by piece): the SDK's own signed
// request checks out with its body not there, x-amz-content-sha256 standing for it; a
// hash that is not one, an unsigned payload or an aws-chunked form that is not one is
// refused naming it.
TEST(SigV4AuthTest, ChecksTheSignatureOfABodyToCome) {
  net::HttpRequest r = SdkPutRecord();
  r.body.clear();
  SigV4Expectation follows = SdkKey();
  follows.body_follows = true;
  SigV4Check check = VerifySigV4(r, follows, ParseAmzDate(kSdkDate));
  EXPECT_TRUE(check.ok()) << check.message;
  // Without body_follows the missing body is not the one signed.
  EXPECT_EQ(VerifySigV4(r, SdkKey(), ParseAmzDate(kSdkDate)).failure, SigV4Failure::kMismatch);
  // Another declared hash: the signature no longer matches.
  net::HttpRequest other = r;
  other.headers["x-amz-content-sha256"] = std::string(64, 'a');
  EXPECT_EQ(VerifySigV4(other, follows, ParseAmzDate(kSdkDate)).failure, SigV4Failure::kMismatch);
  for (const auto& [sent, says] : std::vector<std::pair<std::string, std::string>>{
           {"UNSIGNED-PAYLOAD", "is not the body's SHA-256"},
           {"STREAMING-AWS4-HMAC-SHA512-PAYLOAD", "is not an aws-chunked form taken here"},
           {"", "signed header 'x-amz-content-sha256' is not in the request"},
           {std::string(64, 'A'), "is not the body's SHA-256"}}) {
    net::HttpRequest bad = r;
    if (sent.empty()) {
      bad.headers.erase("x-amz-content-sha256");
    } else {
      bad.headers["x-amz-content-sha256"] = sent;
    }
    SigV4Check refused = VerifySigV4(bad, follows, ParseAmzDate(kSdkDate));
    EXPECT_EQ(refused.failure, SigV4Failure::kMalformed) << sent;
    EXPECT_NE(refused.message.find(says), std::string::npos) << sent << ": " << refused.message;
  }
}

// Removes `name` from both forms of the query.
void EraseQuery(net::HttpRequest& r, const std::string& name) {
  r.query.erase(name);
  std::erase_if(r.query_pairs, [&](const auto& pair) { return pair.first == name; });
}

// Gives `name` the one value `value`, where it stood (at the end if it was not there).
void SetQuery(net::HttpRequest& r, const std::string& name, const std::string& value) {
  r.query[name] = value;
  auto it = std::find_if(r.query_pairs.begin(), r.query_pairs.end(),
                         [&](const auto& pair) { return pair.first == name; });
  if (it == r.query_pairs.end()) {
    r.query_pairs.emplace_back(name, value);
  } else {
    it->second = value;
  }
}

// S3's documented presigned URL: GET /test.txt from examplebucket, signed 2013-05-24 for
// 86400 s with AWS's example key ("Authenticating Requests: Using Query Parameters").
constexpr char kDocSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

net::HttpRequest DocPresignedGet() {
  net::HttpRequest r;
  r.method = "GET";
  r.path = r.raw_path = "/test.txt";
  r.headers["host"] = "examplebucket.s3.amazonaws.com";
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
           {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
           {"X-Amz-Date", "20130524T000000Z"},
           {"X-Amz-Expires", "86400"},
           {"X-Amz-SignedHeaders", "host"},
           {"X-Amz-Signature",
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}}) {
    r.AddQuery(name, value);
  }
  return r;
}

TEST(SigV4AuthTest, TakesAPresignedUrlUntilItExpires) {
  const SigV4Expectation key{"AKIAIOSFODNN7EXAMPLE", kDocSecret, "s3", "/test.txt"};
  const int64_t signed_at = ParseAmzDate("20130524T000000Z");
  SigV4Check check = VerifySigV4(DocPresignedGet(), key, signed_at + 3600);
  EXPECT_TRUE(check.ok()) << check.message;
  EXPECT_TRUE(check.presigned);
  EXPECT_TRUE(VerifySigV4(DocPresignedGet(), key, signed_at + 86400).ok());
  // A body is not signed by a presigned URL, by design: an upload to it is taken.
  net::HttpRequest with_body = DocPresignedGet();
  with_body.body = "anything";
  EXPECT_TRUE(VerifySigV4(with_body, key, signed_at).ok());

  // Expired, or not valid yet.
  check = VerifySigV4(DocPresignedGet(), key, signed_at + 86401);
  EXPECT_EQ(check.failure, SigV4Failure::kExpired);
  EXPECT_NE(check.message.find("expired at 20130525T000000Z"), std::string::npos) << check.message;
  EXPECT_EQ(VerifySigV4(DocPresignedGet(), key, signed_at - 16 * 60).failure, SigV4Failure::kExpired);

  // Any change to what was signed: another path, method, host, parameter or lifetime.
  auto changed = [&](auto change) {
    net::HttpRequest r = DocPresignedGet();
    change(r);
    return VerifySigV4(r, {"AKIAIOSFODNN7EXAMPLE", kDocSecret, "s3", r.raw_path}, signed_at + 60).failure;
  };
  EXPECT_EQ(changed([](net::HttpRequest& r) { r.path = r.raw_path = "/other.txt"; }), SigV4Failure::kMismatch);
  EXPECT_EQ(changed([](net::HttpRequest& r) { r.method = "DELETE"; }), SigV4Failure::kMismatch);
  EXPECT_EQ(changed([](net::HttpRequest& r) { r.headers["host"] = "elsewhere"; }), SigV4Failure::kMismatch);
  EXPECT_EQ(changed([](net::HttpRequest& r) { SetQuery(r, "X-Amz-Expires", "604800"); }),
            SigV4Failure::kMismatch);
  EXPECT_EQ(changed([](net::HttpRequest& r) { r.AddQuery("versionId", "1"); }),
            SigV4Failure::kMismatch);
  EXPECT_EQ(changed([](net::HttpRequest& r) {
              SetQuery(r, "X-Amz-Signature", "b" + r.query["X-Amz-Signature"].substr(1));
            }),
            SigV4Failure::kMismatch);

  // An x-amz-* header the URL did not sign is refused, naming it: whoever holds a URL for a
  // PUT must not make it a copy (x-amz-copy-source) or give the object other metadata.
  check = VerifySigV4(
      [] {
        net::HttpRequest r = DocPresignedGet();
        r.headers["x-amz-copy-source"] = "other-bucket/secret";
        r.headers["x-amz-meta-owner"] = "me";
        return r;
      }(),
      key, signed_at + 60);
  EXPECT_EQ(check.failure, SigV4Failure::kUnsignedHeaders);
  EXPECT_NE(check.message.find("not signed: x-amz-copy-source, x-amz-meta-owner"),
            std::string::npos)
      << check.message;
  // Other headers (a range, a condition) are the holder's to choose, as on S3.
  net::HttpRequest ranged = DocPresignedGet();
  ranged.headers["range"] = "bytes=0-9";
  EXPECT_TRUE(VerifySigV4(ranged, key, signed_at + 60).ok());

  // Malformed: each part named.
  auto malformed = [&](const char* name, const char* value) {
    net::HttpRequest r = DocPresignedGet();
    if (value == nullptr) {
      EraseQuery(r, name);
    } else {
      SetQuery(r, name, value);
    }
    return VerifySigV4(r, key, signed_at + 60);
  };
  for (const char* name : {"X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"}) {
    check = malformed(name, nullptr);
    EXPECT_EQ(check.failure, SigV4Failure::kMalformed) << name;
    EXPECT_NE(check.message.find(name), std::string::npos) << check.message;
  }
  EXPECT_EQ(malformed("X-Amz-Expires", "0").failure, SigV4Failure::kMalformed);
  check = malformed("X-Amz-Expires", "604801");
  EXPECT_NE(check.message.find("1..604800"), std::string::npos) << check.message;
  EXPECT_EQ(malformed("X-Amz-Expires", "99999999999999999999999").failure, SigV4Failure::kMalformed);
  EXPECT_EQ(malformed("X-Amz-Algorithm", "AWS4-HMAC-SHA1").failure, SigV4Failure::kMissing);
  EXPECT_EQ(malformed("X-Amz-SignedHeaders", "range").failure, SigV4Failure::kMalformed);
  EXPECT_EQ(malformed("X-Amz-Credential", "someone/20130524/us-east-1/s3/aws4_request").failure,
            SigV4Failure::kUnknownKey);
  // One of the URL's own parameters given twice, even with the same value: which one
  // counts is not guessed.
  for (const char* name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"}) {
    net::HttpRequest r = DocPresignedGet();
    r.AddQuery(name, r.query[name]);
    check = VerifySigV4(r, key, signed_at + 60);
    EXPECT_EQ(check.failure, SigV4Failure::kMalformed) << name;
    EXPECT_NE(check.message.find(std::string("gives ") + name + " 2 times"), std::string::npos)
        << check.message;
  }
  // A Signature Version 2 URL is named as one.
  net::HttpRequest v2;
  v2.method = "GET";
  v2.path = v2.raw_path = "/test.txt";
  v2.headers["host"] = "examplebucket.s3.amazonaws.com";
  v2.AddQuery("AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE");
  v2.AddQuery("Signature", "x");
  v2.AddQuery("Expires", "1369440000");
  check = VerifySigV4(v2, key, signed_at);
  EXPECT_EQ(check.failure, SigV4Failure::kMissing);
  EXPECT_NE(check.message.find("Signature Version 2 URL"), std::string::npos) << check.message;
}

// S3's documented chunked upload (PUT examplebucket/chunkObject.txt, "Transferring payload
// in multiple chunks"): its header's signature is the seed the documentation gives, and
// the check hands back what the chunks' signatures chain from (aws_chunked_test.cc
// decodes its body).
TEST(SigV4AuthTest, TheDocumentedChunkedUploadsSeed) {
  net::HttpRequest r;
  r.method = "PUT";
  r.path = r.raw_path = "/examplebucket/chunkObject.txt";
  r.headers = {{"host", "s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
               {"content-encoding", "aws-chunked"},
               {"x-amz-decoded-content-length", "66560"},
               {"content-length", "66824"},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                "x-amz-decoded-content-length;x-amz-storage-class,"
                "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"}};
  SigV4Expectation key{"AKIAIOSFODNN7EXAMPLE", kDocSecret, "s3", r.raw_path, /*body_follows=*/true};
  SigV4Check check = VerifySigV4(r, key, ParseAmzDate("20130524T000000Z"));
  ASSERT_TRUE(check.ok()) << check.message;
  EXPECT_EQ(check.signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(check.amz_date, "20130524T000000Z");
  EXPECT_EQ(check.scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(check.signing_key, objstore::sigv4::SigningKey(kDocSecret, "20130524", "us-east-1", "s3"));
  // The body is not there yet: without body_follows the STREAMING form is not its hash.
  key.body_follows = false;
  EXPECT_EQ(VerifySigV4(r, key, ParseAmzDate("20130524T000000Z")).failure, SigV4Failure::kMismatch);
}

}  // namespace
}  // namespace tributary::app
