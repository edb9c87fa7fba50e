// The parts of the S3 backend that need no server: endpoints, addressing, status
// mapping, retry classification, metadata headers. The server side is in
// s3_integration_test.cc (s3rver).
#include "objstore/s3_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>

#include "objstore/s3_object_store.h"
#include "objstore/s3_writer.h"

namespace tributary::objstore::s3 {
namespace {

std::shared_ptr<S3Client> Client(const std::string& endpoint, bool path_style) {
  ObjectStoreConfig config;
  config.backend = "s3";
  config.endpoint = endpoint;
  config.access_key_id = "AKID";
  config.secret_access_key = "secret";
  config.path_style = path_style;
  auto client = S3Client::Create(config);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? *client : nullptr;
}

TEST(Endpoint, Parsing) {
  auto ep = ParseEndpoint("http://127.0.0.1:9000");
  ASSERT_TRUE(ep.ok());
  EXPECT_FALSE(ep->tls);
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, "9000");
  EXPECT_FALSE(ep->default_port);
  ep = ParseEndpoint("https://s3.eu-west-1.amazonaws.com/");
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->port, "443");
  EXPECT_TRUE(ep->default_port);
  ep = ParseEndpoint("http://[::1]:9000");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, "9000");
  for (const char* bad : {"s3.amazonaws.com", "http://", "http://h:0", "http://h:70000",
                          "http://h:x", "http://h/path", "ftp://h"})
    EXPECT_EQ(ParseEndpoint(bad).status().code(), ErrorCode::kInvalidArgument) << bad;
}

TEST(Addressing, PathStyle) {
  auto client = Client("http://127.0.0.1:9000", true);
  auto [host, target] = client->HostAndTarget("iot-data", "2026/a b+c.json", {});
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(target, "/iot-data/2026/a%20b%2Bc.json");
  std::tie(host, target) = client->HostAndTarget(
      "iot-data", "", {{"list-type", "2"}, {"prefix", "2026/11/"}, {"delimiter", "/"}});
  EXPECT_EQ(target, "/iot-data?delimiter=%2F&list-type=2&prefix=2026%2F11%2F");
  EXPECT_EQ(client->Where("iot-data", "k"), "s3://iot-data/k (http://127.0.0.1:9000)");
}

