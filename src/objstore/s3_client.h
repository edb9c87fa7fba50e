// S3Client: one S3 request at a time, done right — path-style or virtual-host
// addressing, SigV4 signing (hashed payload), retries with exponential backoff and
// jitter, and errors that name the operation, bucket, key and S3's Code/Message.
// The ObjectStore and ObjectWriter for S3 are built on it.
//
// Retried (up to max_attempts, each attempt re-signed; the pause grows from 100 ms, or
// from 1 s when the store says it is busy, and honours Retry-After): connection failures, timeouts,
// 500/502/503/504, 429 and S3's transient 400s (RequestTimeout, IncompleteBody, BadDigest,
// InvalidDigest, XAmzContentSHA256Mismatch), and a CompleteMultipartUpload answered 200
// with an InternalError or SlowDown body. Not retried: other 4xx.
// Status mapping: 400 by S3's Code: credentials (InvalidAccessKeyId,
// SignatureDoesNotMatch, InvalidToken...; ExpiredToken and TokenRefreshRequired, 400 or
// 403, saying that the session token expired and must be renewed, with a restart: it is
// read once) kUnauthenticated, region
// (AuthorizationHeaderMalformed, InvalidRegion...) and InvalidBucketName
// kFailedPrecondition, the rest (KeyTooLong, InvalidArgument, EntityTooLarge, InvalidPart)
// kInvalidArgument, which delivery streams take as "this object will never be taken";
// 416 kInvalidArgument, 401 kUnauthenticated, 403 kPermissionDenied, 404 kNotFound,
// 409/412 kFailedPrecondition, 5xx/429/transient 400s kUnavailable (after retries).
// Messages name the server's settings (s3_endpoint, s3_region, s3_access_key_id...).
//
// Thread-safety: Send is thread-safe; calls block the calling thread (including backoff
// sleeps), so run them on worker threads, never on an event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "objstore/http_transport.h"
#include "objstore/object_store.h"
#include "objstore/sigv4.h"

namespace tributary::objstore::s3 {

// One attempt's exchange: HttpTransport::Send, or a test's stand-in for the network.
using SendFunction =
    std::function<Result<HttpResponse>(const std::string& host, const HttpRequest& request,
                                       const Timeouts& timeouts, bool* request_sent)>;

// Knobs that are not user configuration: tests and tools set them.
struct S3Options {
  TransportOptions transport;
  int retry_base_ms = 100;         // first backoff; doubles per attempt, with jitter
  int throttle_base_ms = 1000;     // the same after 429 or 503 (SlowDown): the store is busy
  int retry_max_ms = 10000;        // backoff cap
  int retry_after_max_ms = 20000;  // a Retry-After header is honoured up to this
  int list_page_size = 1000;       // ListObjectsV2 max-keys
  int max_parts = 10000;           // S3's limit on a multipart upload's parts
  int parts_per_size_step = 1000;  // the part size doubles after each this many parts
  SendFunction send;               // tests: attempts go here instead of the network
};

struct Call {
  std::string op;      // "GetObject": for messages
  std::string method;  // "GET"
  std::string bucket;
  std::string key;                                           // "" for bucket-level requests
  sigv4::Pairs query;                                        // raw names and values
  std::vector<std::pair<std::string, std::string>> headers;  // signed along with the rest
  std::string_view body;
  // false for a request whose repetition makes something new (CreateMultipartUpload: a
  // second upload, the first never aborted): not retried once an attempt may have
  // reached the store (see Attempts); retried as usual when it cannot have.
  bool retry_if_maybe_applied = true;
  // true for a request S3 may answer 200 and then fail, with an <Error> body
  // (CompleteMultipartUpload: the status goes out as the work starts): Send reads such an
  // answer as the status its Code stands for (StatusOfErrorIn2xx), retries it as that,
  // and returns it with that status.
  bool error_in_2xx = false;
};

// What became of Send's attempts. An attempt "may have been applied" when it failed after
// the whole request was written (a timeout, reset or EOF while waiting for the answer)
// or was answered 500, 502 or 504: the store may have carried it out. A failure before
// the request was all sent (DNS, refused, connect or TLS timeout, a reset while
// writing), 503/429 (refused for load) and 4xx cannot have been. After such an attempt a
// conditional request's later answer may be about its own first attempt: PutObject with
// If-None-Match gets 412 from the object it made, CompleteMultipartUpload gets
// NoSuchUpload, a conditional DeleteObject gets 404. Callers check (s3_writer.cc,
// S3ObjectStore::DeleteIf).
struct Attempts {
  int count = 0;
  bool maybe_applied = false;  // some attempt, the last included, may have been applied
};

class S3Client {
 public:
  // Checks the endpoint, credentials and sizes (names the server setting that is wrong:
  // s3_endpoint, s3_region, s3_access_key_id...).
  static Result<std::shared_ptr<S3Client>> Create(const ObjectStoreConfig& config,
                                                  S3Options options = {});

