// CompiledRule: one topic rule ready to run per MQTT message — its SQL parsed and
// compiled once, its topic filter checked, its action templates compiled.
//
//   auto rule = CompiledRule::Compile(definition);
//   expr::Message m(topic, payload);  m.client_id = ...; m.received_at_ms = ...;
//   if (rule->Matches(m.topic)) {
//     auto out = rule->Evaluate(m);   // error -> the rule's errorAction
//     if (out.ok() && *out) deliver((*out)->payload);
//   }
//
// Immutable after Compile: Matches and Evaluate may run on many threads at once, each
// with its own Message.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/compiled.h"
#include "expr/message.h"
#include "expr/variables.h"
#include "mqtt/packet.h"
#include "rules/rule_definition.h"
#include "rules/substitution_template.h"

namespace tributary::rules {

struct RuleMetrics;

// The message a rule is evaluated against (topic, payload, client id, timestamp ...).
using MessageContext = expr::Message;

struct OutputRecord {
  std::string payload;  // compact JSON, or the raw payload for SELECT * of non-JSON
  bool is_json = true;
};

// An http action's request for one message: where to send it, and its headers.
struct HttpRequestParts {
  std::string base;    // "https://host[:port]"
  std::string target;  // "/path?query", rendered
  std::vector<std::pair<std::string, std::string>> headers;  // rendered values
};

// A firehose action's records in batchMode: the elements of the output, a JSON array of
// 1..500, as compact JSON texts. InvalidArgument otherwise.
Result<std::vector<std::string>> BatchRecords(const std::string& output);

// Largest output record; bigger ones are an evaluation error (AWS IoT's message limit).
inline constexpr size_t kMaxOutputBytes = 128 * 1024;

class CompiledRule {
 public:
  // Compiles a validated definition; SQL errors read "topicRulePayload.sql: column 18: ...".
  // `metrics`: the counters of this incarnation of the rule (RuleMetricsTable::Start),
  // which the RulesEngine counts into and the compiled rule holds; null for a rule that is
  // not run.
  static Result<std::shared_ptr<const CompiledRule>> Compile(
      const RuleDefinition& def, std::shared_ptr<const RuleMetrics> metrics = nullptr);
  // Compiles a bare statement (no actions), for tests and tools.
  static Result<std::shared_ptr<const CompiledRule>> CompileSql(std::string_view sql);

  const RuleDefinition& definition() const { return def_; }
  const std::string& name() const { return def_.name; }
  const std::string& topic_filter() const { return topic_filter_; }
  // What the rule's messages and actions count into, whenever they settle; see Compile.
  // Valid while this rule is; hold shared_metrics() to count after it may be gone.
  const RuleMetrics* metrics() const { return metrics_.get(); }
  const std::shared_ptr<const RuleMetrics>& shared_metrics() const { return metrics_; }

  // The SET clause's variables (empty without one). Evaluate and the action renderers
  // compute them for the message they are given; to have them computed once for all
  // of a message's calls (newuuid() the same in the output and a topic), hold an
  // expr::VariableBinding(variables(), m) across the calls.
  const expr::Variables& variables() const { return variables_; }

  // Whether a message on `topic` (a valid topic name) is for this rule: never for a rule
  // without FROM (topic_filter() ""), which Basic Ingest alone reaches.
  bool Matches(std::string_view topic) const;

  // Whether the statement or a template may call traceid() (its text names it, perhaps
  // in a string): the rules engine then keeps the message's trace id for the error action.
  bool MayUseTraceId() const { return may_use_trace_id_; }

  // The top-level fields of every output when the SELECT names them all (no `*`, not
  // SELECT VALUE): what a delivery stream that partitions by a record's field can find in
  // this rule's records. nullopt when the fields depend on the message.
  std::optional<std::vector<std::string>> OutputFields() const;

  // Runs WHERE and SELECT. nullopt when WHERE is not true (false, Undefined, Null...);
  // an error when the output cannot be built: SELECT *, x on a payload that is not a
  // JSON object, or an output over kMaxOutputBytes.
  Result<std::optional<OutputRecord>> Evaluate(const MessageContext& m) const;

  // True when Evaluate's output would be `payload` itself, byte for byte, so that it need
  // not be parsed: SELECT * alone, no WHERE, a payload within kMaxOutputBytes and without
  // JSON whitespace (minifying compact JSON changes nothing, and a payload that is not
  // JSON passes through raw anyway). The broker's hot path with the reference rule.
  bool OutputIsPayload(std::string_view payload) const;

  // Renders the topic of actions[i] (a republish action) for `m`; an error when the
  // result is not a valid topic name. The same for the error action with index -1.
  // `rendered`, when given, gets what the template rendered, valid or not (left empty when
  // there is no such action to render).
  Result<std::string> RepublishTopic(int action_index, const MessageContext& m,
                                     std::string* rendered = nullptr) const;
  // The MQTT 5 properties of the republish action's headers (none set without headers);
  // an error when one renders what MQTT cannot carry (correlation data that is not
  // base64, an expiry that is not a number of seconds, a response topic that is not a
  // topic name, a payload format indicator that is neither name, a content type or user property
  // that is not UTF-8, holds U+0000 or is over 65535 bytes).
  Result<mqtt::Properties> RepublishProperties(int action_index, const MessageContext& m) const;
  // Renders the object key of actions[i] (an s3 action), -1 for the error action; an
  // error when the result is not a valid object key (empty, '..' segments, ...).
  Result<std::string> ObjectKey(int action_index, const MessageContext& m) const;
  // Renders the request of actions[i] (an http action), -1 for the error action; an error
  // when the path or a header value renders what an HTTP request cannot carry.
  Result<HttpRequestParts> HttpRequest(int action_index, const MessageContext& m) const;

 private:
  struct Item {
    std::string key_json;   // "\"name\":"
    std::string name;
    expr::NodePtr node;
  };
  CompiledRule() = default;
  bool WhereHolds(const MessageContext& m) const;
  Status AppendStarMembers(const MessageContext& m, std::string* out, bool* first) const;

  RuleDefinition def_;
  std::shared_ptr<const RuleMetrics> metrics_;
  std::string topic_filter_;
  expr::Variables variables_;
  bool select_value_ = false;
  bool star_ = false;
  bool may_use_trace_id_ = false;
  std::vector<Item> items_;
  expr::NodePtr where_;
  struct ActionTemplates {
    // A republish action's topic, an s3 action's key, an http action's path and query.
    std::optional<SubstitutionTemplate> main;
    std::vector<SubstitutionTemplate> headers;  // an http action's header values
    // A republish action's headers (RepublishHeaders' templates).
    std::optional<SubstitutionTemplate> payload_format, content_type, response_topic,
        correlation_data, message_expiry;
    std::vector<std::pair<SubstitutionTemplate, SubstitutionTemplate>> user_properties;
  };
  struct ActionRef {
    const RuleAction* action;
    const ActionTemplates* templates;
  };
  // Action `action_index` (-1: the error action) and its templates; InvalidArgument if
  // there is none of `type` there.
  Result<ActionRef> ActionOf(int action_index, std::string_view type) const;

  std::vector<ActionTemplates> action_templates_;  // per action
  ActionTemplates error_action_template_;
};

}  // namespace tributary::rules
