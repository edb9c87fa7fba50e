// /v1/rules: topic rules over HTTP, shaped like AWS IoT's CreateTopicRule (the body
// is the topicRulePayload document), GetTopicRule, ListTopicRules, Enable/Disable,
// ReplaceTopicRule and DeleteTopicRule.
#include "app/api.h"
#include "app/server.h"
#include "rules/rule_registry.h"
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
  router->Add("DELETE", "/v1/rules/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    Status st = server->rules().Delete(name);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"ruleName", name}, {"deleted", true}});
  });
}

}  // namespace tributary::app
