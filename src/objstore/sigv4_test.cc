// SigV4 against AWS's published vectors: the aws-sig-v4-test-suite (credentials
// AKIDEXAMPLE, service "service", us-east-1, 20150830T123600Z) and the GET-object
// example of the S3 SigV4 documentation. Expected strings are the suite's .creq/.sts/
// .authz contents.
#include "objstore/sigv4.h"

#include <gtest/gtest.h>

namespace tributary::objstore::sigv4 {
namespace {

const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr char kDate[] = "20150830T123600Z";

Pairs BaseHeaders() { return {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}}; }

Signature SuiteSign(const std::string& method, const std::string& uri, Pairs query, Pairs headers,
                    const std::string& body = "") {
  Request r{method, uri, std::move(query), std::move(headers), Sha256Hex(body)};
  return Sign(r, kSuite, "us-east-1", "service", kDate);
}

std::string Authz(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" +
         signed_headers + ", Signature=" + signature;
}

TEST(SigV4Suite, GetVanilla) {
  auto s = SuiteSign("GET", "/", {}, BaseHeaders());
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(
      s.authorization,
      Authz("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST(SigV4Suite, PostVanilla) {
  auto s = SuiteSign("POST", "/", {}, BaseHeaders());
  EXPECT_EQ(s.signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Suite, QueryOrderKeyCase) {
  auto s = SuiteSign("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, BaseHeaders());
  EXPECT_NE(s.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(s.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Suite, QueryOrderKeySortsRepeatedNamesByValue) {
  auto s = SuiteSign("GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}}, BaseHeaders());
  EXPECT_NE(s.canonical_request.find("\nParam1=Value1&Param1=value2\n"), std::string::npos);
  EXPECT_EQ(s.signature, "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
}

TEST(SigV4, FirstValuesKeepsTheFirstOfEachNameInOrder) {
  EXPECT_EQ(FirstValues({{"b", "1"}, {"a", "2"}, {"a", "1"}, {"b", "3"}, {"c", ""}}),
            (Pairs{{"b", "1"}, {"a", "2"}, {"c", ""}}));
  EXPECT_EQ(FirstValues({}), Pairs{});
}

TEST(SigV4Suite, QueryOrderValue) {
  auto s = SuiteSign("GET", "/", {{"Param1", "value2"}, {"Param1", "value1"}}, BaseHeaders());
  EXPECT_EQ(s.signature, "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
}

TEST(SigV4Suite, QueryUnreservedAndUtf8) {
  std::string unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(SuiteSign("GET", "/", {{unreserved, unreserved}}, BaseHeaders()).signature,
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
  auto utf8 = SuiteSign("GET", "/", {{"\xE1\x88\xB4", "bar"}}, BaseHeaders());
  EXPECT_NE(utf8.canonical_request.find("\n%E1%88%B4=bar\n"), std::string::npos);
  EXPECT_EQ(utf8.signature, "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST(SigV4Suite, Utf8AndUnreservedPaths) {
  EXPECT_EQ(UriEncode("/\xE1\x88\xB4", false), "/%E1%88%B4");
  EXPECT_EQ(SuiteSign("GET", UriEncode("/\xE1\x88\xB4", false), {}, BaseHeaders()).signature,
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  std::string path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(UriEncode(path, false), path);
  EXPECT_EQ(SuiteSign("GET", path, {}, BaseHeaders()).signature,
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
  EXPECT_EQ(SuiteSign("GET", UriEncode("/example space/", false), {}, BaseHeaders()).signature,
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4Suite, HeaderValueTrimCollapsesRunsOfSpaces) {
  Pairs headers = BaseHeaders();
  headers.emplace_back("My-Header1", " value1");
  headers.emplace_back("My-Header2", " \"a   b   c\"");
  auto s = SuiteSign("GET", "/", {}, headers);
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.signature, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SigV4Suite, HeaderKeyDuplicateJoinsValuesInOrder) {
  Pairs headers = BaseHeaders();
  headers.emplace_back("My-Header1", "value2");
  headers.emplace_back("My-Header1", "value2");
  headers.emplace_back("My-Header1", "value1");
  auto s = SuiteSign("GET", "/", {}, headers);
  EXPECT_NE(s.canonical_request.find("\nmy-header1:value2,value2,value1\n"), std::string::npos);
  EXPECT_EQ(s.signature, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

TEST(SigV4Suite, HeaderValueCaseIsKept) {
  Pairs headers = BaseHeaders();
  headers.emplace_back("My-Header1", "VALUE1");
  EXPECT_EQ(SuiteSign("POST", "/", {}, headers).signature,
            "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4Suite, PostXWwwFormUrlencodedHashesTheBody) {
  Pairs headers = BaseHeaders();
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  auto s = SuiteSign("POST", "/", {}, headers, "Param1=value1");
  EXPECT_EQ(
      s.canonical_request,
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(s.authorization,
            Authz("content-type;host;x-amz-date",
                  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
}

TEST(SigV4Suite, PostStsHeaderBeforeSignsTheSessionToken) {
  const std::string token =
      "AQoDYXdzEPT//////////"
      "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
      "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7"
      "WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm"
      "8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  Pairs headers = BaseHeaders();
  headers.emplace_back("X-Amz-Security-Token", token);
  EXPECT_EQ(SuiteSign("POST", "/", {}, headers).signature,
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

// docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "GET Object".
TEST(SigV4S3, GetObjectWithRangeFromTheS3Documentation) {
  Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  Request r{"GET",
            "/test.txt",
            {},
            {{"Host", "examplebucket.s3.amazonaws.com"},
             {"Range", "bytes=0-9"},
             {"x-amz-content-sha256", kEmptyPayloadHash},
             {"x-amz-date", "20130524T000000Z"}},
            kEmptyPayloadHash};
  auto s = Sign(r, creds, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
}

TEST(SigV4, UnsignedPayloadIsTheLastCanonicalLine) {
  Request r{"PUT", "/b/k", {}, {{"host", "h"}, {"x-amz-date", kDate}}, kUnsignedPayload};
  auto s = Sign(r, kSuite, "us-east-1", "s3", kDate);
  EXPECT_EQ(s.canonical_request.substr(s.canonical_request.rfind('\n') + 1), "UNSIGNED-PAYLOAD");
  Request hashed = r;
  hashed.payload_hash = kEmptyPayloadHash;
  EXPECT_NE(Sign(hashed, kSuite, "us-east-1", "s3", kDate).signature, s.signature);
}

TEST(SigV4, UriEncodeRules) {
  EXPECT_EQ(UriEncode("a/b c+d=e&f", false), "a/b%20c%2Bd%3De%26f");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(UriEncode("~-._", true), "~-._");
  EXPECT_EQ(UriEncode("*", true), "%2A");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}, {"a b", "c/d"}}), "a%20b=c%2Fd&uploads=");
}

TEST(SigV4, AmzDateAndSigningKey) {
  EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z");
  // The signing-key example of AWS's SigV4 documentation (service iam, 20150830).
  EXPECT_EQ(HexEncode(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                 "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

}  // namespace
}  // namespace tributary::objstore::sigv4
