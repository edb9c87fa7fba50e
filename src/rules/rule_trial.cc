#include "rules/rule_trial.h"

#include <string>
#include <variant>

#include "base/base64.h"
#include "broker/basic_ingest.h"

namespace tributary::rules {
namespace {

using Json = nlohmann::json;

Json Failure(const char* action, const std::string& message) {
  return {{"failedAction", action}, {"errorMessage", message}};
}

Json PropertiesJson(const mqtt::Properties& p) {
  Json j = Json::object();
  if (p.payload_format_indicator) {
    j["payloadFormatIndicator"] = *p.payload_format_indicator ? "UTF8_DATA" : "UNSPECIFIED_BYTES";
  }
  if (p.content_type) j["contentType"] = *p.content_type;
  if (p.response_topic) j["responseTopic"] = *p.response_topic;
  if (p.correlation_data) j["correlationData"] = Base64Encode(*p.correlation_data);
  if (p.message_expiry_interval) j["messageExpiry"] = *p.message_expiry_interval;
  if (!p.user_properties.empty()) {
    Json props = Json::array();
    for (const auto& [k, v] : p.user_properties) props.push_back({{"key", k}, {"value", v}});
    j["userProperties"] = props;
  }
  return j;
}

// Where action `i` (-1: the error action) would send `output`, or the failure.
void TryAction(const CompiledRule& rule, int i, const RuleAction& action, const std::string& output,
               const MessageContext& m, const StreamCheck& check_stream, Json* actions,
               Json* failures) {
  if (const auto* fh = std::get_if<FirehoseAction>(&action)) {
    Json a = {{"deliveryStreamName", fh->delivery_stream_name}};
    if (fh->batch_mode) {
      auto elements = BatchRecords(output);
      if (!elements.ok()) {
        return failures->push_back(
            Failure("FirehoseAction", "firehose batchMode: " + elements.status().message()));
      }
      Json records = Json::array();
      for (const std::string& e : *elements) records.push_back(e + fh->separator);
      a["records"] = records;
    } else {
      a["record"] = output + fh->separator;
    }
    if (check_stream) {
      if (Status s = check_stream(fh->delivery_stream_name); !s.ok())
        return failures->push_back(Failure("FirehoseAction", s.message()));
    }
    actions->push_back({{"firehose", a}});
  } else if (const auto* rp = std::get_if<RepublishAction>(&action)) {
    auto topic = rule.RepublishTopic(i, m);
    auto props = topic.ok() ? rule.RepublishProperties(i, m) : Result<mqtt::Properties>(topic.status());
    if (!props.ok()) return failures->push_back(Failure("RepublishAction", props.status().message()));
    Json a = {{"topic", *topic}, {"qos", rp->qos}, {"payload", output}};
    if (Json p = PropertiesJson(*props); !p.empty()) a["properties"] = p;
    actions->push_back({{"republish", a}});
  } else if (const auto* s3 = std::get_if<S3Action>(&action)) {
    auto key = rule.ObjectKey(i, m);
    if (!key.ok()) return failures->push_back(Failure("S3Action", key.status().message()));
    actions->push_back({{"s3", {{"bucketName", s3->bucket_name}, {"key", *key}, {"body", output}}}});
  } else if (std::holds_alternative<HttpAction>(action)) {
    auto request = rule.HttpRequest(i, m);
    if (!request.ok()) return failures->push_back(Failure("HttpAction", request.status().message()));
    Json headers = Json::array();
    for (const auto& [k, v] : request->headers) headers.push_back({{"key", k}, {"value", v}});
    actions->push_back({{"http", {{"url", request->base + request->target},
                                  {"headers", headers},
                                  {"body", output}}}});
  }
}

}  // namespace

Json TryRule(const CompiledRule& rule, const MessageContext& given,
             const StreamCheck& check_stream) {
  // A Basic Ingest topic is for the rule it names, which sees the topic after the prefix.
  MessageContext m(given.topic, given.payload);
  m.CopySenderFrom(given);
  bool matches = rule.Matches(given.topic);
  Json basic = nullptr;
  if (auto target = broker::ParseBasicIngestTopic(given.topic)) {
    matches = target->rule == rule.name();
    m.topic = target->topic;
    basic = {{"rule", target->rule}, {"topic", target->topic}};
  }
  Json out = {{"ruleName", rule.name()},
              {"topicFilter", rule.topic_filter()},
              {"matches", matches},
              {"selected", false},
              {"actions", Json::array()},
              {"failures", Json::array()}};
  if (!basic.is_null()) out["basicIngest"] = basic;
  // The SET variables once for the output and the actions, as the engine does.
  expr::VariableBinding bind(rule.variables(), m);
  auto result = rule.Evaluate(m);
  if (!result.ok()) {
    out["failures"].push_back(Failure("RuleEvaluation", result.status().message()));
  } else if (result->has_value()) {
    const std::string& output = (*result)->payload;
    out["selected"] = true;
    out["output"] = output;
    const auto& actions = rule.definition().actions;
    for (size_t i = 0; i < actions.size(); ++i) {
      TryAction(rule, static_cast<int>(i), actions[i], output, m, check_stream, &out["actions"],
                &out["failures"]);
    }
  }
  // Every SET variable's value for this message (Undefined ones left out).
  if (const expr::Variables& vars = rule.variables(); !vars.empty()) {
    Json values = Json::object();
    for (size_t i = 0; i < vars.size(); ++i) {
      const expr::Value& v = m.variables->Get(i);
      if (v.is_undefined()) continue;
      std::string text;
      expr::AppendJson(v, &text);
      Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      values[vars.name(i)] = parsed.is_discarded() ? Json(text) : std::move(parsed);
    }
    out["variables"] = std::move(values);
  }
  // Where the failures would go.
  if (!out["failures"].empty() && rule.definition().error_action) {
    Json error_actions = Json::array();
    Json ignored = Json::array();
    TryAction(rule, -1, *rule.definition().error_action, "<the error document>", m, check_stream,
              &error_actions, &ignored);
    if (!error_actions.empty()) out["errorAction"] = error_actions.front();
    if (!ignored.empty()) out["errorActionFailure"] = ignored.front()["errorMessage"];
  }
  return out;
}

}  // namespace tributary::rules