TEST(Addressing, VirtualHostStyle) {
  auto client = Client("https://s3.eu-west-1.amazonaws.com", false);
  auto [host, target] = client->HostAndTarget("iot-data", "2026/x.json", {{"uploads", ""}});
  EXPECT_EQ(host, "iot-data.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(target, "/2026/x.json?uploads=");
  std::tie(host, target) = client->HostAndTarget("iot-data", "", {{"list-type", "2"}});
  EXPECT_EQ(host, "iot-data.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(target, "/?list-type=2");
  // Keys that look like paths are not normalized: S3 keys are opaque.
  std::tie(host, target) = client->HostAndTarget("iot-data", "a//b", {});
  EXPECT_EQ(target, "/a//b");
}

// Virtual-host addressing puts the bucket in the host name, which only works where a
// name can take it: not an IP address ("iot-data.127.0.0.1" resolves nowhere, and every
// call failed as transient), and not a dotted bucket over https (the certificate's
// "*.host" covers one label). There, as AWS's SDKs do, the bucket goes in the path.
TEST(Addressing, VirtualHostFallsBackToPathStyleWhereANameCannotCarryTheBucket) {
  for (const char* endpoint : {"http://127.0.0.1:9000", "http://[::1]:9000", "https://10.0.0.7"}) {
    auto client = Client(endpoint, false);
    ASSERT_NE(client, nullptr) << endpoint;
    EXPECT_TRUE(client->PathStyleFor("iot-data")) << endpoint;
    auto [host, target] = client->HostAndTarget("iot-data", "2026/x.json", {});
    EXPECT_EQ(host, ParseEndpoint(endpoint)->host) << endpoint;
    EXPECT_EQ(target, "/iot-data/2026/x.json") << endpoint;
  }
  auto aws = Client("https://s3.eu-west-1.amazonaws.com", false);
  EXPECT_FALSE(aws->PathStyleFor("iot-data"));
  EXPECT_TRUE(aws->PathStyleFor("logs.example.com"));
  auto [host, target] = aws->HostAndTarget("logs.example.com", "a", {});
  EXPECT_EQ(host, "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(target, "/logs.example.com/a");
  // Over http no certificate is checked: a dotted bucket keeps its virtual host.
  auto minio = Client("http://minio.internal:9000", false);
  EXPECT_FALSE(minio->PathStyleFor("logs.example.com"));
  EXPECT_EQ(minio->HostAndTarget("logs.example.com", "a", {}).first,
            "logs.example.com.minio.internal");

  for (const char* ip : {"127.0.0.1", "::1", "[::1]", "fe80::1%eth0", "2001:db8::8a2e:370:7334"})
    EXPECT_TRUE(IsIpAddress(ip)) << ip;
  for (const char* name : {"localhost", "s3.amazonaws.com", "127.0.0.1.nip.io", "minio", ""})
    EXPECT_FALSE(IsIpAddress(name)) << name;
}

TEST(Retries, WhatIsRetried) {
  for (int status : {429, 500, 502, 503, 504}) EXPECT_TRUE(RetryableStatus(status, "")) << status;
  EXPECT_TRUE(RetryableStatus(503, "SlowDown"));
  EXPECT_TRUE(RetryableStatus(400, "RequestTimeout"));
  for (int status : {400, 401, 403, 404, 409, 416, 501}) EXPECT_FALSE(RetryableStatus(status, ""));
}

TEST(Errors, MappedToCodesWithS3sWords) {
  auto client = Client("http://127.0.0.1:9000", true);
  Call call{"GetObject", "GET", "iot-data", "a.json", {}, {}, {}};
  HttpResponse r;
  r.status = 404;
  r.body =
      "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
  Status st = client->ErrorFor(call, r);
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(st.message(),
            "GetObject s3://iot-data/a.json (http://127.0.0.1:9000) failed: 404 NoSuchKey: The "
            "specified key does not exist.");
  r.status = 403;
  r.body = "<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>";
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kPermissionDenied);
  r.body.clear();
  r.status = 404;  // HEAD: no body
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kNotFound);
  r.status = 503;
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kUnavailable);
  r.status = 409;
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kFailedPrecondition);
  r.status = 412;  // a read or write's If-Match that the object does not meet
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kFailedPrecondition);
  r.status = 400;
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kInvalidArgument);
  // A 400 that a retry may cure: the service timed the connection out.
  for (const char* transient : {"RequestTimeout", "IncompleteBody", "BadDigest"}) {
    r.body = std::string("<Error><Code>") + transient + "</Code><Message>m</Message></Error>";
    EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kUnavailable) << transient;
  }
  r.body = "<Error><Code>KeyTooLongError</Code><Message>Your key is too long</Message></Error>";
  EXPECT_EQ(client->ErrorFor(call, r).code(), ErrorCode::kInvalidArgument);
}

