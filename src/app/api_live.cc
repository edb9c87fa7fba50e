// /v1/live: watching topics over HTTP (app/live_topics.h), for the console's live view.
//
//   POST   /v1/live/watches                      {"filter": "sensors/#"} -> {"id", "filter", "next"}
//   GET    /v1/live/watches                      the watches
//   GET    /v1/live/watches/{id}/messages?after=N&wait_ms=M
//          -> {"messages": [{seq, topic, payload | payload_base64, size, truncated, client_id,
//              qos, retain, received_at}], "next", "dropped"}; waits up to M ms (at most
//              25,000) for a first message when none is buffered after N
//   DELETE /v1/live/watches/{id}
#include "app/api.h"
#include "app/live_topics.h"
#include "app/server.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/utf8.h"

namespace tributary::app {
namespace {

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

nlohmann::json ToJson(const LiveMessage& m) {
  nlohmann::json j = {{"seq", m.seq},
                      {"topic", m.topic},
                      {"size", m.size},
                      {"truncated", m.truncated},
                      {"client_id", m.client_id},
                      {"qos", m.qos},
                      {"retain", m.retain},
                      {"received_at", FormatIso8601Millis(m.received_at_ms)}};
  // A payload cut at kMaxPayloadBytes may end inside a UTF-8 sequence: such text is
  // still text up to there.
  std::string_view text = m.payload;
  if (m.truncated) {
    size_t cut = text.size();
    while (cut > 0 && cut > text.size() - 4 && (static_cast<unsigned char>(text[cut - 1]) & 0xC0) == 0x80) --cut;
    if (cut > 0 && static_cast<unsigned char>(text[cut - 1]) >= 0xC0) --cut;
    if (IsUtf8(text.substr(0, cut))) text = text.substr(0, cut);
  }
  if (IsUtf8(text)) {
    j["payload"] = std::string(text);
  } else {
    j["payload_base64"] = Base64Encode(m.payload);
  }
  return j;
}

Result<uint64_t> Number(const net::HttpRequest& req, const std::string& name, uint64_t fallback) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return fallback;
  if (it->second.size() > 19 || it->second.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("query parameter '" + name + "' must be a whole number, got '" + it->second + "'");
  return std::stoull(it->second);
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
    auto after = Number(req, "after", 0);
    auto wait_ms = Number(req, "wait_ms", 0);
    if (!after.ok()) return respond(ErrorResponse(after.status()));
    if (!wait_ms.ok()) return respond(ErrorResponse(wait_ms.status()));
    if (*wait_ms > static_cast<uint64_t>(LiveTopics::kMaxWaitMs))
      return respond(ErrorResponse(InvalidArgument("wait_ms must be 0.." + std::to_string(LiveTopics::kMaxWaitMs))));
    server->live().Poll(req.params["id"], *after, static_cast<int>(*wait_ms),
                        [respond = std::move(respond)](Result<LiveBatch> batch) {
                          if (!batch.ok()) return respond(ErrorResponse(batch.status()));
                          nlohmann::json messages = nlohmann::json::array();
                          for (const LiveMessage& m : batch->messages) messages.push_back(ToJson(m));
                          respond(JsonResponse(
                              {{"messages", messages}, {"next", batch->next}, {"dropped", batch->dropped}}));
                        });
  });
  router->Add("DELETE", "/v1/live/watches/{id}", [server](net::HttpRequest& req) {
    Status st = server->live().Unwatch(req.params["id"]);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"id", req.params["id"]}, {"deleted", true}});
  });
}

}  // namespace tributary::app