  // Sends with retries. Returns the final response whatever its status (transport
  // failures after the last attempt are a Status). `attempts` (optional) says what
  // became of them.
  Result<HttpResponse> Send(const Call& call, Attempts* attempts = nullptr);
  // Send, and turn any non-2xx response into a Status.
  Result<HttpResponse> SendOk(const Call& call, Attempts* attempts = nullptr);
  // The Status for a non-2xx response to `call`, the last of `attempts` (said in the
  // message when more than one).
  Status ErrorFor(const Call& call, const HttpResponse& response, int attempts = 1) const;

  // Whether calls for `bucket` address it path-style (host/bucket/key): when the
  // configuration says so, and also, as AWS's SDKs do, where virtual-host addressing
  // (bucket.host) cannot work: the endpoint's host is an IP address, or the bucket's name
  // has dots and the endpoint is https (a certificate's "*.host" covers one label).
  bool PathStyleFor(const std::string& bucket) const;
  // The Host header and request target for a call (addressing style applied).
  std::pair<std::string, std::string> HostAndTarget(const std::string& bucket,
                                                    const std::string& key,
                                                    const sigv4::Pairs& query) const;
  // "s3://bucket/key (http://127.0.0.1:9000)"
  std::string Where(const std::string& bucket, const std::string& key) const;

  const ObjectStoreConfig& config() const { return config_; }
  const Endpoint& endpoint() const { return transport_->endpoint(); }
  const S3Options& options() const { return options_; }

 private:
  S3Client(ObjectStoreConfig config, S3Options options, std::unique_ptr<HttpTransport> transport);
  HttpRequest Build(const Call& call, const std::string& host, const std::string& target,
                    const std::string& payload_hash) const;

  ObjectStoreConfig config_;
  S3Options options_;
  std::unique_ptr<HttpTransport> transport_;
};

// Whether `host` is an IPv4 or IPv6 address (brackets and a "%zone" allowed), not a name.
bool IsIpAddress(std::string_view host);

// The status an <Error> in a 2xx answer stands for (Call::error_in_2xx): 500 for
// InternalError (retried, and it may have been applied, as a 500), 503 for SlowDown and
// ServiceUnavailable (retried as throttling), else 400 (by its Code, as ErrorFor reads a
// 400: RequestTimeout retried, InvalidPart the request's own).
int StatusOfErrorIn2xx(std::string_view error_code);

// Whether a response status is worth another attempt.
bool RetryableStatus(int status, std::string_view error_code);

// The pause before attempt `attempt` + 1, after one that failed with HTTP `status` (0: a
// transport failure) and `retry_after` (the header, "" if none): exponential from
// retry_base_ms, or from throttle_base_ms after 429/503, capped at retry_max_ms, with
// jitter; at least Retry-After's seconds, up to retry_after_max_ms.
int RetryDelayMs(const S3Options& options, int attempt, int status, std::string_view retry_after);

}  // namespace tributary::objstore::s3
