// AWS's own APIs, so that the AWS SDKs and CLI can call Tributary with an endpoint
// override. Two of AWS's protocols are spoken:
//  - JSON 1.1 (Firehose, Glue's catalog, SageMaker's hosting): `POST /`, the operation named by the X-Amz-Target header
//    ("Firehose_20150804.PutRecord"), JSON in and out (application/x-amz-json-1.1);
//  - REST-JSON (AWS IoT's topic rules, SageMaker Runtime's InvokeEndpoint): the operation
//    is the method and path ("POST /rules/<name>" is CreateTopicRule), JSON bodies
//    (application/json);
//  - REST-XML (S3's reads of the lake): path-style /<bucket>/<key>, XML listings.
// An error is {"__type": "<Type>", "message": "..."} with the same type in
// x-amzn-ErrorType, which the SDKs raise as that exception; each answer carries an
// x-amzn-RequestId.
//
// Authentication: AWS Signature Version 4 with access key id `admin` and the admin token
// as the secret access key (what an SDK does given those credentials), or, for curl,
// `Authorization: Bearer <token>` as on the rest of the API.
//
//   export AWS_ACCESS_KEY_ID=admin AWS_SECRET_ACCESS_KEY=$(cat tributary-data/admin.token)
//   aws firehose list-delivery-streams --endpoint-url http://localhost:8080 --region local
//   aws iot list-topic-rules --endpoint-url http://localhost:8080 --region local
//   aws sagemaker-runtime invoke-endpoint --endpoint-name forecaster --body fileb://request.json
//     --endpoint-url http://localhost:8080 --region local out.json
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/sigv4_auth.h"
#include "base/status.h"
#include "net/http_types.h"

