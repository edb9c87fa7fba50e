#include "app/aws_api.h"

#include "app/admin_token.h"
#include "app/api.h"
#include "app/sigv4_auth.h"
#include "base/ids.h"
#include "base/json_text.h"
#include "objstore/sigv4.h"
#include "objstore/xml.h"

namespace tributary::app {
namespace {

constexpr AwsService kServices[] = {
    kFirehoseService,    kGlueService,           kSageMakerService,
    kIotRulesService,    kIotDataService,        kIotThingsService,
    kIotDataListService, kIotDataPublishService, kSageMakerRuntimeService};
constexpr std::string_view kS3Scope = "/s3/aws4_request";

bool UnderPrefix(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

bool IsJsonTargetRequest(const net::HttpRequest& request) {
  return request.method == "POST" && request.path == "/" && !request.Header("x-amz-target").empty();
}

const AwsService* ServiceOf(const net::HttpRequest& request) {
  if (IsS3Request(request)) return &kS3Service;  // any path: /<bucket>/<key>
  const AwsService* by_path = nullptr;
  for (const AwsService& service : kServices) {
    if (service.protocol == AwsProtocol::kJson) {
      if (!IsJsonTargetRequest(request)) continue;
      std::string_view target = request.Header("x-amz-target");
      if (target.substr(0, service.prefix.size()) == service.prefix) return &service;
    } else if (UnderPrefix(request.path, service.prefix)) {
      // Of the services under one path, the one the request was signed for.
      if (service.signing_name == SignedServiceOf(request)) return &service;
      if (by_path == nullptr) by_path = &service;
    }
  }
  return by_path;
}

}  // namespace

// The service of the SigV4 credential scope in the Authorization header
// ("Credential=<key>/<day>/<region>/<service>/aws4_request"), or "".
std::string_view SignedServiceOf(const net::HttpRequest& request) {
  std::string_view authorization = request.Header("authorization");
  size_t at = authorization.find("Credential=");
  if (at == std::string_view::npos) return {};
  std::string_view scope = authorization.substr(at + 11);
  scope = scope.substr(0, scope.find_first_of(", "));
  for (int skip = 0; skip < 3; ++skip) {
    size_t slash = scope.find('/');
    if (slash == std::string_view::npos) return {};
    scope.remove_prefix(slash + 1);
  }
  return scope.substr(0, scope.find('/'));
}

bool IsS3Request(const net::HttpRequest& request) {
  auto scoped_to_s3 = [](std::string_view scope) {
    return scope.size() >= kS3Scope.size() && scope.substr(scope.size() - kS3Scope.size()) == kS3Scope;
  };
  std::string_view authorization = request.Header("authorization");
  if (authorization.empty()) {  // a presigned URL: X-Amz-Credential=<key>/<day>/<region>/s3/aws4_request
    // (or an S3 Signature Version 2 one, refused as such by the authentication)
    if (request.query.count("AWSAccessKeyId") && request.query.count("Signature")) return true;
    auto algorithm = request.query.find("X-Amz-Algorithm");
    auto credential = request.query.find("X-Amz-Credential");
    return algorithm != request.query.end() && credential != request.query.end() &&
           scoped_to_s3(credential->second);
  }
  size_t credential = authorization.find("Credential=");
  if (authorization.rfind("AWS4-HMAC-SHA256 ", 0) != 0 || credential == std::string_view::npos) return false;
  std::string_view scope = authorization.substr(credential);
  return scoped_to_s3(scope.substr(0, scope.find(',')));
}

bool IsAwsChunkedUpload(const net::HttpRequest& request) {
  return request.Header("x-amz-content-sha256").rfind("STREAMING-", 0) == 0 ||
         request.Header("content-encoding").find("aws-chunked") != std::string::npos;
}

bool IsAwsRequest(const net::HttpRequest& request) {
  if (IsJsonTargetRequest(request) || IsS3Request(request)) return true;
  const AwsService* service = ServiceOf(request);
  return service != nullptr && service->protocol == AwsProtocol::kRestJson;
}

std::optional<std::string_view> AwsOperation(const net::HttpRequest& request,
                                             const AwsService& service) {
  std::string_view target = request.Header("x-amz-target");
  if (target.substr(0, service.prefix.size()) != service.prefix) return std::nullopt;
  return target.substr(service.prefix.size());
}

std::optional<net::HttpResponse> RefuseUnauthenticatedAwsRequest(const net::HttpRequest& request,
                                                                 const std::string& admin_token,
                                                                 int64_t now, bool body_follows,
                                                                 SigV4Check* verified) {
  const AwsService* service = ServiceOf(request);
  if (service == nullptr) {
    return AwsError(kFirehoseService, 400, "UnknownOperationException",
                    "X-Amz-Target '" + request.Header("x-amz-target") +
                        "' names no service served here (Firehose_20150804.<operation>, AWSGlue.<operation>, SageMaker.<operation>)");
  }
  const std::string& authorization = request.Header("authorization");
  if (BearerTokenMatches(authorization, admin_token)) return std::nullopt;
  if (authorization.rfind("Bearer ", 0) == 0) {
    return AwsError(*service, 403, "UnrecognizedClientException",
                    "wrong bearer token (the token is in <data-dir>/admin.token)");
  }
  // The path as signed: "/" for JSON; S3 signs it as sent; the other REST services
  // encode the path as sent once more (AWS's rule for all but S3).
  std::string canonical_uri = service->protocol == AwsProtocol::kJson      ? std::string("/")
                              : service->protocol == AwsProtocol::kRestXml ? request.raw_path
                                  : objstore::sigv4::UriEncode(request.raw_path, false);
  SigV4Check check = VerifySigV4(
      request, {kAwsAccessKeyId, admin_token, std::string(service->signing_name), canonical_uri, body_follows},
      now);
  if (verified != nullptr) *verified = check;
  const bool s3 = service->protocol == AwsProtocol::kRestXml;
  switch (check.failure) {
    case SigV4Failure::kNone:
      return std::nullopt;
    case SigV4Failure::kMissing:
      return AwsError(*service, 403, s3 ? "AccessDenied" : "MissingAuthenticationTokenException", check.message);
    case SigV4Failure::kMalformed:
      return AwsError(*service, 400,
                      !s3                ? "IncompleteSignatureException"
                      : check.presigned ? "AuthorizationQueryParametersError"
                                        : "AuthorizationHeaderMalformed",
                      check.message);
    case SigV4Failure::kUnknownKey:
      return AwsError(*service, 403, s3 ? "InvalidAccessKeyId" : "UnrecognizedClientException", check.message);
    case SigV4Failure::kExpired:  // S3 answers an expired presigned URL with AccessDenied
      return AwsError(*service, 403, !s3 ? "InvalidSignatureException" : check.presigned ? "AccessDenied" : "RequestTimeTooSkewed",
                      check.message);
    case SigV4Failure::kUnsignedHeaders:
      return AwsError(*service, 403, s3 ? "AccessDenied" : "AccessDeniedException", check.message);
    case SigV4Failure::kMismatch:
      break;
  }
  return AwsError(*service, 403, s3 ? "SignatureDoesNotMatch" : "InvalidSignatureException", check.message);
}

std::optional<net::HttpResponse> RefuseAwsRequestOnItsHeader(const net::HttpRequest& header,
                                                             const std::string& admin_token,
                                                             int64_t now) {
  SigV4Check check;
  auto refused =
      RefuseUnauthenticatedAwsRequest(header, admin_token, now, /*body_follows=*/false, &check);
  // Without the body its hash, and so the signature, cannot match yet: judged once read.
  if (refused && check.failure == SigV4Failure::kMismatch) return std::nullopt;
  return refused;
}

net::HttpResponse AwsBusy(const net::HttpRequest& request, const std::string& what) {
  const AwsService* service = ServiceOf(request);
  if (service == nullptr) return net::JsonError(503, "ServiceUnavailableException", what);
  const bool s3 = service->protocol == AwsProtocol::kRestXml;
  return AwsError(*service, 503, s3 ? "SlowDown" : "ServiceUnavailableException", what);
}

net::HttpResponse AwsResponse(const AwsService& service, const nlohmann::json& body, int status) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = service.protocol == AwsProtocol::kJson ? "application/x-amz-json-1.1"
                                                          : "application/json";
  r.headers["x-amzn-RequestId"] = NewUuid();
  // As JsonResponse: bytes that are not UTF-8 become U+FFFD rather than an exception.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

net::HttpResponse AwsError(const AwsService& service, int status, std::string_view type,
                           const std::string& message) {
  if (service.protocol == AwsProtocol::kRestXml) {
    net::HttpResponse r;
    r.status = status;
    r.content_type = "application/xml";
    std::string id = NewUuid();
    r.headers["x-amz-request-id"] = id;
    r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(type) +
             "</Code><Message>" + objstore::XmlEscape(message) + "</Message><RequestId>" + id +
             "</RequestId></Error>";
    return r;
  }
  net::HttpResponse r = AwsResponse(service, {{"__type", type}, {"message", message}}, status);
  r.headers["x-amzn-ErrorType"] = std::string(type);
  return r;
}

std::optional<net::HttpResponse> AwsBodyTooLarge(const net::HttpRequest& request,
                                                 const std::string& what) {
  if (!IsAwsRequest(request) || IsS3Request(request)) return std::nullopt;
  const AwsService* service = ServiceOf(request);
  if (service == nullptr) return std::nullopt;
  const std::string_view name = service->signing_name;
  const std::string_view type = name == "firehose"    ? "InvalidArgumentException"
                                : name == "glue"      ? "InvalidInputException"
                                : name == "sagemaker" ? "ValidationException"
                                                      : "InvalidRequestException";
  return AwsError(*service, 413, type, what);
}

std::optional<nlohmann::json> ParseAwsBody(const AwsService& service, const net::HttpRequest& request,
                                           net::HttpResponse* refusal) {
  const std::string_view text = request.body.empty() ? std::string_view("{}") : request.body;
  Result<nlohmann::json> body = ParseJsonText(text, "the request body");
  if (body.ok() && body->is_object()) return std::move(body).value();
  *refusal =
      AwsError(service, 400, "SerializationException",
               body.ok() ? "the request body is not a JSON object" : body.status().message());
  return std::nullopt;
}

void AddAwsJsonRoutes(net::Router* router, Server* server, bool with_glue) {
  router->AddAsync("POST", "/", [server, with_glue](net::HttpRequest& req, net::HttpRespond respond) {
    if (AwsOperation(req, kFirehoseService)) return HandleFirehose(server, req, std::move(respond));
    if (with_glue && AwsOperation(req, kGlueService)) return HandleGlue(server, req, std::move(respond));
    if (with_glue && AwsOperation(req, kSageMakerService)) return HandleSageMaker(server, req, std::move(respond));
    respond(AwsError(kFirehoseService, 400, "UnknownOperationException",
                     "X-Amz-Target '" + req.Header("x-amz-target") + "' names no operation served here" +
                         (with_glue ? "" : " (Glue's and SageMaker's are the control server's)")));
  });
}

Result<std::string> RequiredAwsString(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
    return InvalidArgument(std::string(key) + " is required (a string)");
  }
  return it->get<std::string>();
}

namespace {

// The member `key` of `body` unless absent or null; InvalidArgument when `body` is no object.
Result<const nlohmann::json*> OptionalMember(const nlohmann::json& body, const char* key,
                                             const std::string& where) {
  if (!body.is_object()) {
    std::string object = where.empty() ? "the request" : where.substr(0, where.size() - 1);
    return InvalidArgument(object + ": expected an object, got " + body.dump());
  }
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return static_cast<const nlohmann::json*>(nullptr);
  return &*it;
}

Status WrongType(const std::string& where, const char* key, const char* expected,
                 const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 64) text = text.substr(0, 64) + "...";
  return InvalidArgument(where + key + ": expected " + expected + ", got " + text);
}

}  // namespace

