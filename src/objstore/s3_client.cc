#include "objstore/s3_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "objstore/s3_responses.h"

namespace tributary::objstore::s3 {
namespace {

// Where the server's settings for the lake are (src/app/config.cc, server.cc): errors
// point there rather than at ObjectStoreConfig's field names, which users never see.
constexpr char kCredentialsHint[] =
    "check s3_access_key_id / s3_secret_access_key in the server's configuration, or "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment";
// The server reads AWS_SESSION_TOKEN once, at start (app/server.cc), and nothing renews it.
constexpr char kSessionTokenHint[] =
    "the session token of the server's temporary credentials (AWS_SESSION_TOKEN, with "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) has expired: the server reads them once, at "
    "start, and does not renew them; renew them and restart the server, or give it long-lived "
    "keys (s3_access_key_id / s3_secret_access_key)";
constexpr char kRegionHint[] =
    "check s3_region (--s3-region): it must be the bucket's region, as the store expects it";

// 400s that say the server's S3 settings are wrong, not the object: every request fails
// the same way until someone fixes them. Credentials first, then the region.
bool CredentialsError(std::string_view code) {
  return code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
         code == "InvalidToken" || code == "InvalidSecurity" || code == "MissingSecurityHeader";
}
// Temporary credentials past their expiry: no retry brings them back.
bool ExpiredSessionToken(std::string_view code) {
  return code == "ExpiredToken" || code == "TokenRefreshRequired";
}
bool RegionError(std::string_view code) {
  return code == "AuthorizationHeaderMalformed" || code == "InvalidRegion" ||
         code == "IllegalLocationConstraintException" ||
         code == "AuthorizationQueryParametersError";
}

// A 400 that is neither transient (RetryableStatus) nor a configuration error is the
// request's own (KeyTooLong, InvalidArgument, EntityTooLarge, InvalidPart...):
// kInvalidArgument, which a delivery stream sends to its error prefix at once. So only
// those may be kInvalidArgument: a wrong region there would send every record to the
// error prefix.
Status BadRequestError(std::string_view code, const std::string& msg) {
  if (CredentialsError(code)) return Unauthenticated(msg + " (" + kCredentialsHint + ")");
  if (RegionError(code)) return FailedPrecondition(msg + " (" + kRegionHint + ")");
  if (code == "InvalidBucketName")
    return FailedPrecondition(msg +
                              " (the bucket name comes from the stream or rule that "
                              "writes it)");
  return InvalidArgument(msg);
}

std::string AfterAttempts(int attempts) {
  return attempts > 1 ? " (after " + std::to_string(attempts) + " attempts)" : "";
}

}  // namespace

// The 400s a later attempt may not meet: the service timed the connection out, the body
// arrived short or garbled (its SHA-256 or MD5 does not match what was signed: a
// corrupting proxy or NIC). Other 400s (a key too long, a bad bucket name, a malformed
// request) are the request's own, or the configuration's (BadRequestError), and expired
// temporary credentials stay expired: the server does not renew its session token.
bool TransientBadRequest(std::string_view error_code) {
  return error_code == "RequestTimeout" || error_code == "IncompleteBody" ||
         error_code == "BadDigest" || error_code == "InvalidDigest" ||
         error_code == "XAmzContentSHA256Mismatch";
}

bool IsIpAddress(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string address(host.substr(0, host.find('%')));  // fe80::1%eth0: a link-local zone
  unsigned char bytes[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, address.c_str(), bytes) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), bytes) == 1;
}

int StatusOfErrorIn2xx(std::string_view error_code) {
  if (error_code == "InternalError") return 500;
  if (error_code == "SlowDown" || error_code == "ServiceUnavailable") return 503;
  return 400;
}

bool RetryableStatus(int status, std::string_view error_code) {
  if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504)
    return true;
  return status == 400 && TransientBadRequest(error_code);
}

Result<std::shared_ptr<S3Client>> S3Client::Create(const ObjectStoreConfig& config,
                                                   S3Options options) {
  if (config.endpoint.empty())
    return InvalidArgument(
        "s3_endpoint (--s3-endpoint) is empty; the s3 lake backend needs the service's URL "
        "(e.g. http://127.0.0.1:9000)");
  TRY_ASSIGN(Endpoint endpoint, ParseEndpoint(config.endpoint));
  if (config.access_key_id.empty() || config.secret_access_key.empty())
    return InvalidArgument(
        "the s3 lake backend needs credentials: set s3_access_key_id and s3_secret_access_key "
        "in the server's configuration, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its "
        "environment");
  if (config.region.empty())
    return InvalidArgument("s3_region (--s3-region) is empty (e.g. us-east-1)");
  // The rest are ObjectStoreConfig fields the program sets, not server settings.
  if (config.part_size < (5ull << 20) || config.part_size > (5ull << 30))
    return InvalidArgument("ObjectStoreConfig.part_size is " + std::to_string(config.part_size) +
                           "; S3 needs parts of 5 MiB to 5 GiB");
  if (config.max_attempts < 1)
    return InvalidArgument("ObjectStoreConfig.max_attempts must be at least 1");
  if (config.timeout_ms < 1)
    return InvalidArgument("ObjectStoreConfig.timeout_ms must be positive");
  if (!config.path_style && IsIpAddress(endpoint.host)) {
    Logger("objstore")
        ->warn(
            "endpoint={} msg=\"s3_virtual_host is set, but the endpoint's host is an IP address, "
            "which cannot carry a bucket name: buckets are addressed path-style (host/bucket), as "
            "the AWS SDKs do\"",
            config.endpoint);
  }
  TRY_ASSIGN(auto transport, HttpTransport::Create(endpoint, options.transport));
  return std::shared_ptr<S3Client>(new S3Client(config, std::move(options), std::move(transport)));
}