// A 400 is mapped by S3's Code, because a delivery stream sends an object whose write is
// kInvalidArgument to its error prefix at once: that must mean "this object", never "the
// server's settings" or "the network garbled it".
TEST(Errors, BadRequestsByCode) {
  auto client = Client("http://127.0.0.1:9000", true);
  Call call{"PutObject", "PUT", "iot-data", "a.json", {}, {}, {}};
  auto for_code = [&](const std::string& code) {
    HttpResponse r;
    r.status = 400;
    r.body = "<Error><Code>" + code + "</Code><Message>m</Message></Error>";
    return client->ErrorFor(call, r);
  };
  for (const char* config : {"AuthorizationHeaderMalformed", "InvalidRegion"}) {
    Status st = for_code(config);
    EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << config;
    EXPECT_NE(st.message().find("s3_region (--s3-region)"), std::string::npos) << st.message();
  }
  for (const char* credentials : {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken"}) {
    Status st = for_code(credentials);
    EXPECT_EQ(st.code(), ErrorCode::kUnauthenticated) << credentials;
    EXPECT_NE(st.message().find("s3_access_key_id / s3_secret_access_key"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << st.message();
  }
  for (const char* transient :
       {"XAmzContentSHA256Mismatch", "BadDigest", "InvalidDigest", "RequestTimeout"}) {
    EXPECT_EQ(for_code(transient).code(), ErrorCode::kUnavailable) << transient;
    EXPECT_TRUE(RetryableStatus(400, transient)) << transient;
  }
  for (const char* own :
       {"KeyTooLongError", "InvalidArgument", "EntityTooLarge", "InvalidPart", "MalformedXML"})
    EXPECT_EQ(for_code(own).code(), ErrorCode::kInvalidArgument) << own;
  EXPECT_EQ(for_code("InvalidBucketName").code(), ErrorCode::kFailedPrecondition);
}

// Messages name the server's settings, not ObjectStoreConfig's fields, and an error says
// how many attempts it took only when it took more than one.
TEST(Errors, NameTheServersSettings) {
  auto client = Client("http://127.0.0.1:9000", true);
  Call call{"GetObject", "GET", "iot-data", "a.json", {}, {}, {}};
  HttpResponse r;
  r.status = 403;
  r.body = "<Error><Code>AccessDenied</Code><Message>m</Message></Error>";
  Status st = client->ErrorFor(call, r);
  EXPECT_NE(st.message().find("s3_access_key_id / s3_secret_access_key"), std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find("lake."), std::string::npos) << st.message();
  r.status = 503;
  r.body = "<Error><Code>SlowDown</Code><Message>m</Message></Error>";
  EXPECT_EQ(client->ErrorFor(call, r).message().find("attempts"), std::string::npos);
  EXPECT_NE(client->ErrorFor(call, r, 5).message().find("(after 5 attempts)"), std::string::npos);
  EXPECT_NE(ParseEndpoint("ftp://x").status().message().find("s3_endpoint 'ftp://x'"),
            std::string::npos);
}

TEST(Transport, RefusedConnectionIsUnavailableAfterRetries) {
  ObjectStoreConfig config;
  config.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  config.access_key_id = "k";
  config.secret_access_key = "s";
  config.max_attempts = 3;
  S3Options options;
  options.retry_base_ms = 1;
  auto client = S3Client::Create(config, options);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Send(Call{"HeadObject", "HEAD", "iot-data", "k", {}, {}, {}});
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("after 3 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("s3://iot-data/k"), std::string::npos);
}

// A stand-in for the network: each attempt goes to `answer`, which sees the requests so
// far. Tests script what the store does (and what the network loses).
struct FakeNetwork {
  std::function<Result<HttpResponse>(const HttpRequest&, bool* sent)> answer;
  std::vector<HttpRequest> requests;
  SendFunction Send() {
    return [this](const std::string&, const HttpRequest& request, const Timeouts&, bool* sent) {
      requests.push_back(request);
      *sent = true;
      return answer(request, sent);
    };
  }
};

HttpResponse Answer(int status, std::string body = "",
                    std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::shared_ptr<S3Client> FakeClient(FakeNetwork* network, int max_attempts = 5,
                                     S3Options options = {}) {
  ObjectStoreConfig config;
  config.backend = "s3";
  config.endpoint = "http://127.0.0.1:9000";
  config.access_key_id = "AKID";
  config.secret_access_key = "secret";
  config.max_attempts = max_attempts;
  options.retry_base_ms = 1;
  options.send = network->Send();
  auto client = S3Client::Create(config, std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? *client : nullptr;
}

// A busy store gets time to recover: the first pause after 429/503 is about 1 s, not
// 100 ms, and grows from there (capped); a Retry-After is honoured up to its cap.
TEST(Retries, ThrottlingWaitsLongerAndHonoursRetryAfter) {
  S3Options options;
  for (int i = 0; i < 20; ++i) {
    int dropped = RetryDelayMs(options, 1, 0, "");
    EXPECT_GE(dropped, 50);
    EXPECT_LE(dropped, 100);
    for (int status : {429, 503}) {
      int busy = RetryDelayMs(options, 1, status, "");
      EXPECT_GE(busy, 500) << status;
      EXPECT_LE(busy, 1000) << status;
    }
    EXPECT_GE(RetryDelayMs(options, 4, 503, ""), 4000);
    EXPECT_LE(RetryDelayMs(options, 30, 503, ""), options.retry_max_ms);
    EXPECT_GE(RetryDelayMs(options, 1, 503, "7"), 7000);
    EXPECT_EQ(RetryDelayMs(options, 1, 503, "3600"), options.retry_after_max_ms);
    EXPECT_LE(RetryDelayMs(options, 1, 503, "Wed, 21 Oct 2015 07:28:00 GMT"), 1000);
  }
  // End to end: a 503 asking for 1 s is retried after 1 s, not after throttle_base_ms.
  FakeNetwork network;
  network.answer = [&](const HttpRequest&, bool*) -> Result<HttpResponse> {
    if (network.requests.size() == 1)
      return Answer(503, "<Error><Code>SlowDown</Code><Message>m</Message></Error>",
                    {{"retry-after", "1"}});
    return Answer(200, "hello");
  };
  S3Options fast;
  fast.throttle_base_ms = 1;
  auto client = FakeClient(&network, 2, fast);
  auto started = std::chrono::steady_clock::now();
  auto r = client->SendOk(Call{"GetObject", "GET", "iot-data", "k", {}, {}, {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000));
  EXPECT_EQ(network.requests.size(), 2u);
}

TEST(Etags, AsS3MakesThem) {
  EXPECT_EQ(PutEtag("hello"), "5d41402abc4b2a76b9719d911017c592");
  // Checked with Python's hashlib: md5(md5(p1) + md5(p2)) + "-2".
  EXPECT_EQ(MultipartEtag(
                {"\"3303e12af474ca11d85ed2966a932992\"", "\"3ea4e15b91a17dc76052c56cfcdf67a2\""}),
            "0732917abc3288784e318ac0aab1757a-2");
  EXPECT_EQ(MultipartEtag({"\"not-an-md5\""}), "") << "cannot tell: no guess";
}

bool Has(const HttpRequest& request, std::string_view method, std::string_view target_part) {
  return request.method == method && request.target.find(target_part) != std::string::npos;
}

// The response to an attempt that the store carried out is lost: the client sees a
// reset after the whole request was sent, as a proxy dropping the connection shows it.
Result<HttpResponse> Lost(bool* sent) {
  *sent = true;
  return Unavailable("reading the response from http://127.0.0.1:9000 failed: Connection reset");
}
// A failure before the request was all sent: the store cannot have acted on it.
Result<HttpResponse> NotSent(bool* sent) {
  *sent = false;
  return Unavailable("connecting to http://127.0.0.1:9000 failed: Connection refused");
}

std::unique_ptr<ObjectWriter> Writer(std::shared_ptr<S3Client> client, WriteCondition condition) {
  return std::make_unique<S3Writer>(client, "iot-data", "k", HeadersFor(PutOptions{}).value(),
                                    condition);
}

// Temporary credentials that expired do not come back by retrying: the server reads the
// session token once, at start. So ExpiredToken is a credential error at once, saying
// what to do, not kUnavailable ("the store is down") after five attempts.
TEST(Errors, AnExpiredSessionTokenIsACredentialErrorNotRetried) {
  for (const char* code : {"ExpiredToken", "TokenRefreshRequired"}) {
    EXPECT_FALSE(RetryableStatus(400, code)) << code;
    for (int status : {400, 403}) {
      FakeNetwork network;
      network.answer = [&](const HttpRequest&, bool*) -> Result<HttpResponse> {
        return Answer(status,
                      std::string("<Error><Code>") + code +
                          "</Code><Message>The provided token has expired.</Message></Error>");
      };
      auto writer = Writer(FakeClient(&network), {});
      ASSERT_TRUE(writer->Write("hello").ok());
      Status st = writer->Commit();
      EXPECT_EQ(st.code(), ErrorCode::kUnauthenticated)
          << code << " " << status << ": " << st.ToString();
      EXPECT_EQ(network.requests.size(), 1u) << code << " " << status;
      for (const char* says : {"session token", "AWS_SESSION_TOKEN", "restart the server"})
        EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
    }
  }
}

// A create-only PutObject whose first attempt wrote the object but lost its answer: the
// retry's 412 is about that object, which holds the bytes sent, so the write succeeded.
TEST(AmbiguousRetries, ConditionalPutThatWroteTheObjectSucceeds) {
  FakeNetwork network;
  std::string stored_etag;
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (r.method == "PUT") {
      if (stored_etag.empty()) {
        stored_etag = PutEtag(r.body);
        return Lost(sent);
      }
      return Answer(412, "<Error><Code>PreconditionFailed</Code><Message>m</Message></Error>");
    }
    if (r.method == "HEAD")
      return Answer(200, "", {{"etag", "\"" + stored_etag + "\""}, {"content-length", "5"}});
    return Answer(500);
  };
  WriteCondition create_only;
  create_only.if_absent = true;
  auto writer = Writer(FakeClient(&network), create_only);
  ASSERT_TRUE(writer->Write("hello").ok());
  Status st = writer->Commit();
  EXPECT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(network.requests.size(), 3u);
  EXPECT_TRUE(Has(network.requests[2], "HEAD", "/iot-data/k"));
}

// ...but a 412 is a conflict when the object is another's, or when no earlier attempt
// can have written it (it failed before the request was sent): then no HEAD either.
TEST(AmbiguousRetries, ConditionalPutConflictsStayConflicts) {
  FakeNetwork network;
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (r.method == "PUT" && network.requests.size() == 1) return Lost(sent);
    if (r.method == "HEAD")
      return Answer(200, "", {{"etag", "\"0123456789abcdef0123456789abcdef\""}});
    return Answer(412, "<Error><Code>PreconditionFailed</Code><Message>m</Message></Error>");
  };
  WriteCondition create_only;
  create_only.if_absent = true;
  auto writer = Writer(FakeClient(&network), create_only);
  ASSERT_TRUE(writer->Write("hello").ok());
  EXPECT_EQ(writer->Commit().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(network.requests.size(), 3u);  // PUT, PUT, HEAD (another's object)

  network.requests.clear();
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (network.requests.size() == 1) return NotSent(sent);
    if (r.method == "HEAD") return Answer(200, "", {{"etag", "\"" + PutEtag("hello") + "\""}});
    return Answer(412, "<Error><Code>PreconditionFailed</Code><Message>m</Message></Error>");
  };
  writer = Writer(FakeClient(&network), create_only);
  ASSERT_TRUE(writer->Write("hello").ok());
  EXPECT_EQ(writer->Commit().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(network.requests.size(), 2u) << "no earlier attempt reached the store: no HEAD";
}

std::shared_ptr<S3Client> MultipartClient(FakeNetwork* network) {
  ObjectStoreConfig config;
  config.backend = "s3";
  config.endpoint = "http://127.0.0.1:9000";
  config.access_key_id = "AKID";
  config.secret_access_key = "secret";
  config.multipart_threshold = 5u << 20;
  config.part_size = 5u << 20;
  S3Options options;
  options.retry_base_ms = 1;
  options.send = network->Send();
  return S3Client::Create(config, options).value();
}

constexpr char kInitiated[] =
    "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>";

// A CompleteMultipartUpload that completed the upload but lost its answer: the retry
// gets NoSuchUpload; the object at the key has the upload's ETag, so Commit succeeds
// (and aborts nothing).
TEST(AmbiguousRetries, CompleteThatCompletedSucceeds) {
  FakeNetwork network;
  std::vector<std::string> part_etags;
  bool completed = false;
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads")) return Answer(200, kInitiated);
    if (Has(r, "PUT", "partNumber=")) {
      part_etags.push_back("\"" + PutEtag(r.body) + "\"");
      return Answer(200, "", {{"etag", part_etags.back()}});
    }
    if (Has(r, "POST", "uploadId=up-1")) {
      if (!completed) {
        completed = true;
        return Lost(sent);
      }
      return Answer(404, "<Error><Code>NoSuchUpload</Code><Message>m</Message></Error>");
    }
    if (r.method == "HEAD")
      return Answer(200, "", {{"etag", "\"" + MultipartEtag(part_etags) + "\""}});
    return Answer(500);
  };
  auto writer = Writer(MultipartClient(&network), {});
  ASSERT_TRUE(writer->Write(std::string((6u << 20) + 7, 'x')).ok());
  Status st = writer->Commit();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(part_etags.size(), 2u);
  for (const auto& r : network.requests)
    EXPECT_FALSE(Has(r, "DELETE", "uploadId")) << "a completed upload was aborted";
  EXPECT_TRUE(Has(network.requests.back(), "HEAD", "/iot-data/k"));
  EXPECT_EQ(writer->StoredEtag(), MultipartEtag(part_etags));
}

// S3 answers CompleteMultipartUpload 200 as it starts, and the outcome in the body: an
// <Error> there with InternalError (or SlowDown) is to be retried, as AWS documents, not
// taken for the end of the upload (which was then aborted, its object lost).
TEST(Multipart, ACompletionAnswered200WithAnInternalErrorIsRetried) {
  FakeNetwork network;
  std::vector<std::string> part_etags;
  int completions = 0;
  network.answer = [&](const HttpRequest& r, bool*) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads")) return Answer(200, kInitiated);
    if (Has(r, "PUT", "partNumber=")) {
      part_etags.push_back("\"" + PutEtag(r.body) + "\"");
      return Answer(200, "", {{"etag", part_etags.back()}});
    }
    if (Has(r, "POST", "uploadId=up-1")) {
      if (++completions == 1) {
        return Answer(200,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError"
                      "</Code><Message>We encountered an internal error. Please try again."
                      "</Message></Error>");
      }
      return Answer(200, "<CompleteMultipartUploadResult><Key>k</Key><ETag>\"" +
                             MultipartEtag(part_etags) +
                             "\"</ETag></CompleteMultipartUploadResult>");
    }
    return Answer(500);
  };
  auto writer = Writer(MultipartClient(&network), {});
  ASSERT_TRUE(writer->Write(std::string((6u << 20) + 7, 'x')).ok());
  Status st = writer->Commit();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(completions, 2);
  for (const auto& r : network.requests)
    EXPECT_FALSE(Has(r, "DELETE", "uploadId")) << "the upload was aborted";
  EXPECT_EQ(writer->StoredEtag(), MultipartEtag(part_etags));
}

// The retry of a completion answered 200 with InternalError may find the upload already
// completed by it (NoSuchUpload): the object is checked, as after a lost answer. An
// <Error> no retry cures (InvalidPart) fails the write at once.
TEST(Multipart, ACompletionsErrorIn200IsSettledLikeAnyOther) {
  FakeNetwork network;
  std::vector<std::string> part_etags;
  int completions = 0;
  std::string first_error = "InternalError";
  network.answer = [&](const HttpRequest& r, bool*) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads")) return Answer(200, kInitiated);
    if (Has(r, "PUT", "partNumber=")) {
      part_etags.push_back("\"" + PutEtag(r.body) + "\"");
      return Answer(200, "", {{"etag", part_etags.back()}});
    }
    if (Has(r, "POST", "uploadId=up-1")) {
      if (++completions == 1)
        return Answer(200, "<Error><Code>" + first_error + "</Code><Message>m</Message></Error>");
      return Answer(404, "<Error><Code>NoSuchUpload</Code><Message>m</Message></Error>");
    }
    if (r.method == "HEAD")
      return Answer(200, "", {{"etag", "\"" + MultipartEtag(part_etags) + "\""}});
    if (r.method == "DELETE") return Answer(204);
    return Answer(500);
  };
  auto writer = Writer(MultipartClient(&network), {});
  ASSERT_TRUE(writer->Write(std::string((6u << 20) + 7, 'x')).ok());
  Status st = writer->Commit();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(completions, 2);
  EXPECT_TRUE(Has(network.requests.back(), "HEAD", "/iot-data/k"));

  network.requests.clear();
  part_etags.clear();
  completions = 0;
  first_error = "InvalidPart";
  writer = Writer(MultipartClient(&network), {});
  ASSERT_TRUE(writer->Write(std::string((6u << 20) + 7, 'x')).ok());
  st = writer->Commit();
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("InvalidPart"), std::string::npos) << st.message();
  EXPECT_EQ(completions, 1);
  EXPECT_TRUE(Has(network.requests.back(), "DELETE", "uploadId=up-1"));
}

// S3 makes its own ETags, so a writer drops PutOptions::etag (the S3 API's multipart
// ETag, of the client's parts) and uploads in its own part sizes: what it tells is the
// ETag the store gave, which HEAD and GET give back, for its caller to answer.
TEST(Etags, AWriterTellsTheEtagTheStoreGaveNotTheOneItWasGiven) {
  FakeNetwork network;
  std::vector<std::string> part_etags;
  std::string completion;  // CompleteMultipartUpload's answer
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads")) return Answer(200, kInitiated);
    if (Has(r, "PUT", "partNumber=")) {
      part_etags.push_back("\"" + PutEtag(r.body) + "\"");
      return Answer(200, "", {{"etag", part_etags.back()}});
    }
    if (Has(r, "POST", "uploadId=up-1")) return Answer(200, completion);
    if (r.method == "PUT") return Answer(200, "", {{"etag", "\"" + PutEtag(r.body) + "\""}});
    return Answer(500);
  };
  S3ObjectStore store("iot-data", MultipartClient(&network));
  PutOptions given;
  given.etag = "0732917abc3288784e318ac0aab1757a-3";  // what the client's three parts make

  // Under the threshold, one PutObject: the body's MD5, from the answer's ETag header.
  auto writer = store.NewWriter("k", given).value();
  EXPECT_EQ(writer->StoredEtag(), "") << "nothing stored yet";
  ASSERT_TRUE(writer->Write("small").ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(writer->StoredEtag(), PutEtag("small"));

  // Past it, the writer's own parts: the <ETag> of CompleteMultipartUpload's answer...
  completion =
      "<CompleteMultipartUploadResult><Bucket>iot-data</Bucket><Key>k</Key>"
      "<ETag>&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag>"
      "</CompleteMultipartUploadResult>";
  writer = store.NewWriter("k", given).value();
  ASSERT_TRUE(writer->Write(std::string((6u << 20) + 7, 'x')).ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(writer->StoredEtag(), "3858f62230ac3c915f300c664312c11f-2");

  // ...or, from a store whose answer names none, the ETag S3 makes of those parts.
  completion = "<CompleteMultipartUploadResult><Key>k</Key></CompleteMultipartUploadResult>";
  part_etags.clear();
  writer = store.NewWriter("k", given).value();
  ASSERT_TRUE(writer->Write(std::string((6u << 20) + 7, 'x')).ok());
  ASSERT_TRUE(writer->Commit().ok());
  ASSERT_EQ(part_etags.size(), 2u);
  EXPECT_EQ(writer->StoredEtag(), MultipartEtag(part_etags));
  EXPECT_NE(writer->StoredEtag(), given.etag);
}

// A page of a listing (ListOptions): S3 skips the keys up to start-after itself and gives
// the common prefix of later keys ("a/" after "a/b"), which is kept; the store stops once
// it has an entry past max_keys, without asking for more.
TEST(Listing, APageSendsStartAfterAndStopsOnePastMaxKeys) {
  FakeNetwork network;
  network.answer = [&](const HttpRequest& r, bool*) -> Result<HttpResponse> {
    if (r.target.find("continuation-token=t1") == std::string::npos) {
      return Answer(200,
                    "<ListBucketResult><IsTruncated>true</IsTruncated>"
                    "<NextContinuationToken>t1</NextContinuationToken>"
                    "<Contents><Key>b1</Key><Size>1</Size></Contents>"
                    "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes></ListBucketResult>");
    }
    if (r.target.find("continuation-token=t2") == std::string::npos) {
      return Answer(200,
                    "<ListBucketResult><IsTruncated>true</IsTruncated>"
                    "<NextContinuationToken>t2</NextContinuationToken>"
                    "<Contents><Key>b2</Key><Size>1</Size></Contents>"
                    "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes></ListBucketResult>");
    }
    return Answer(500);  // a third page is never asked for
  };
  S3ObjectStore store("iot-data", FakeClient(&network));
  ListOptions options;
  options.start_after = "a/b";
  options.max_keys = 2;
  auto page = store.List("", "/", options);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "b1");
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"a/"});
  EXPECT_TRUE(page->truncated) << "b2 follows";
  ASSERT_EQ(network.requests.size(), 2u);
  EXPECT_NE(network.requests[0].target.find("start-after=a%2Fb"), std::string::npos)
      << network.requests[0].target;

  // After a page that ended with the folder itself ("a/"), a store that gives it again has
  // it dropped.
  network.requests.clear();
  options.start_after = "a/";
  page = store.List("", "/", options);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].key, "b2");
  EXPECT_TRUE(page->common_prefixes.empty());
  EXPECT_TRUE(page->truncated) << "c/ follows";

  // Without options: every page, no start-after, the folder kept.
  network.requests.clear();
  network.answer = [&](const HttpRequest& r, bool*) -> Result<HttpResponse> {
    return Answer(200,
                  "<ListBucketResult><IsTruncated>false</IsTruncated>"
                  "<Contents><Key>b1</Key><Size>1</Size></Contents>"
                  "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes></ListBucketResult>");
  };
  auto all = store.List("", "/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->common_prefixes, std::vector<std::string>{"a/"});
  EXPECT_FALSE(all->truncated);
  EXPECT_EQ(network.requests[0].target.find("start-after"), std::string::npos);
}