Result<bool> OptionalAwsBool(const nlohmann::json& body, const char* key, bool fallback,
                             const std::string& where) {
  TRY_ASSIGN(const nlohmann::json* v, OptionalMember(body, key, where));
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return WrongType(where, key, "true or false", *v);
  return v->get<bool>();
}

Result<std::string> OptionalAwsString(const nlohmann::json& body, const char* key,
                                      const std::string& fallback, const std::string& where) {
  TRY_ASSIGN(const nlohmann::json* v, OptionalMember(body, key, where));
  if (v == nullptr) return fallback;
  if (!v->is_string()) return WrongType(where, key, "a string", *v);
  return v->get<std::string>();
}

Result<const nlohmann::json*> OptionalAwsObject(const nlohmann::json& body, const char* key,
                                                const std::string& where) {
  TRY_ASSIGN(const nlohmann::json* v, OptionalMember(body, key, where));
  if (v != nullptr && !v->is_object()) return WrongType(where, key, "an object", *v);
  return v;
}

Result<size_t> PositionToken(const std::string& token) {
  if (token.empty()) return size_t{0};
  if (token.size() > 9 || token.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("NextToken '" + token + "' is not one this server gave");
  }
  return static_cast<size_t>(std::stoul(token));
}

}  // namespace tributary::app
