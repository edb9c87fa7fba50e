// Firehose's own API on POST / (aws_api.h): the AWS SDKs' and CLI's Firehose client,
// pointed at Tributary with an endpoint override, manages delivery streams and puts
// records as it would on AWS. Operations:
//   CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, UpdateDestination,
//   DeleteDeliveryStream (firehose_shapes.h maps the shapes), PutRecord, PutRecordBatch.
// PutRecord and PutRecordBatch answer once every accepted record is in the stream's
// write-ahead log, as /v1/streams/{name}/records does; a record refused for backpressure
// is a ServiceUnavailableException (the request's for PutRecord, the record's ErrorCode in
// PutRecordBatch), which the SDKs retry.
#include <algorithm>

#include "app/api.h"
#include "app/aws_api.h"
#include "app/aws_tags.h"
#include "app/direct_put.h"
#include "app/firehose_shapes.h"
#include "app/name_paging.h"
#include "app/server.h"
#include "streams/stream_manager.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpRespond;
using net::HttpResponse;

// A Status as Firehose's error of its kind: NotFound -> ResourceNotFoundException (400),
// InvalidArgument -> InvalidArgumentException (400), AlreadyExists and FailedPrecondition
// -> ResourceInUseException (400), ResourceExhausted and Unavailable ->
// ServiceUnavailableException (503, which the SDKs retry with backoff), anything else ->
// InternalFailure (500).
HttpResponse FirehoseError(const Status& status) {
  auto error = [&](int code, std::string_view type) {
    return AwsError(kFirehoseService, code, type, status.message());
  };
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return error(400, "ResourceNotFoundException");
    case ErrorCode::kInvalidArgument:
      return error(400, "InvalidArgumentException");
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return error(400, "ResourceInUseException");
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kUnavailable:
      return error(503, "ServiceUnavailableException");
    default:
      return error(500, "InternalFailure");
  }
}

// The request's DeliveryStreamName.
Result<std::string> StreamName(const json& body) {
  auto it = body.find("DeliveryStreamName");
  if (it == body.end()) return InvalidArgument("DeliveryStreamName is required");
  if (!it->is_string() || it->get<std::string>().empty()) {
    return InvalidArgument("DeliveryStreamName: expected a non-empty string");
  }
  return it->get<std::string>();
}

// A record the stream refused, as PutRecordBatch's ErrorCode: the SDKs resend
// ServiceUnavailableException; anything else is an InternalFailure.
json RecordFailure(const Status& status) {
  bool retry = status.code() == ErrorCode::kResourceExhausted || status.code() == ErrorCode::kUnavailable;
  return {{"ErrorCode", retry ? "ServiceUnavailableException" : "InternalFailure"},
          {"ErrorMessage", status.message()}};
}

void PutRecord(Server* server, const json& body, HttpRespond respond) {
  auto name = StreamName(body);
  if (!name.ok()) return respond(FirehoseError(name.status()));
  if (!body.contains("Record")) return respond(FirehoseError(InvalidArgument("Record is required")));
  auto data = DecodeDirectPutRecord(body["Record"], "Record");
  if (!data.ok()) return respond(FirehoseError(data.status()));
  std::vector<std::string> records;
  records.push_back(std::move(*data));
  server->streams().PutRecordBatch(*name, std::move(records),
                                   [respond](std::vector<streams::PutRecordResult> results) {
                                     const auto& r = results[0];
                                     if (!r.status.ok()) return respond(FirehoseError(r.status));
                                     respond(AwsResponse(kFirehoseService, {{"RecordId", r.record_id}, {"Encrypted", false}}));
                                   });
}

