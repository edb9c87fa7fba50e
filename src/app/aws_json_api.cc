#include "app/aws_json_api.h"

#include "app/admin_token.h"
#include "app/sigv4_auth.h"
#include "base/ids.h"

namespace tributary::app {
namespace {

constexpr AwsJsonService kServices[] = {kFirehoseService};

const AwsJsonService* ServiceOf(const net::HttpRequest& request) {
  std::string_view target = request.Header("x-amz-target");
  for (const AwsJsonService& service : kServices) {
    if (target.substr(0, service.target_prefix.size()) == service.target_prefix) return &service;
  }
  return nullptr;
}

}  // namespace

bool IsAwsJsonRequest(const net::HttpRequest& request) {
  return request.method == "POST" && request.path == "/" && !request.Header("x-amz-target").empty();
}

std::optional<std::string_view> AwsOperation(const net::HttpRequest& request,
                                             const AwsJsonService& service) {
  std::string_view target = request.Header("x-amz-target");
  if (target.substr(0, service.target_prefix.size()) != service.target_prefix) return std::nullopt;
  return target.substr(service.target_prefix.size());
}

std::optional<net::HttpResponse> RefuseUnauthenticatedAwsRequest(const net::HttpRequest& request,
                                                                 const std::string& admin_token,
                                                                 int64_t now) {
  const AwsJsonService* service = ServiceOf(request);
  if (service == nullptr) {
    return AwsJsonError(400, "UnknownOperationException",
                        "X-Amz-Target '" + request.Header("x-amz-target") +
                            "' names no service served here (Firehose_20150804.<operation>)");
  }
  const std::string& authorization = request.Header("authorization");
  if (BearerTokenMatches(authorization, admin_token)) return std::nullopt;
  if (authorization.rfind("Bearer ", 0) == 0) {
    return AwsJsonError(403, "UnrecognizedClientException",
                        "wrong bearer token (the token is in <data-dir>/admin.token)");
  }
  SigV4Check check = VerifySigV4(
      request, {kAwsAccessKeyId, admin_token, std::string(service->signing_name), "/"}, now);
  switch (check.failure) {
    case SigV4Failure::kNone:
      return std::nullopt;
    case SigV4Failure::kMissing:
      return AwsJsonError(403, "MissingAuthenticationTokenException", check.message);
    case SigV4Failure::kMalformed:
      return AwsJsonError(400, "IncompleteSignatureException", check.message);
    case SigV4Failure::kUnknownKey:
      return AwsJsonError(403, "UnrecognizedClientException", check.message);
    case SigV4Failure::kExpired:
    case SigV4Failure::kMismatch:
      return AwsJsonError(403, "InvalidSignatureException", check.message);
  }
  return AwsJsonError(403, "InvalidSignatureException", check.message);
}

net::HttpResponse AwsJsonResponse(const nlohmann::json& body) {
  net::HttpResponse r;
  r.content_type = "application/x-amz-json-1.1";
  r.headers["x-amzn-RequestId"] = NewUuid();
  r.body = body.dump();
  return r;
}

net::HttpResponse AwsJsonError(int status, std::string_view type, const std::string& message) {
  net::HttpResponse r = AwsJsonResponse({{"__type", type}, {"message", message}});
  r.status = status;
  r.headers["x-amzn-ErrorType"] = std::string(type);
  return r;
}

net::HttpResponse AwsJsonError(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return AwsJsonError(400, "ResourceNotFoundException", status.message());
    case ErrorCode::kInvalidArgument:
      return AwsJsonError(400, "InvalidArgumentException", status.message());
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return AwsJsonError(400, "ResourceInUseException", status.message());
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kUnavailable:
      return AwsJsonError(503, "ServiceUnavailableException", status.message());
    default:
      return AwsJsonError(500, "InternalFailure", status.message());
  }
}

std::optional<nlohmann::json> ParseAwsJsonBody(const net::HttpRequest& request,
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
  *refusal = AwsJsonError(400, "SerializationException", problem);
  return std::nullopt;
}

}  // namespace tributary::app
