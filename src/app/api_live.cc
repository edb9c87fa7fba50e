// /v1/live: watching topics over HTTP (app/live_topics.h), for the console's live view.
//
//   POST   /v1/live/watches             {"filter": "sensors/#"} -> {"id", "filter", "next"}
//   GET    /v1/live/watches             the watches
//   GET    /v1/live/watches/{id}/messages?after=N&wait_ms=M
//          -> {"messages": [{seq, topic, payload | payload_base64, size, truncated, client_id,
//              over_http, qos, retain, received_at}], "next", "dropped"}; waits up to M ms
//              (at most 25,000) for a first message when none is buffered after N
//   DELETE /v1/live/watches/{id}
//   POST   /v1/live/publish             {"topic", "payload", "qos": 0|1, "retain": false}
//          a message published over HTTP by the API's user (the rules' clientid() is n/a,
//          principal() admin, traceid() Undefined): the watches and the rules see it first
//          (a QoS 1 answer waits for their verdict, a stream's log included), then the
//          broker delivers it to subscribers -> {"topic", "qos", "verdict"}
#include <memory>

#include "app/api.h"
#include "app/aws_api.h"
#include "app/client_publish.h"
#include "app/live_topics.h"
#include "app/server.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/utf8.h"
#include "broker/broker.h"
#include "mqtt/topic.h"

namespace tributary::app {
namespace {

// The length of the longest well-formed UTF-8 prefix of `s`.
size_t Utf8Prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) break;
    i += n;
  }
  return i;
}

nlohmann::json ToJson(const LiveMessage& m) {
  nlohmann::json j = {{"seq", m.seq},
                      {"topic", m.topic},
                      {"size", m.size},
                      {"truncated", m.truncated},
                      {"client_id", m.client_id},
                      {"over_http", m.over_http},
                      {"qos", m.qos},
                      {"retain", m.retain},
                      {"received_at", FormatIso8601Millis(m.received_at_ms)}};
  // Text as text; a payload cut at kMaxPayloadBytes may end inside a UTF-8 sequence,
  // and is still text up to there. Anything else goes as base64.
  size_t text = Utf8Prefix(m.payload);
  if (text == m.payload.size() || (m.truncated && m.payload.size() - text < 4)) {
    j["payload"] = m.payload.substr(0, text);
  } else {
    j["payload_base64"] = Base64Encode(m.payload);
  }
  return j;
}

struct ConsolePublish {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
};

Result<ConsolePublish> ParsePublish(const net::HttpRequest& req, uint32_t max_payload) {
  TRY_ASSIGN(nlohmann::json body, ParseBody(req));
  if (!body.is_object()) return InvalidArgument("request body must be a JSON object with 'topic' and 'payload'");
  ConsolePublish p;
  if (!body.contains("topic") || !body["topic"].is_string())
    return InvalidArgument("'topic' is required: the topic to publish to, such as \"sensors/console/pm\"");
  p.topic = body["topic"].get<std::string>();
  if (!mqtt::IsValidTopicName(p.topic))
    return InvalidArgument("'topic': '" + p.topic + "' is not a topic one may publish to (no '+' or '#', not empty)");
  if (p.topic[0] == '$') return InvalidArgument("'topic': topics starting with '$' are the server's own");
  if (body.contains("payload")) {
    if (!body["payload"].is_string()) return InvalidArgument("'payload' must be a string (the message's bytes as text)");
    p.payload = body["payload"].get<std::string>();
  }
  if (p.payload.size() > max_payload)
    return InvalidArgument("'payload' is " + std::to_string(p.payload.size()) + " bytes; the broker takes at most " +
                           std::to_string(max_payload));
  if (body.contains("qos")) {
    if (!body["qos"].is_number_integer() || (body["qos"] != 0 && body["qos"] != 1))
      return InvalidArgument("'qos' must be 0 or 1");
    p.qos = body["qos"].get<int>();
  }
  if (body.contains("retain")) {
    if (!body["retain"].is_boolean()) return InvalidArgument("'retain' must be true or false");
    p.retain = body["retain"].get<bool>();
  }
  return p;
}

const char* VerdictName(broker::PublishVerdict v) {
  switch (v) {
    case broker::PublishVerdict::kAccepted: return "accepted";
    case broker::PublishVerdict::kRefused: return "refused";
    case broker::PublishVerdict::kQuotaExceeded: return "quota_exceeded";
  }
  return "refused";
}

}  // namespace

void AddLiveRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/live/watches", [server](net::HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    if (!body->is_object() || !body->contains("filter") || !(*body)["filter"].is_string())
      return ErrorResponse(InvalidArgument("request body needs 'filter': an MQTT topic filter such as \"sensors/#\""));
    auto watch = server->live().Watch((*body)["filter"].get<std::string>());
    if (!watch.ok()) return ErrorResponse(watch.status());
    return JsonResponse({{"id", watch->id}, {"filter", watch->filter}, {"next", watch->next}}, 201);
  });
  router->Add("GET", "/v1/live/watches", [server](net::HttpRequest&) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& w : server->live().List()) list.push_back({{"id", w.id}, {"filter", w.filter}, {"next", w.next}});
    return JsonResponse({{"watches", list}});
  });
  router->AddAsync("GET", "/v1/live/watches/{id}/messages", [server](net::HttpRequest& req, net::HttpRespond respond) {
    auto after = QueryInt(req, "after", 0, INT64_MAX);
    auto wait_ms = QueryInt(req, "wait_ms", 0, LiveTopics::kMaxWaitMs);
    if (!after.ok()) return respond(ErrorResponse(after.status()));
    if (!wait_ms.ok()) return respond(ErrorResponse(wait_ms.status()));
    server->live().Poll(req.params["id"], static_cast<uint64_t>(*after), static_cast<int>(*wait_ms),
                        [respond = std::move(respond)](Result<LiveBatch> batch) {
                          if (!batch.ok()) return respond(ErrorResponse(batch.status()));
                          nlohmann::json messages = nlohmann::json::array();
                          for (const LiveMessage& m : batch->messages) messages.push_back(ToJson(m));
                          respond(JsonResponse(
                              {{"messages", messages}, {"next", batch->next}, {"dropped", batch->dropped}}));
                        });
  });
  router->AddAsync("POST", "/v1/live/publish", [server](net::HttpRequest& req, net::HttpRespond respond) {
    auto parsed = ParsePublish(req, server->config().max_payload_bytes);
    if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
    ConsolePublish p = std::move(parsed).value();
    const std::string topic = p.topic;
    const int qos = p.qos;
    PublishAsClient(server,
                    {kAwsAccessKeyId, std::move(p.topic), std::move(p.payload), p.qos, p.retain},
                    [topic, qos, respond](broker::PublishVerdict verdict) {
                      if (verdict == broker::PublishVerdict::kAccepted) {
                        return respond(JsonResponse({{"topic", topic}, {"qos", qos}, {"verdict", VerdictName(verdict)}}));
                      }
                      respond(ErrorResponse(
                          verdict == broker::PublishVerdict::kQuotaExceeded
                              ? ResourceExhausted("a delivery stream behind a rule on '" + topic +
                                                  "' is backed up; the message was not taken (a device would get PUBACK 0x97)")
                              : Unavailable("a rule on '" + topic +
                                            "' could not take the message (a device would get PUBACK 0x80); see the server log")));
                    });
  });
  router->Add("DELETE", "/v1/live/watches/{id}", [server](net::HttpRequest& req) {
    Status st = server->live().Unwatch(req.params["id"]);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"id", req.params["id"]}, {"deleted", true}});
  });
}

}  // namespace tributary::app
