// /v1/streams: delivery streams over HTTP (Firehose's CreateDeliveryStream,
// ListDeliveryStreams, DescribeDeliveryStream, UpdateDestination, DeleteDeliveryStream)
// and Direct PUT:
//   POST /v1/streams/{name}/records        {"Record": {"Data": "<base64>"}}
//        -> {"RecordId": "...", "Encrypted": false}
//   POST /v1/streams/{name}/records/batch  {"Records": [{"Data": "<base64>"}, ...]}
//        -> {"FailedPutCount": n, "RequestResponses": [{"RecordId"} | {"ErrorCode",
//        "ErrorMessage"}]}
// The limits are Firehose's: 500 records and 4 MiB per batch, 1,000 KiB per record.
// Deleting a stream that enabled rules still send to succeeds, with "warnings" naming them.
// The answer goes out once every accepted record is in the stream's write-ahead log.
#include "app/api.h"
#include "app/aws_tags.h"
#include "app/direct_put.h"
#include "app/firehose_shapes.h"
#include "app/server.h"
#include "rules/rule_registry.h"
#include "streams/stream_manager.h"

namespace tributary::app {

namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

// Runs `work` (which answers through `respond`) on the server's slow-call workers, or
// answers at once why it cannot (too many waiting: 503).
void RunSlow(Server* server, const net::HttpRespond& respond, std::function<void()> work) {
  if (Status refused = server->RunSlowApiWork(std::move(work)); !refused.ok())
    respond(ErrorResponse(refused));
}

// The enabled rules whose firehose actions (or error action) send to stream `name`: after
// it is deleted, their records go to their error actions. Empty when there are none.
json RulesStillSendingTo(Server* server, const std::string& name) {
  std::string names;
  for (const rules::StoredRule& r : server->rules().List()) {
    if (r.definition.disabled || !r.error.empty() || !rules::SendsToStream(r.definition, name))
      continue;
    names += (names.empty() ? "" : ", ") + r.name;
  }
  if (names.empty()) return json::array();
  return json::array({"enabled rules still send to delivery stream '" + name + "': " + names +
                      "; their records go to their error actions (or are dropped) until the "
                      "stream is created again or the rules are changed"});
}

HttpResponse CreateStream(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto config = streams::StreamConfigFromJson(*body);
  if (!config.ok()) return ErrorResponse(config.status());
  Status st = server->streams().Create(*config);
  if (!st.ok()) return ErrorResponse(st);
  auto described = server->streams().Describe(config->name);
  if (!described.ok()) return ErrorResponse(described.status());
  return JsonResponse(streams::ToJson(*described), 201);
}

// POST /v1/streams/{name}/destination (Firehose's UpdateDestination): the body holds the
// settings to change, any of bucket, prefix, error_prefix, buffer_size_mib,
// buffer_interval_s, compression, time_zone, file_extension, partition_query,
// record_delimiter, and format_conversion and backup (each replaced whole; null: none); the
// others keep their values.
HttpResponse UpdateStream(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object() || body->empty()) {
    return ErrorResponse(InvalidArgument(
        "request body needs an object of the settings to change (bucket, prefix, error_prefix, "
        "buffer_size_mib, buffer_interval_s, compression, time_zone, file_extension, "
        "partition_query, record_delimiter, format_conversion, backup)"));
  }
  const std::string& name = req.params["name"];
  auto current = server->streams().Describe(name);
  if (!current.ok()) return ErrorResponse(current.status());
  json merged = streams::ToJson(current->config);
  for (const auto& [key, value] : body->items()) {
    if (key == "name" && value != json(name)) {
      return ErrorResponse(InvalidArgument("name: a stream cannot be renamed"));
    }
    merged[key] = value;  // unknown keys are refused below, by name
  }
  auto config = streams::StreamConfigFromJson(merged);
  if (!config.ok()) return ErrorResponse(config.status());
  if (Status st = server->streams().Update(*config); !st.ok()) return ErrorResponse(st);
  auto described = server->streams().Describe(name);
  if (!described.ok()) return ErrorResponse(described.status());
  return JsonResponse(streams::ToJson(*described));
}

HttpResponse PutRecord(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object() || !body->contains("Record")) {
    return ErrorResponse(InvalidArgument("request body needs 'Record': {\"Data\": \"<base64>\"}"));
  }
  auto data = DecodeDirectPutRecord((*body)["Record"], "Record");
  if (!data.ok()) return ErrorResponse(data.status());
  std::vector<std::string> records;
  records.push_back(std::move(*data));
  auto results = server->streams().PutRecordBatch(req.params["name"], std::move(records));
  if (!results[0].status.ok()) return ErrorResponse(results[0].status);
  return JsonResponse({{"RecordId", results[0].record_id}, {"Encrypted", false}});
}