namespace tributary::app {

// The access key id the SigV4 check accepts.
inline constexpr char kAwsAccessKeyId[] = "admin";

enum class AwsProtocol { kJson, kRestJson, kRestXml };

// A service Tributary answers in one of AWS's protocols.
struct AwsService {
  AwsProtocol protocol;
  // JSON: the X-Amz-Target prefix ("Firehose_20150804."); REST-JSON: the path's first
  // segment ("/rules"), which no other route uses but another service's with another
  // signing name (the SigV4 credential scope tells them apart).
  std::string_view prefix;
  std::string_view signing_name;  // the SigV4 credential scope's service: "firehose"
};

inline constexpr AwsService kFirehoseService{AwsProtocol::kJson, "Firehose_20150804.", "firehose"};
inline constexpr AwsService kGlueService{AwsProtocol::kJson, "AWSGlue.", "glue"};
inline constexpr AwsService kIotRulesService{AwsProtocol::kRestJson, "/rules", "iot"};
// AWS IoT's thing registry calls (api_iot_things.cc) share /things with the data plane's
// shadows below: a request is theirs when it is signed for service iot.
inline constexpr AwsService kIotThingsService{AwsProtocol::kRestJson, "/things", "iot"};
// AWS IoT's data plane (api_iot_data.cc): device shadows, under two paths, ...
inline constexpr AwsService kIotDataService{AwsProtocol::kRestJson, "/things", "iotdata"};
inline constexpr AwsService kIotDataListService{AwsProtocol::kRestJson, "/api/things/shadow", "iotdata"};
// ... and its HTTPS publish (POST /topics/{topic}).
inline constexpr AwsService kIotDataPublishService{AwsProtocol::kRestJson, "/topics", "iotdata"};
// SageMaker Runtime's InvokeEndpoint (POST /endpoints/{name}/invocations): only its
// authentication is here; the route is api_serving.cc's, in SageMaker's shape already.
inline constexpr AwsService kSageMakerRuntimeService{AwsProtocol::kRestJson, "/endpoints", "sagemaker"};
// SageMaker's control plane for hosting (api_sagemaker.cc): models, endpoint configs,
// endpoints.
inline constexpr AwsService kSageMakerService{AwsProtocol::kJson, "SageMaker.", "sagemaker"};
// S3's read API over the lake (api_s3.cc): any path, told apart by a SigV4 signature
// scoped to service s3, since path-style S3 addresses are /<bucket>/<key>. Errors are
// S3's XML <Error><Code>...</Code><Message>...</Message></Error>.
inline constexpr AwsService kS3Service{AwsProtocol::kRestXml, "", "s3"};

// POST / with an X-Amz-Target header, a path under a REST-JSON service's prefix, or a
// request signed for S3.
bool IsAwsRequest(const net::HttpRequest& request);
// A request signed with SigV4 for service s3 (an S3 client's).
bool IsS3Request(const net::HttpRequest& request);
// The service a SigV4 Authorization header's credential scope names ("iot"), or "".
std::string_view SignedServiceOf(const net::HttpRequest& request);
// Whether an S3 request's body is in aws-chunked encoding (Content-Encoding aws-chunked,
// or x-amz-content-sha256 one of its STREAMING-* forms).
bool IsAwsChunkedUpload(const net::HttpRequest& request);

// The operation X-Amz-Target names for a JSON `service` ("PutRecord"), or nullopt if it
// names another service.
std::optional<std::string_view> AwsOperation(const net::HttpRequest& request,
                                             const AwsService& service);

// nullopt if the request is authenticated (see above); otherwise the AWS-shaped answer
// to send: 403 MissingAuthenticationTokenException, UnrecognizedClientException (another
// access key id, or a wrong bearer token) or InvalidSignatureException, 400
// IncompleteSignatureException, or 400 UnknownOperationException for an X-Amz-Target of
// no service served here. `body_follows`: the body is not in `request` yet (a large one,
// taken piece by piece); x-amz-content-sha256 stands for it (SigV4Expectation).
// `verified`, when given, receives the signature's check (empty for a bearer token).
std::optional<net::HttpResponse> RefuseUnauthenticatedAwsRequest(const net::HttpRequest& request,
                                                                 const std::string& admin_token,
                                                                 int64_t now_unix_seconds, bool body_follows = false,
                                                                 SigV4Check* verified = nullptr);

// The same on the header of a request of an AWS JSON or REST-JSON service, before its
// body is read: what the header alone shows wrong (no credentials, a wrong bearer token,
// another access key id, a stale date, an unknown service); the signature itself, which
// covers the body, is left for RefuseUnauthenticatedAwsRequest once the body is in. So
// that clients without the secret are refused before the server holds their bodies.
std::optional<net::HttpResponse> RefuseAwsRequestOnItsHeader(const net::HttpRequest& header,
                                                             const std::string& admin_token,
                                                             int64_t now_unix_seconds);

// A request of an AWS service answered 503 for a while (`what` says why), in its
// service's shape (SlowDown for S3, ServiceUnavailableException for the others).
net::HttpResponse AwsBusy(const net::HttpRequest& request, const std::string& what);

// `body` with `status` in the service's content type.
net::HttpResponse AwsResponse(const AwsService& service, const nlohmann::json& body, int status = 200);
// An error of `type` ("ResourceNotFoundException", "NoSuchKey") with `status`.
// A Status as AWS IoT's control plane answers an error of its kind (api_iot_rules.cc
// says which exception each code becomes: NotFound -> ResourceNotFoundException ...).
net::HttpResponse IotError(const Status& status);
net::HttpResponse AwsError(const AwsService& service, int status, std::string_view type,
                           const std::string& message);

// The answer to a request of an AWS JSON or REST-JSON service whose body is past the
// server's limit (`what` says which), 413 with the error type its SDK reads as a bad
// request (InvalidArgumentException, InvalidInputException, ValidationException,
// InvalidRequestException); nullopt for any other request (S3's are answered by S3's rules).
std::optional<net::HttpResponse> AwsBodyTooLarge(const net::HttpRequest& request,
                                                 const std::string& what);

// The request's JSON object body (an empty body is {}), read as ParseJsonText reads it;
// nullopt with `refusal` set to a 400 SerializationException naming the problem (where
// the text stops being JSON, or the key an object gives twice).
std::optional<nlohmann::json> ParseAwsBody(const AwsService& service, const net::HttpRequest& request,
                                           net::HttpResponse* refusal);

// Unix milliseconds as the epoch seconds AWS's JSON protocols send times in.
inline double EpochSeconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// A NextToken this server gave as a position in a list ("" is the start); InvalidArgument
// "NextToken '<token>' is not one this server gave" for any other.
Result<size_t> PositionToken(const std::string& token);

// A JSON request's non-empty string member `key`, or InvalidArgument "<key> is required
// (a string)".
Result<std::string> RequiredAwsString(const nlohmann::json& body, const char* key);

// Optional members of a client's JSON object, type-checked (nlohmann's value(key, default)
// throws on a mismatch, which would answer 500). Absent or null: `fallback` (nullptr for
// an object). Wrong type: InvalidArgument naming `where` + key, e.g.
// "PrimaryContainer.Mode: expected a string, got 5". `where` is "" or ends with '.'.
Result<bool> OptionalAwsBool(const nlohmann::json& body, const char* key, bool fallback,
                             const std::string& where = "");
Result<std::string> OptionalAwsString(const nlohmann::json& body, const char* key,
                                      const std::string& fallback, const std::string& where = "");
Result<const nlohmann::json*> OptionalAwsObject(const nlohmann::json& body, const char* key,
                                                const std::string& where = "");

}  // namespace tributary::app