S3Client::S3Client(ObjectStoreConfig config, S3Options options,
                   std::unique_ptr<HttpTransport> transport)
    : config_(std::move(config)), options_(std::move(options)), transport_(std::move(transport)) {}

bool S3Client::PathStyleFor(const std::string& bucket) const {
  if (config_.path_style) return true;
  const Endpoint& ep = transport_->endpoint();
  if (IsIpAddress(ep.host)) return true;
  return ep.tls && bucket.find('.') != std::string::npos;
}

std::pair<std::string, std::string> S3Client::HostAndTarget(const std::string& bucket,
                                                            const std::string& key,
                                                            const sigv4::Pairs& query) const {
  const Endpoint& ep = transport_->endpoint();
  std::string host, path;
  if (bucket.empty() || PathStyleFor(bucket)) {
    host = ep.host;
    path = bucket.empty() ? "/" : "/" + bucket;
    if (!key.empty()) path += "/" + sigv4::UriEncode(key, false);
  } else {
    host = bucket + "." + ep.host;
    path = "/" + sigv4::UriEncode(key, false);
  }
  std::string qs = sigv4::CanonicalQueryString(query);
  return {host, qs.empty() ? path : path + "?" + qs};
}

std::string S3Client::Where(const std::string& bucket, const std::string& key) const {
  return "s3://" + bucket + (key.empty() ? "" : "/" + key) + " (" + config_.endpoint + ")";
}

HttpRequest S3Client::Build(const Call& call, const std::string& host, const std::string& target,
                            const std::string& payload_hash) const {
  std::string amz_date = sigv4::AmzDate(WallMillis() / 1000);
  sigv4::Request req;
  req.method = call.method;
  req.canonical_uri = target.substr(0, target.find('?'));
  req.query = call.query;
  req.payload_hash = payload_hash;
  req.headers = {{"host", HostHeader(host, transport_->endpoint())},
                 {"x-amz-date", amz_date},
                 {"x-amz-content-sha256", payload_hash}};
  if (!config_.session_token.empty())
    req.headers.emplace_back("x-amz-security-token", config_.session_token);
  for (const auto& h : call.headers) req.headers.push_back(h);
  sigv4::Credentials creds{config_.access_key_id, config_.secret_access_key, config_.session_token};
  auto sig = sigv4::Sign(req, creds, config_.region, "s3", amz_date);

  HttpRequest out;
  out.method = call.method;
  out.target = target;
  out.headers = req.headers;
  out.headers.emplace_back("authorization", sig.authorization);
  out.headers.emplace_back("user-agent", "tributary-objstore");
  out.body = std::string(call.body);
  return out;
}

static bool Throttled(int status) { return status == 429 || status == 503; }

int RetryDelayMs(const S3Options& options, int attempt, int status, std::string_view retry_after) {
  // Exponential backoff with "equal jitter": half the delay is fixed, half random, so
  // clients that failed together do not retry together. A store that says it is
  // overloaded (429, 503 SlowDown) gets a longer first pause than a dropped connection:
  // with 100 ms, five attempts were over in about 1.3 s, too soon for S3's per-prefix
  // scaling or a busy MinIO to catch up.
  int64_t delay = Throttled(status) ? options.throttle_base_ms : options.retry_base_ms;
  for (int i = 1; i < attempt && delay < options.retry_max_ms; ++i) delay *= 2;
  delay = std::min<int64_t>(delay, options.retry_max_ms);
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int64_t> jitter(0, delay / 2);
  delay = delay - delay / 2 + jitter(rng);
  // Retry-After in seconds (the HTTP-date form is not used by S3 stores), honoured up
  // to a cap so that one answer cannot park a writer for an hour.
  if (!retry_after.empty() && retry_after.size() <= 6 &&
      retry_after.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t asked = std::stoll(std::string(retry_after)) * 1000;
    delay = std::max(delay, std::min<int64_t>(asked, options.retry_after_max_ms));
  }
  return static_cast<int>(delay);
}