// The whole request is checked before any record is put: a record that does not decode
// is the caller's mistake, which resending would not mend, so it refuses the request.
void PutRecordBatch(Server* server, const json& body, HttpRespond respond) {
  auto name = StreamName(body);
  if (!name.ok()) return respond(FirehoseError(name.status()));
  auto it = body.find("Records");
  if (it == body.end() || !it->is_array()) {
    return respond(FirehoseError(InvalidArgument("Records: expected an array of {\"Data\": \"<base64>\"}")));
  }
  if (it->empty() || it->size() > kMaxBatchRecords) {
    return respond(FirehoseError(InvalidArgument("Records must hold 1.." + std::to_string(kMaxBatchRecords) +
                                                " records, got " + std::to_string(it->size()))));
  }
  std::vector<std::string> records;
  size_t total = 0;
  for (size_t i = 0; i < it->size(); ++i) {
    auto data = DecodeDirectPutRecord((*it)[i], "Records[" + std::to_string(i) + "]");
    if (!data.ok()) return respond(FirehoseError(data.status()));
    total += data->size();
    records.push_back(std::move(*data));
  }
  if (total > kMaxBatchBytes) {
    return respond(FirehoseError(InvalidArgument("the batch holds " + std::to_string(total) +
                                                " bytes of data; at most 4 MiB are allowed")));
  }
  server->streams().PutRecordBatch(*name, std::move(records),
                                   [respond](std::vector<streams::PutRecordResult> results) {
                                     // A stream that does not exist is the request's error.
                                     if (results[0].status.code() == ErrorCode::kNotFound) {
                                       return respond(FirehoseError(results[0].status));
                                     }
                                     json responses = json::array();
                                     int failed = 0;
                                     for (const auto& r : results) {
                                       if (r.status.ok()) {
                                         responses.push_back({{"RecordId", r.record_id}});
                                       } else {
                                         ++failed;
                                         responses.push_back(RecordFailure(r.status));
                                       }
                                     }
                                     respond(AwsResponse(kFirehoseService, {{"FailedPutCount", failed},
                                                              {"Encrypted", false},
                                                              {"RequestResponses", responses}}));
                                   });
}

HttpResponse CreateDeliveryStream(Server* server, const json& body) {
  auto config = StreamConfigFromCreateRequest(body);
  if (!config.ok()) return FirehoseError(config.status());
  if (Status st = ValidateAsFirehose(*config, DestinationKey(body)); !st.ok()) return FirehoseError(st);
  auto tags = TagListOf(body, "Tags");  // checked before anything is made
  if (!tags.ok()) return FirehoseError(tags.status());
  if (Status st = server->streams().Create(*config); !st.ok()) {
    return FirehoseError(WithFirehoseFields(st, DestinationKey(body)));
  }
  const std::string arn = DeliveryStreamArn(config->name);
  if (!tags->empty()) {
    if (Status st = server->tags().Add(arn, *tags); !st.ok()) return FirehoseError(st);
  }
  return AwsResponse(kFirehoseService, {{"DeliveryStreamARN", arn}});
}

HttpResponse DescribeDeliveryStream(Server* server, const json& body) {
  auto name = StreamName(body);
  if (!name.ok()) return FirehoseError(name.status());
  auto described = server->streams().Describe(*name);
  if (!described.ok()) return FirehoseError(described.status());
  return AwsResponse(kFirehoseService, {{"DeliveryStreamDescription", DescribeDeliveryStreamJson(*described)}});
}

// Names in order after ExclusiveStartDeliveryStreamName, at most Limit (1..10000, default
// 10). Every stream here is DirectPut: a filter for another type lists none.
HttpResponse ListDeliveryStreams(Server* server, const json& body) {
  int64_t limit = 10;
  if (auto it = body.find("Limit"); it != body.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 10000) {
      return FirehoseError(InvalidArgument("Limit: expected an integer 1..10000"));
    }
    limit = it->get<int64_t>();
  }
  std::string after;
  if (auto it = body.find("ExclusiveStartDeliveryStreamName"); it != body.end()) {
    if (!it->is_string()) return FirehoseError(InvalidArgument("ExclusiveStartDeliveryStreamName: expected a string"));
    after = it->get<std::string>();
  }
  bool direct_put = true;
  if (auto it = body.find("DeliveryStreamType"); it != body.end()) {
    if (!it->is_string()) return FirehoseError(InvalidArgument("DeliveryStreamType: expected a string"));
    direct_put = *it == "DirectPut";
  }
  std::vector<streams::StreamConfig> configs;
  if (direct_put) configs = server->streams().List();  // in name order
  NamePage<streams::StreamConfig> page =
      PageByName(configs, after, static_cast<size_t>(limit), [](const streams::StreamConfig& c) { return c.name; });
  json names = json::array();
  for (const streams::StreamConfig* config : page.items) names.push_back(config->name);
  return AwsResponse(kFirehoseService, {{"DeliveryStreamNames", names}, {"HasMoreDeliveryStreams", page.more}});
}

