#include "app/aws_api.h"

#include "app/admin_token.h"
#include "app/sigv4_auth.h"
#include "base/ids.h"
#include "objstore/sigv4.h"

namespace tributary::app {
namespace {

constexpr AwsService kServices[] = {kFirehoseService, kIotRulesService, kSageMakerRuntimeService};

bool UnderPrefix(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

bool IsJsonTargetRequest(const net::HttpRequest& request) {
  return request.method == "POST" && request.path == "/" && !request.Header("x-amz-target").empty();
}

const AwsService* ServiceOf(const net::HttpRequest& request) {
  for (const AwsService& service : kServices) {
    if (service.protocol == AwsProtocol::kJson) {
      if (!IsJsonTargetRequest(request)) continue;
      std::string_view target = request.Header("x-amz-target");
      if (target.substr(0, service.prefix.size()) == service.prefix) return &service;
    } else if (UnderPrefix(request.path, service.prefix)) {
      return &service;
    }
  }
  return nullptr;
}

}  // namespace

bool IsAwsRequest(const net::HttpRequest& request) {
  if (IsJsonTargetRequest(request)) return true;
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
                                                                 int64_t now) {
  const AwsService* service = ServiceOf(request);
  if (service == nullptr) {
    return AwsError(kFirehoseService, 400, "UnknownOperationException",
                    "X-Amz-Target '" + request.Header("x-amz-target") +
                        "' names no service served here (Firehose_20150804.<operation>)");
  }
  const std::string& authorization = request.Header("authorization");
  if (BearerTokenMatches(authorization, admin_token)) return std::nullopt;
  if (authorization.rfind("Bearer ", 0) == 0) {
    return AwsError(*service, 403, "UnrecognizedClientException",
                    "wrong bearer token (the token is in <data-dir>/admin.token)");
  }
  // A REST path is signed as sent, each segment URI-encoded (our paths need no escaping
  // beyond what the decoded path shows).
  std::string canonical_uri = service->protocol == AwsProtocol::kJson
                                  ? std::string("/")
                                  : objstore::sigv4::UriEncode(request.path, false);
  SigV4Check check = VerifySigV4(
      request, {kAwsAccessKeyId, admin_token, std::string(service->signing_name), canonical_uri},
      now);
  switch (check.failure) {
    case SigV4Failure::kNone:
      return std::nullopt;
    case SigV4Failure::kMissing:
      return AwsError(*service, 403, "MissingAuthenticationTokenException", check.message);
    case SigV4Failure::kMalformed:
      return AwsError(*service, 400, "IncompleteSignatureException", check.message);
    case SigV4Failure::kUnknownKey:
      return AwsError(*service, 403, "UnrecognizedClientException", check.message);
    case SigV4Failure::kExpired:
    case SigV4Failure::kMismatch:
      return AwsError(*service, 403, "InvalidSignatureException", check.message);
  }
  return AwsError(*service, 403, "InvalidSignatureException", check.message);
}

net::HttpResponse AwsResponse(const AwsService& service, const nlohmann::json& body, int status) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = service.protocol == AwsProtocol::kJson ? "application/x-amz-json-1.1"
                                                          : "application/json";
  r.headers["x-amzn-RequestId"] = NewUuid();
  r.body = body.dump();
  return r;
}

net::HttpResponse AwsError(const AwsService& service, int status, std::string_view type,
                           const std::string& message) {
  net::HttpResponse r = AwsResponse(service, {{"__type", type}, {"message", message}}, status);
  r.headers["x-amzn-ErrorType"] = std::string(type);
  return r;
}

std::optional<nlohmann::json> ParseAwsBody(const AwsService& service, const net::HttpRequest& request,
                                           net::HttpResponse* refusal) {
  std::string problem;
  try {
    nlohmann::json body = nlohmann::json::parse(request.body.empty() ? "{}" : request.body);
    if (body.is_object()) return body;
    problem = "the request body is not a JSON object";
  } catch (const nlohmann::json::parse_error& e) {
    problem = "the request body is not valid JSON at byte " + std::to_string(e.byte);
  } catch (const nlohmann::json::exception& e) {
    problem = std::string("the request body is not valid JSON: ") + e.what();
  }
  *refusal = AwsError(service, 400, "SerializationException", problem);
  return std::nullopt;
}

}  // namespace tributary::app