HttpResponse PutRecordBatch(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object() || !body->contains("Records") || !(*body)["Records"].is_array()) {
    return ErrorResponse(InvalidArgument("request body needs 'Records': [{\"Data\": \"<base64>\"}, ...]"));
  }
  const json& in = (*body)["Records"];
  if (in.empty() || in.size() > kMaxBatchRecords) {
    return ErrorResponse(InvalidArgument("'Records' must hold 1.." + std::to_string(kMaxBatchRecords) +
                                         " records, got " + std::to_string(in.size())));
  }
  // A record that does not decode is refused on its own and the others go on (Firehose's
  // PutRecordBatch refuses the whole request instead: api_firehose.cc).
  std::vector<std::string> records;
  std::vector<Status> decode_errors(in.size());
  std::vector<size_t> index_of;  // records[k] is in[index_of[k]]
  size_t total = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    auto data = DecodeDirectPutRecord(in[i], "Records[" + std::to_string(i) + "]");
    if (!data.ok()) {
      decode_errors[i] = data.status();
      continue;
    }
    total += data->size();
    records.push_back(std::move(*data));
    index_of.push_back(i);
  }
  if (total > kMaxBatchBytes) {
    return ErrorResponse(InvalidArgument("the batch holds " + std::to_string(total) +
                                         " bytes of data; at most 4 MiB are allowed"));
  }
  std::vector<streams::PutRecordResult> results;
  if (!records.empty()) {
    results = server->streams().PutRecordBatch(req.params["name"], std::move(records));
  } else if (auto known = server->streams().Describe(req.params["name"]); !known.ok()) {
    return ErrorResponse(known.status());  // no record to ask with
  }
  // A stream that does not exist is the request's error, not each record's.
  if (!results.empty() && results[0].status.code() == ErrorCode::kNotFound) {
    return ErrorResponse(results[0].status);
  }
  json responses = json::array();
  int failed = 0;
  size_t k = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Status* error = nullptr;
    std::string id;
    if (!decode_errors[i].ok()) {
      error = &decode_errors[i];
    } else {
      const auto& r = results[k++];
      if (!r.status.ok()) error = &r.status;
      id = r.record_id;
    }
    if (error != nullptr) {
      ++failed;
      responses.push_back({{"ErrorCode", std::string(ErrorCodeName(error->code()))},
                           {"ErrorMessage", error->message()}});
    } else {
      responses.push_back({{"RecordId", id}});
    }
  }
  return JsonResponse({{"FailedPutCount", failed}, {"Encrypted", false}, {"RequestResponses", responses}});
}

}  // namespace

void AddStreamRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/streams", [server](HttpRequest& req) { return CreateStream(server, req); });
  router->Add("GET", "/v1/streams", [server](HttpRequest&) {
    json list = json::array();
    for (const auto& c : server->streams().List()) {
      auto d = server->streams().Describe(c.name);
      if (d.ok()) list.push_back(streams::ToJson(*d));
    }
    return JsonResponse({{"streams", list}});
  });
  router->Add("GET", "/v1/streams/{name}", [server](HttpRequest& req) {
    auto d = server->streams().Describe(req.params["name"]);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(streams::ToJson(*d));
  });
  // A delete or flush waits for the stream's buffers to reach the lake (up to the stop
  // timeout when the lake fails): on a worker, not on the HTTP thread that also carries
  // other requests and devices' messages.
  router->AddAsync("DELETE", "/v1/streams/{name}",
                   [server](HttpRequest& req, net::HttpRespond respond) {
                     RunSlow(server, respond, [server, name = req.params["name"], respond] {
                       Status st = server->streams().Delete(name);
                       if (!st.ok()) return respond(ErrorResponse(st));
                       ForgetTags(server, DeliveryStreamArn(name));  // Firehose's tags on it
                       json out = {{"name", name}, {"deleted", true}};
                       if (json w = RulesStillSendingTo(server, name); !w.empty())
                         out["warnings"] = std::move(w);
                       respond(JsonResponse(out));
                     });
                   });
  router->Add("POST", "/v1/streams/{name}/destination",
              [server](HttpRequest& req) { return UpdateStream(server, req); });
  router->AddAsync("POST", "/v1/streams/{name}/flush",
                   [server](HttpRequest& req, net::HttpRespond respond) {
                     RunSlow(server, respond, [server, name = req.params["name"], respond] {
                       Status st = server->streams().Flush(name);
                       if (!st.ok()) return respond(ErrorResponse(st));
                       respond(JsonResponse({{"name", name}, {"flushed", true}}));
                     });
                   });
  router->Add("POST", "/v1/streams/{name}/records", [server](HttpRequest& req) { return PutRecord(server, req); });
  router->Add("POST", "/v1/streams/{name}/records/batch",
              [server](HttpRequest& req) { return PutRecordBatch(server, req); });
}

}  // namespace tributary::app