Result<HttpResponse> S3Client::Send(const Call& call, Attempts* attempts) {
  Attempts local;
  if (!attempts) attempts = &local;
  *attempts = Attempts{};
  auto [host, target] = HostAndTarget(call.bucket, call.key, call.query);
  std::string payload_hash = sigv4::Sha256Hex(call.body);
  for (int attempt = 1;; ++attempt) {
    attempts->count = attempt;
    HttpRequest request = Build(call, host, target, payload_hash);
    // timeout_ms bounds setting up the connection and each wait for progress, not the
    // whole transfer: 15 MiB at 400 KB/s takes 40 s and is fine as long as it moves.
    Timeouts timeouts{config_.timeout_ms, config_.timeout_ms, 0};
    bool sent = false;
    auto response = options_.send ? options_.send(host, request, timeouts, &sent)
                                  : transport_->Send(host, request, timeouts, &sent);
    bool retry, maybe_applied;
    int status = 0;
    std::string retry_after;
    Status error;
    if (response.ok()) {
      std::string code;
      if (response->status >= 400 || (call.error_in_2xx && response->status / 100 == 2)) {
        if (auto err = ParseErrorBody(response->body)) {
          code = err->code;
          // S3 sent 200 before the work failed: the answer is the error's.
          if (response->status / 100 == 2) {
            Logger("objstore")
                ->info("op={} where=\"{}\" msg=\"answered 200 with an error: {}\"", call.op,
                       Where(call.bucket, call.key), code);
            response->status = StatusOfErrorIn2xx(code);
          }
        }
      }
      status = response->status;
      retry = RetryableStatus(status, code);
      // A 500 may come after the store wrote the object; 503 and 429 are refusals.
      maybe_applied = status >= 500 && status != 503;
      error = ErrorFor(call, *response, 1);  // this attempt's error, for the log
      retry_after = response->Header("retry-after");
    } else {
      ErrorCode c = response.status().code();
      retry = c == ErrorCode::kUnavailable || c == ErrorCode::kDeadlineExceeded;
      maybe_applied = sent;
      error = Status(
          c, call.op + " " + Where(call.bucket, call.key) + ": " + response.status().message());
    }
    attempts->maybe_applied = attempts->maybe_applied || maybe_applied;
    bool last = !retry || attempt >= config_.max_attempts;
    if (!last && maybe_applied && !call.retry_if_maybe_applied) {
      Logger("objstore")
          ->warn(
              "op={} where=\"{}\" msg=\"not retried: the request was sent and the store may have "
              "carried it out\" error=\"{}\"",
              call.op, Where(call.bucket, call.key), error.message());
      last = true;
    }
    if (last) {
      if (response.ok()) return response;
      return Status(error.code(), error.message() + AfterAttempts(attempt));
    }
    int delay = RetryDelayMs(options_, attempt, status, retry_after);
    Logger("objstore")
        ->debug("op={} where=\"{}\" attempt={} retry_in_ms={} error=\"{}\"", call.op,
                Where(call.bucket, call.key), attempt, delay, error.message());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
}

Result<HttpResponse> S3Client::SendOk(const Call& call, Attempts* attempts) {
  Attempts local;
  if (!attempts) attempts = &local;
  TRY_ASSIGN(HttpResponse response, Send(call, attempts));
  if (response.status < 200 || response.status > 299)
    return ErrorFor(call, response, attempts->count);
  return response;
}

Status S3Client::ErrorFor(const Call& call, const HttpResponse& response, int attempts) const {
  std::string detail = std::to_string(response.status);
  std::string code;
  if (auto err = ParseErrorBody(response.body)) {
    code = err->code;
    if (!err->code.empty()) detail += " " + err->code;
    if (!err->message.empty()) detail += ": " + err->message;
  } else if (response.status == 404) {
    detail += " (not found)";  // HEAD responses carry no body
  }
  std::string msg = call.op + " " + Where(call.bucket, call.key) + " failed: " + detail;
  int s = response.status;
  // 400 on S3; some stores answer 403.
  if ((s == 400 || s == 403) && ExpiredSessionToken(code))
    return Unauthenticated(msg + " (" + kSessionTokenHint + ")");
  // Transient, retried: 429, 5xx and the transient 400s.
  if (RetryableStatus(s, code)) return Unavailable(msg + AfterAttempts(attempts));
  if (s == 400) return BadRequestError(code, msg);
  if (s == 416) return InvalidArgument(msg);
  if (s == 401) return Unauthenticated(msg + " (" + kCredentialsHint + ")");
  if (s == 403) return PermissionDenied(msg + " (" + kCredentialsHint + "; and the bucket policy)");
  if (s == 404) return NotFound(msg);
  if (s == 409 || s == 412) return FailedPrecondition(msg);
  if (s >= 500) return Unavailable(msg);
  return ProtocolError(msg + " (unexpected status)");
}

}  // namespace tributary::objstore::s3
