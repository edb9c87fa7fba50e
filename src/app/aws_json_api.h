// AWS's JSON 1.1 protocol on `POST /`, so that the AWS SDKs and CLI can call Tributary
// with an endpoint override: the operation is named by the X-Amz-Target header
// ("Firehose_20150804.PutRecord"), the body and answer are JSON
// (application/x-amz-json-1.1), and an error is {"__type": "<Type>", "message": "..."}
// with the same type in x-amzn-ErrorType.
//
// Authentication: AWS Signature Version 4 with access key id `admin` and the admin token
// as the secret access key (what an SDK does given those credentials), or, for curl,
// `Authorization: Bearer <token>` as on the rest of the API.
//
//   export AWS_ACCESS_KEY_ID=admin AWS_SECRET_ACCESS_KEY=$(cat tributary-data/admin.token)
//   aws firehose list-delivery-streams --endpoint-url http://localhost:8080 --region local
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "net/http_types.h"

namespace tributary::app {

// The access key id the SigV4 check accepts.
inline constexpr char kAwsAccessKeyId[] = "admin";

// A service Tributary answers in AWS's JSON protocol.
struct AwsJsonService {
  std::string_view target_prefix;  // "Firehose_20150804."
  std::string_view signing_name;   // the SigV4 credential scope's service: "firehose"
};

inline constexpr AwsJsonService kFirehoseService{"Firehose_20150804.", "firehose"};

// POST / with an X-Amz-Target header.
bool IsAwsJsonRequest(const net::HttpRequest& request);

// The operation X-Amz-Target names for `service` ("PutRecord"), or nullopt if it names
// another service.
std::optional<std::string_view> AwsOperation(const net::HttpRequest& request,
                                             const AwsJsonService& service);

// nullopt if the request is authenticated (see above); otherwise the AWS-shaped answer
// to send: 403 MissingAuthenticationTokenException, UnrecognizedClientException (another
// access key id, or a wrong bearer token) or
// InvalidSignatureException, 400 IncompleteSignatureException or UnknownOperationException
// (a target of no service served here).
std::optional<net::HttpResponse> RefuseUnauthenticatedAwsRequest(const net::HttpRequest& request,
                                                                 const std::string& admin_token,
                                                                 int64_t now_unix_seconds);

// 200 with `body` in the protocol's content type.
net::HttpResponse AwsJsonResponse(const nlohmann::json& body);
// An error of `type` ("ResourceNotFoundException") with `status`.
net::HttpResponse AwsJsonError(int status, std::string_view type, const std::string& message);
// A Status as the AWS error of its kind: NotFound -> ResourceNotFoundException (400),
// InvalidArgument -> InvalidArgumentException (400), AlreadyExists and FailedPrecondition
// -> ResourceInUseException (400), ResourceExhausted and Unavailable ->
// ServiceUnavailableException (503, which the SDKs retry with backoff), anything else ->
// InternalFailure (500).
net::HttpResponse AwsJsonError(const Status& status);

// The request's JSON object body; nullopt with `refusal` set to a 400
// SerializationException naming the problem.
std::optional<nlohmann::json> ParseAwsJsonBody(const net::HttpRequest& request,
                                        net::HttpResponse* refusal);

}  // namespace tributary::app
