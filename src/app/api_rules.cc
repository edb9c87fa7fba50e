// /v1/rules: topic rules over HTTP, shaped like AWS IoT's CreateTopicRule (the body
// is the topicRulePayload document), GetTopicRule, ListTopicRules, Enable/Disable,
// ReplaceTopicRule and DeleteTopicRule; and POST /v1/rules/{name}/test, which shows what
// a rule (stored, or the "rule" given) would do with one message (rules/rule_trial.h).
// Creating or replacing a rule whose firehose action names a stream that does not exist,
// or one that partitions by a field the rule does not output, succeeds, with
// "warnings": ["actions[0].firehose: delivery stream 'x' does not exist; ..."].
#include <fmt/format.h>

#include <algorithm>

#include "app/api.h"
#include "app/server.h"
#include "base/base64.h"
#include "base/clock.h"
#include "mqtt/topic.h"
#include "rules/rule_registry.h"
#include "rules/rule_trial.h"
#include "rules/rules_engine.h"
#include "streams/key_template.h"
#include "streams/partition_query.h"
#include "streams/stream_manager.h"

namespace tributary::app {

namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

// NotFound naming `stream` when no delivery stream has that name (one that failed to start
// exists: its records are refused for now, not for good), else OK.
Status MissingStream(Server* server, std::string_view stream) {
  Status s = server->streams().Describe(stream).status();
  return s.code() == ErrorCode::kNotFound ? s : Status::Ok();
}

// What a rule's firehose actions would meet now, one line per action (the error action's
// included): a stream that does not exist, or one that partitions its objects by a field
// of the record (!{partitionKeyFromQuery:...}) that this rule's SELECT never outputs, so
// that every record goes to the stream's error prefix. The rule is stored all the same, as
// AWS IoT stores it (the stream may be created, or changed, after).
json StreamWarnings(Server* server, const rules::RuleDefinition& d,
                    const rules::CompiledRule* compiled) {
  json warnings = json::array();
  const auto fields = compiled ? compiled->OutputFields() : std::nullopt;
  auto check = [&](const rules::RuleAction& a, const std::string& where, const char* then) {
    const auto* fh = std::get_if<rules::FirehoseAction>(&a);
    if (fh == nullptr) return;
    auto stream = server->streams().Describe(fh->delivery_stream_name);
    if (!stream.ok()) {
      if (stream.status().code() == ErrorCode::kNotFound)
        warnings.push_back(where + ": " + stream.status().message() + "; " + then);
      return;
    }
    if (!fields || fh->batch_mode) return;  // the record's fields are not known here
    const streams::StreamConfig& c = stream->config;
    auto prefix =
        streams::KeyTemplate::Parse(c.prefix, streams::KeyTemplate::Use::kPrefix, "prefix");
    if (!prefix.ok()) return;
    auto keys = streams::ResolvePartitionKeys(c.partition_query, prefix->partition_fields());
    if (!keys.ok()) return;
    for (const streams::PartitionKey& key : *keys) {
      if (key.segments.empty() ||
          std::find(fields->begin(), fields->end(), key.segments.front()) != fields->end()) {
        continue;
      }
      warnings.push_back(fmt::format(
          "{}: delivery stream '{}' partitions its objects by the record's field '{}' "
          "(!{{partitionKeyFromQuery:{}}}), which this rule's SELECT does not output; its "
          "records go to the stream's error prefix",
          where, fh->delivery_stream_name, key.segments.front(), key.name));
    }
  };
  const char* then = d.error_action
                         ? "until it is created, the rule's messages go to its error action"
                         : "until it is created, the rule's records are dropped (it has no "
                           "error action)";
  for (size_t i = 0; i < d.actions.size(); ++i)
    check(d.actions[i], "actions[" + std::to_string(i) + "].firehose", then);
  if (d.error_action) {
    check(*d.error_action, "errorAction.firehose",
          "until it is created, the rule's error documents are lost");
  }
  return warnings;
}

// The rule as GetTopicRule shows it, and "warnings" (StreamWarnings) when there are
// any. CreateTopicRule and ReplaceTopicRule (api_iot_rules.cc) answer as AWS does instead.
HttpResponse PutRule(Server* server, HttpRequest& req, bool create) {
  const std::string& name = req.params["name"];
  auto stored = create ? server->rules().Create(name, req.body)
                       : server->rules().Replace(name, req.body);
  if (!stored.ok()) return ErrorResponse(stored.status());
  json out = rules::ToJson(*stored, stored->metrics.get());
  auto compiled = server->rules().Compiled(name);
  if (json warnings =
          StreamWarnings(server, stored->definition, compiled.ok() ? compiled->get() : nullptr);
      !warnings.empty()) {
    out["warnings"] = std::move(warnings);
  }
  return JsonResponse(out, create ? 201 : 200);
}

// The MQTT 5 properties of a trial message: "contentType", "responseTopic",
// "correlationData" (base64), "payloadFormatIndicator" ("UTF8_DATA" or
// "UNSPECIFIED_BYTES") and "userProperties" ([{"key": k, "value": v}, ...]).
Result<mqtt::Properties> TrialProperties(const json& body) {
  mqtt::Properties p;
  auto text = [&](const char* name, std::optional<std::string>* out) -> Status {
    auto it = body.find(name);
    if (it == body.end()) return Status::Ok();
    if (!it->is_string()) return InvalidArgument(std::string(name) + ": must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  TRY(text("contentType", &p.content_type));
  TRY(text("responseTopic", &p.response_topic));
  std::optional<std::string> correlation, format;
  TRY(text("correlationData", &correlation));
  if (correlation) {
    auto bytes = Base64Decode(*correlation);
    if (!bytes.ok()) return InvalidArgument("correlationData: must be base64");
    p.correlation_data = std::move(*bytes);
  }
  TRY(text("payloadFormatIndicator", &format));
  if (format) {
    if (*format != "UTF8_DATA" && *format != "UNSPECIFIED_BYTES") {
      return InvalidArgument("payloadFormatIndicator: must be UTF8_DATA or UNSPECIFIED_BYTES");
    }
    p.payload_format_indicator = *format == "UTF8_DATA" ? 1 : 0;
  }
  if (auto up = body.find("userProperties"); up != body.end()) {
    if (!up->is_array()) {
      return InvalidArgument("userProperties: must be an array of {\"key\": ..., \"value\": ...}");
    }
    for (size_t i = 0; i < up->size(); ++i) {
      const json& e = (*up)[i];
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string() ||
          !e.contains("value") || !e["value"].is_string()) {
        return InvalidArgument("userProperties[" + std::to_string(i) +
                               "]: must be {\"key\": string, \"value\": string}");
      }
      p.user_properties.emplace_back(e["key"].get<std::string>(), e["value"].get<std::string>());
    }
  }
  return p;
}

// {"topic": "devices/d1/x", "payload": "{...}", "clientId": "d1", "timestamp": ms,
//  "sourceIp": "192.0.2.7", "principal": "<thumbprint or user>", MQTT 5 properties
//  (TrialProperties),
//  "rule": {"topicRulePayload": ...} (optional: a definition to try instead of the stored)}
HttpResponse TestRule(Server* server, HttpRequest& req) {
  const std::string& name = req.params["name"];
  Result<json> parsed = ParseBody(req);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  json body = std::move(parsed).value();
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
  auto source_ip = body.find("sourceIp");
  if (source_ip != body.end() && !source_ip->is_string()) {
    return ErrorResponse(InvalidArgument("sourceIp: must be a string"));
  }
  std::string source_ip_text = source_ip == body.end() ? "" : source_ip->get<std::string>();
  auto principal = body.find("principal");
  if (principal != body.end() && !principal->is_string()) {
    return ErrorResponse(InvalidArgument(
        "principal: must be a string (a certificate's thumbprint, or a user such as admin)"));
  }
  std::string principal_text = principal == body.end() ? "" : principal->get<std::string>();
  auto properties = TrialProperties(body);
  if (!properties.ok()) return ErrorResponse(properties.status());
  rules::MessageContext m(topic_text, payload_text);
  m.client_id = client_id;
  m.source_ip = source_ip_text;
  m.principal = principal_text;
  // As a device's MQTT message: traceid() is a new id, made if the rule asks for it.
  expr::LazyTraceId trace_id;
  m.lazy_trace_id = &trace_id;
  m.properties = &*properties;
  m.external = server->rule_state();
  m.received_at_ms = timestamp == body.end() ? WallMillis() : timestamp->get<int64_t>();
  return JsonResponse(rules::TryRule(
      **rule, m, [server](std::string_view stream) { return MissingStream(server, stream); }));
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
      list.push_back(rules::ToJson(r, r.metrics.get()));
    }
    return JsonResponse({{"rules", list}});
  });
  router->Add("GET", "/v1/rules/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    auto r = server->rules().Get(name);
    if (!r.ok()) return ErrorResponse(r.status());
    return JsonResponse(rules::ToJson(*r, r->metrics.get()));
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
    // Its counters go with it (RuleRegistry::Delete): a rule created again counts afresh.
    Status st = server->rules().Delete(name);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"ruleName", name}, {"deleted", true}});
  });
}

}  // namespace tributary::app
