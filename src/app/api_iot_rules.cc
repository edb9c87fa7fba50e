// AWS IoT's topic rule API (REST-JSON, aws_api.h) on /rules, so that the AWS SDKs' IoT
// client and `aws iot ...-topic-rule` manage Tributary's rules with an endpoint override:
//   POST   /rules/{ruleName}          CreateTopicRule (the body is the TopicRulePayload)
//   GET    /rules/{ruleName}          GetTopicRule
//   GET    /rules                     ListTopicRules (topic, maxResults, nextToken, ruleDisabled)
//   PATCH  /rules/{ruleName}          ReplaceTopicRule
//   DELETE /rules/{ruleName}          DeleteTopicRule
//   POST   /rules/{ruleName}/enable   EnableTopicRule; /disable DisableTopicRule
// The rules are the ones /v1/rules, the CLI and the console see.
#include "app/api.h"
#include "app/aws_api.h"
#include "app/name_paging.h"
#include "app/server.h"
#include "base/aws_arn.h"
#include "rules/compiled_rule.h"
#include "rules/rule_registry.h"
#include "rules/rules_engine.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

constexpr int64_t kMaxListResults = 10000;

std::string RuleArn(const std::string& name) { return LocalArn("iot", "rule/" + name); }

double EpochSeconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

bool IsSqlError(std::string_view message) {
  if (message.find("sql: must be a non-empty string") != std::string_view::npos)
    return false;  // not SQL at all
  return message.rfind("sql:", 0) == 0 || message.rfind("topicRulePayload.sql:", 0) == 0;
}

HttpResponse Ok(const json& body = json::object()) { return AwsResponse(kIotRulesService, body); }

// GetTopicRule's `rule`: the definition as created (createdAt in epoch seconds).
json TopicRuleJson(const rules::StoredRule& rule) {
  json j = rules::ToJson(rule, nullptr);
  j.erase("updatedAt");
  if (j["description"] == "") j.erase("description");  // as AWS leaves it out
  j["createdAt"] = EpochSeconds(rule.created_at_ms);
  return j;
}

HttpResponse PutRule(Server* server, HttpRequest& req, bool create) {
  const std::string& name = req.params["name"];
  HttpResponse refusal;
  auto body = ParseAwsBody(kIotRulesService, req, &refusal);
  if (!body) return refusal;
  // The body is the TopicRulePayload itself (the SDKs send it so).
  if (!body->contains("sql")) return IotError(InvalidArgument("sql is required (the body is the TopicRulePayload)"));
  auto stored = create ? server->rules().Create(name, req.body) : server->rules().Replace(name, req.body);
  if (!stored.ok()) return IotError(stored.status());
  return Ok();
}

// Rules in name order after nextToken (the last name of the page before), at most
// maxResults (1..10000, default 100); `topic` keeps the rules whose FROM filter is that
// one, `ruleDisabled` those in that state.
HttpResponse ListRules(Server* server, HttpRequest& req) {
  auto max = QueryInt(req, "maxResults", 100, kMaxListResults);
  if (!max.ok() || *max < 1) {
    return IotError(InvalidArgument("query parameter 'maxResults': '" + req.query["maxResults"] +
                                    "' is not an integer 1..10000"));
  }
  auto param = [&](const char* key) -> std::string {
    auto it = req.query.find(key);
    return it == req.query.end() ? "" : it->second;
  };
  const std::string after = param("nextToken"), topic = param("topic"), disabled = param("ruleDisabled");
  if (!disabled.empty() && disabled != "true" && disabled != "false") {
    return IotError(InvalidArgument("query parameter 'ruleDisabled': '" + disabled + "' is not true or false"));
  }
  struct Listed {
    rules::StoredRule rule;
    std::string pattern;  // its FROM filter
  };
  std::vector<Listed> kept;
  for (rules::StoredRule& rule : server->rules().List()) {  // in name order
    if (!disabled.empty() && rule.definition.disabled != (disabled == "true")) continue;
    auto compiled = server->rules().Compiled(rule.name);
    std::string pattern = compiled.ok() ? (*compiled)->topic_filter() : "";
    if (!topic.empty() && pattern != topic) continue;
    kept.push_back({std::move(rule), std::move(pattern)});
  }
  NamePage<Listed> page =
      PageByName(kept, after, static_cast<size_t>(*max), [](const Listed& l) { return l.rule.name; });
  json list = json::array();
  for (const Listed* l : page.items) {
    list.push_back({{"ruleArn", RuleArn(l->rule.name)},
                    {"ruleName", l->rule.name},
                    {"topicPattern", l->pattern},
                    {"createdAt", EpochSeconds(l->rule.created_at_ms)},
                    {"ruleDisabled", l->rule.definition.disabled}});
  }
  json body = {{"rules", list}};
  if (page.more) body["nextToken"] = page.last;
  return Ok(body);
}

}  // namespace

// A Status as AWS IoT's error of its kind: NotFound -> ResourceNotFoundException (404),
// InvalidArgument -> SqlParseException (400) for the SQL, InvalidRequestException (400)
// otherwise, AlreadyExists -> ResourceAlreadyExistsException (409), FailedPrecondition ->
// ConflictingResourceUpdateException (409), ResourceExhausted and Unavailable ->
// ServiceUnavailableException (503), anything else -> InternalException (500).
HttpResponse IotError(const Status& status) {
  auto error = [&](int code, std::string_view type) {
    return AwsError(kIotRulesService, code, type, status.message());
  };
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return error(404, "ResourceNotFoundException");
    case ErrorCode::kInvalidArgument:
      return IsSqlError(status.message()) ? error(400, "SqlParseException")
                                          : error(400, "InvalidRequestException");
    case ErrorCode::kAlreadyExists:
      return error(409, "ResourceAlreadyExistsException");
    case ErrorCode::kFailedPrecondition:
      return error(409, "ConflictingResourceUpdateException");
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kUnavailable:
      return error(503, "ServiceUnavailableException");
    default:
      return error(500, "InternalException");
  }
}

void AddIotRuleRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/rules/{name}", [server](HttpRequest& req) { return PutRule(server, req, true); });
  router->Add("PATCH", "/rules/{name}", [server](HttpRequest& req) { return PutRule(server, req, false); });
  router->Add("GET", "/rules", [server](HttpRequest& req) { return ListRules(server, req); });
  router->Add("GET", "/rules/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    auto rule = server->rules().Get(name);
    if (!rule.ok()) return IotError(rule.status());
    return Ok({{"ruleArn", RuleArn(name)}, {"rule", TopicRuleJson(*rule)}});
  });
  router->Add("DELETE", "/rules/{name}", [server](HttpRequest& req) {
    // Its counters go with it (RuleRegistry::Delete): a rule created again counts afresh.
    Status st = server->rules().Delete(req.params["name"]);
    if (!st.ok()) return IotError(st);
    return Ok();
  });
  for (const char* verb : {"enable", "disable"}) {
    bool enable = std::string(verb) == "enable";
    router->Add("POST", std::string("/rules/{name}/") + verb, [server, enable](HttpRequest& req) {
      Status st = server->rules().SetEnabled(req.params["name"], enable);
      return st.ok() ? Ok() : IotError(st);
    });
  }
}

}  // namespace tributary::app
