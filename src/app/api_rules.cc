// /v1/rules: topic rules over HTTP, shaped like AWS IoT's CreateTopicRule (the body
// is the topicRulePayload document), GetTopicRule, ListTopicRules, Enable/Disable,
// ReplaceTopicRule and DeleteTopicRule; and POST /v1/rules/{name}/test, which shows what
// a rule (stored, or the "rule" given) would do with one message (rules/rule_trial.h).
#include "app/api.h"
#include "app/server.h"
#include "rules/rule_registry.h"
#include "base/clock.h"
#include "mqtt/topic.h"
#include "rules/rule_trial.h"
#include "rules/rules_engine.h"

namespace tributary::app {

namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

HttpResponse PutRule(Server* server, HttpRequest& req, bool create) {
  const std::string& name = req.params["name"];
  auto stored = create ? server->rules().Create(name, req.body)
                       : server->rules().Replace(name, req.body);
  if (!stored.ok()) return ErrorResponse(stored.status());
  return JsonResponse(rules::ToJson(*stored, server->rule_metrics().For(name)), create ? 201 : 200);
}

// {"topic": "devices/d1/x", "payload": "{...}", "clientId": "d1", "timestamp": ms,
//  "rule": {"topicRulePayload": ...} (optional: a definition to try instead of the stored)}
HttpResponse TestRule(Server* server, HttpRequest& req) {
  const std::string& name = req.params["name"];
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrorResponse(InvalidArgument("the body must be a JSON object"));
  auto topic = body.find("topic");
  if (topic == body.end() || !topic->is_string() || !mqtt::IsValidTopicName(topic->get<std::string>())) {
    return ErrorResponse(InvalidArgument("topic: must be a topic name (no '+' or '#')"));
  }
  auto payload = body.find("payload");
  if (payload != body.end() && !payload->is_string()) {
    return ErrorResponse(InvalidArgument("payload: must be a string (the message's bytes as text)"));
  }
  Result<std::shared_ptr<const rules::CompiledRule>> rule =
      body.contains("rule") ? rules::RuleRegistry::CompileUnsaved(name, body["rule"].dump())
                            : server->rules().Compiled(name);
  if (!rule.ok()) return ErrorResponse(rule.status());
  std::string topic_text = topic->get<std::string>();
  std::string payload_text = payload == body.end() ? "" : payload->get<std::string>();
  auto client = body.find("clientId");
  if (client != body.end() && !client->is_string()) {
    return ErrorResponse(InvalidArgument("clientId: must be a string"));
  }
  auto timestamp = body.find("timestamp");
  if (timestamp != body.end() && !timestamp->is_number_integer()) {
    return ErrorResponse(InvalidArgument("timestamp: must be Unix milliseconds"));
  }
  std::string client_id = client == body.end() ? "test" : client->get<std::string>();
  rules::MessageContext m(topic_text, payload_text);
  m.client_id = client_id;
  m.received_at_ms = timestamp == body.end() ? WallMillis() : timestamp->get<int64_t>();
  return JsonResponse(rules::TryRule(**rule, m));
}

}  // namespace

void AddRuleRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/rules/{name}",
              [server](HttpRequest& req) { return PutRule(server, req, /*create=*/true); });
  router->Add("PUT", "/v1/rules/{name}",
              [server](HttpRequest& req) { return PutRule(server, req, /*create=*/false); });
  router->Add("GET", "/v1/rules", [server](HttpRequest&) {
    json list = json::array();
    for (const auto& r : server->rules().List()) {
      list.push_back(rules::ToJson(r, server->rule_metrics().For(r.name)));
    }
    return JsonResponse({{"rules", list}});
  });
  router->Add("GET", "/v1/rules/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    auto r = server->rules().Get(name);
    if (!r.ok()) return ErrorResponse(r.status());
    return JsonResponse(rules::ToJson(*r, server->rule_metrics().For(name)));
  });
  for (const char* verb : {"enable", "disable"}) {
    bool enable = std::string(verb) == "enable";
    router->Add("POST", std::string("/v1/rules/{name}/") + verb, [server, enable](HttpRequest& req) {
      const std::string& name = req.params["name"];
      Status st = server->rules().SetEnabled(name, enable);
      if (!st.ok()) return ErrorResponse(st);
      return JsonResponse({{"ruleName", name}, {"ruleDisabled", !enable}});
    });
  }
  router->Add("POST", "/v1/rules/{name}/test",
              [server](HttpRequest& req) { return TestRule(server, req); });
  router->Add("DELETE", "/v1/rules/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    Status st = server->rules().Delete(name);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"ruleName", name}, {"deleted", true}});
  });
}

}  // namespace tributary::app