// The stream's version is always "1" here, and its one destination
// "destinationId-000000000001": those two fields are checked for shape only.
HttpResponse UpdateDestination(Server* server, const json& body) {
  auto name = StreamName(body);
  if (!name.ok()) return FirehoseError(name.status());
  for (const char* required : {"CurrentDeliveryStreamVersionId", "DestinationId"}) {
    if (!body.contains(required) || !body[required].is_string()) {
      return FirehoseError(InvalidArgument(std::string(required) + " is required (a string)"));
    }
  }
  auto current = server->streams().Describe(*name);
  if (!current.ok()) return FirehoseError(current.status());
  streams::StreamConfig config = current->config;
  if (Status st = ApplyDestinationUpdate(body, &config); !st.ok()) return FirehoseError(st);
  if (Status st = ValidateAsFirehose(config, DestinationKey(body)); !st.ok()) return FirehoseError(st);
  if (Status st = server->streams().Update(config); !st.ok()) {
    return FirehoseError(WithFirehoseFields(st, DestinationKey(body)));
  }
  return AwsResponse(kFirehoseService, json::object());
}

// Waits for the stream's buffers to reach the lake (up to the stop timeout when it
// fails): on the server's slow-call workers, not the HTTP thread.
void DeleteDeliveryStream(Server* server, const json& body, HttpRespond respond) {
  auto name = StreamName(body);
  if (!name.ok()) return respond(FirehoseError(name.status()));
  Status refused = server->RunSlowApiWork([server, name = *name, respond] {
    if (Status st = server->streams().Delete(name); !st.ok()) return respond(FirehoseError(st));
    ForgetTags(server, DeliveryStreamArn(name));
    respond(AwsResponse(kFirehoseService, json::object()));
  });
  if (!refused.ok()) respond(FirehoseError(refused));
}

}  // namespace

void HandleFirehose(Server* server, HttpRequest& req, HttpRespond respond) {
  auto operation = AwsOperation(req, kFirehoseService);
  HttpResponse refusal;
  auto body = ParseAwsBody(kFirehoseService, req, &refusal);
  if (!body) return respond(std::move(refusal));
  const std::string_view op = operation.value_or("");
  if (op == "PutRecord") return PutRecord(server, *body, std::move(respond));
  if (op == "PutRecordBatch") return PutRecordBatch(server, *body, std::move(respond));
  if (op == "CreateDeliveryStream") return respond(CreateDeliveryStream(server, *body));
  if (op == "DescribeDeliveryStream") return respond(DescribeDeliveryStream(server, *body));
  if (op == "ListDeliveryStreams") return respond(ListDeliveryStreams(server, *body));
  if (op == "UpdateDestination") return respond(UpdateDestination(server, *body));
  if (op == "DeleteDeliveryStream") return DeleteDeliveryStream(server, *body, std::move(respond));
  if (auto answer = HandleFirehoseTagOperation(server, op, *body)) return respond(std::move(*answer));
  respond(AwsError(kFirehoseService, 400, "UnknownOperationException",
                       "Firehose operation '" + std::string(op) +
                           "' is not served here (CreateDeliveryStream, DescribeDeliveryStream, "
                           "ListDeliveryStreams, UpdateDestination, DeleteDeliveryStream, "
                           "PutRecord, PutRecordBatch, ListTagsForDeliveryStream, TagDeliveryStream, "
                           "UntagDeliveryStream)"));
}


}  // namespace tributary::app