// CreateMultipartUpload is not repeated after an attempt that may have created an
// upload (the first would stay, unaborted), but is after one that cannot have.
TEST(AmbiguousRetries, CreateMultipartUploadIsNotRepeatedBlindly) {
  FakeNetwork network;
  int creates = 0;
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads") && ++creates == 1) return Lost(sent);
    if (Has(r, "POST", "?uploads")) return Answer(200, kInitiated);
    return Answer(200, "", {{"etag", "\"" + PutEtag(r.body) + "\""}});
  };
  auto writer = Writer(MultipartClient(&network), {});
  Status st = writer->Write(std::string((6u << 20), 'x'));
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << st.ToString();
  EXPECT_EQ(creates, 1);

  creates = 0;
  network.answer = [&](const HttpRequest& r, bool* sent) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads") && ++creates == 1) return NotSent(sent);
    if (Has(r, "POST", "?uploads")) return Answer(200, kInitiated);
    return Answer(200, "", {{"etag", "\"" + PutEtag(r.body) + "\""}});
  };
  writer = Writer(MultipartClient(&network), {});
  st = writer->Write(std::string((6u << 20), 'x'));
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(creates, 2);
  writer->Abort();
}

// A conditional DeleteObject whose first attempt deleted the object: the retry's 404
// is success. Without such an attempt a 404 stays kNotFound.
TEST(AmbiguousRetries, ConditionalDeleteThatDeletedSucceeds) {
  FakeNetwork network;
  network.answer = [&](const HttpRequest&, bool* sent) -> Result<HttpResponse> {
    if (network.requests.size() == 1) return Lost(sent);
    return Answer(404, "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>");
  };
  S3ObjectStore store("iot-data", FakeClient(&network));
  Status st = store.DeleteIf("k", "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(network.requests.size(), 2u);

  network.requests.clear();
  network.answer = [&](const HttpRequest&, bool* sent) -> Result<HttpResponse> {
    if (network.requests.size() == 1) return NotSent(sent);
    return Answer(404, "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>");
  };
  EXPECT_EQ(store.DeleteIf("k", "0123456789abcdef0123456789abcdef").code(), ErrorCode::kNotFound);
}

// A store that answers a conditional DeleteObject 501 NotImplemented cannot check the
// condition: kUnimplemented, as ObjectStore::DeleteIf promises, for the caller to fall
// back on (the lifecycle sweep looks with HEAD first), not kUnavailable.
TEST(ConditionalDeletes, AStoreWithoutThemSaysUnimplemented) {
  FakeNetwork network;
  network.answer = [&](const HttpRequest&, bool*) -> Result<HttpResponse> {
    return Answer(501, "<Error><Code>NotImplemented</Code><Message>If-Match</Message></Error>");
  };
  S3ObjectStore store("iot-data", FakeClient(&network));
  Status st = store.DeleteIf("k", "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(st.code(), ErrorCode::kUnimplemented) << st.ToString();
  EXPECT_EQ(network.requests.size(), 1u);
}

// Part sizes grow so that 10,000 parts hold what S3 holds (5 TiB), small objects keep
// small parts, and no part passes S3's 5 GiB.
TEST(Multipart, PartSizesGrow) {
  constexpr uint64_t kMiB = 1 << 20;
  EXPECT_EQ(PartSizeFor(8 * kMiB, 1, 1000), 8 * kMiB);
  EXPECT_EQ(PartSizeFor(8 * kMiB, 1000, 1000), 8 * kMiB);
  EXPECT_EQ(PartSizeFor(8 * kMiB, 1001, 1000), 16 * kMiB);
  EXPECT_EQ(PartSizeFor(8 * kMiB, 10000, 1000), 4096 * kMiB);
  EXPECT_EQ(PartSizeFor(4096 * kMiB, 10000, 1000), 5120 * kMiB);
  uint64_t total = 0;
  for (size_t n = 1; n <= 10000; ++n) total += PartSizeFor(8 * kMiB, n, 1000);
  EXPECT_GE(total, 5ull << 40);
}

// With S3's limit scaled down (3 parts, sizes doubling every part), the writer sends
// parts of 5, 10 and 20 MiB, then refuses the fourth before sending it.
TEST(Multipart, RefusesAPartPastTheLimitBeforeSendingIt) {
  FakeNetwork network;
  std::vector<size_t> parts;
  network.answer = [&](const HttpRequest& r, bool*) -> Result<HttpResponse> {
    if (Has(r, "POST", "?uploads"))
      return Answer(200,
                    "<InitiateMultipartUploadResult><UploadId>up-1</UploadId>"
                    "</InitiateMultipartUploadResult>");
    if (Has(r, "PUT", "partNumber=")) {
      parts.push_back(r.body.size());
      return Answer(200, "", {{"etag", "\"" + PutEtag(r.body) + "\""}});
    }
    return Answer(204);  // the abort
  };
  ObjectStoreConfig config;
  config.backend = "s3";
  config.endpoint = "http://127.0.0.1:9000";
  config.access_key_id = "AKID";
  config.secret_access_key = "secret";
  config.multipart_threshold = 5u << 20;
  config.part_size = 5u << 20;
  S3Options options;
  options.send = network.Send();
  options.max_parts = 3;
  options.parts_per_size_step = 1;
  auto client = S3Client::Create(config, options).value();
  S3Writer writer(client, "iot-data", "big", {});
  const std::string mib(1u << 20, 'x');
  for (int i = 0; i < 35; ++i) ASSERT_TRUE(writer.Write(mib).ok()) << i;
  EXPECT_EQ(parts, (std::vector<size_t>{5u << 20, 10u << 20, 20u << 20}));
  ASSERT_TRUE(writer.Write("one byte more").ok());
  Status st = writer.Commit();
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("at most 3 parts"), std::string::npos) << st.message();
  EXPECT_EQ(parts.size(), 3u) << "the part past the limit was sent";
  EXPECT_TRUE(Has(network.requests.back(), "DELETE", "uploadId=up-1")) << "not aborted";
}

TEST(Metadata, Headers) {
  PutOptions options;
  options.content_type = "application/json";
  options.content_encoding = "gzip";
  options.metadata["Device-Id"] = "pollution-1";
  auto headers = HeadersFor(options);
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(*headers, (std::vector<std::pair<std::string, std::string>>{
                          {"content-type", "application/json"},
                          {"content-encoding", "gzip"},
                          {"x-amz-meta-device-id", "pollution-1"}}));
  options.metadata["bad name"] = "x";
  EXPECT_EQ(HeadersFor(options).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tributary::objstore::s3
