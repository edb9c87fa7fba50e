// RulesEngine: runs the enabled topic rules on every message the broker accepts and
// carries out their actions. It is the broker's MessageInterceptor (broker/hooks.h).
//
// Per PUBLISH: the rules whose FROM filter matches the topic are found in the RuleSet's
// topic trie (a Basic Ingest topic, $aws/rules/<rule>/<topic>, goes to the rule it names
// alone, which sees <topic>: broker/basic_ingest.h), the payload is parsed at most once (simdjson,
// lazily, only when a rule reads a field), and each matching rule's output goes to its actions:
//  - firehose: the record (output + the action's separator) goes to the RecordSink; with
//    batchMode, the elements of the output's array (each + the separator), all together:
//    the stream takes every one of them or none (RecordSink::PutAll);
//  - republish: the output is published on the rendered topic through `publish`;
//  - s3: the output is written as one object, at the rendered key, through the
//    ObjectSink;
//  - http: the output is POSTed to the rendered URL through the HttpSink. The device's
//    acknowledgement does not wait for it (a slow endpoint must not hold the fleet back):
//    a request that fails, after the sink's retries, goes to the error action.
// A rule that fails on a message (evaluation error, a republish topic that renders
// invalid, a firehose stream that does not exist) sends an error document to its
// errorAction, if it has one, and the engine goes on with the next rule: one document
// per rule and message, listing every action that failed (failedAction,
// failedResource, errorMessage), once the last of them has settled.
//
// Acknowledgement: for QoS 1/2 the broker's `done(kAccepted)` is called only when every
// firehose record of the message is durable in its stream and every s3 object of it is
// stored. A transient sink failure
// refuses the message, so that the device sends it again: kQuotaExceeded when the stream
// is backed up (ResourceExhausted; PUBACK 0x97 in MQTT 5), kRefused otherwise (its log
// cannot be written; 0x80). A permanent one (no such stream, a key the store refuses) goes
// to the error action
// and does not hold the device back. With no rule for the topic the cost is
// one trie walk.
//
// Republished messages reach the rules again (the Publisher's business): each carries one
// more rule hop than the message it came from, and past kMaxRuleHops the rules do not see
// it (a loop).
//
// Thread-safety: OnPublish runs on any number of broker threads at once; rule changes
// arrive through the RuleSetHolder. Each rule counts into the RuleMetrics its
// CompiledRule holds (the RuleRegistry's, from RuleMetricsTable::Start), and the table
// counts the messages dropped before any rule.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/log_throttle.h"
#include "base/metrics.h"
#include "broker/hooks.h"
#include "rules/http_sink.h"
#include "rules/object_sink.h"
#include "rules/record_sink.h"
#include "rules/rule_metrics.h"
#include "rules/rule_set.h"

namespace tributary::rules {

// Publishes from inside the server, for republish actions: to subscribers, and to the
// rules as any client's message is (AWS: a republished message acts like one any client
// sent). `properties`: the MQTT 5 properties of a republish action's headers; `rule_hops`:
// the message's broker::InboundMessage::rule_hops (one more than the message republished).
using Publisher = std::function<void(const std::string& topic, std::string payload, int qos,
                                     mqtt::Properties properties, int rule_hops)>;

class RulesEngine : public broker::MessageInterceptor {
 public:
  // A message that more than this many republishes led to (rule A republishes to B's
  // topic, B to A's; or a rule updating the shadow whose update/accepted it reads) is not
  // given to the rules: a loop ends there, counted and logged, instead of spinning the
  // server. Subscribers still get it. Chains of rules up to this deep work.
  static constexpr int kMaxRuleHops = 8;

  // All pointers must outlive the engine. `sink` may be null (firehose actions then fail),
  // and so may `objects` (s3 actions then fail) and `http` (http actions then fail).
  RulesEngine(const RuleSetHolder* rules, RecordSink* sink, Publisher publish,
              RuleMetricsTable* metrics, ObjectSink* objects = nullptr,
              HttpSink* http = nullptr);

  void OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) override;

  // What get_thing_shadow() reads (none: Undefined). Set before the engine sees
  // messages; `state` must outlive it.
  void set_external_state(const expr::ExternalState* state) { external_ = state; }

 private:
  struct Pending;
  struct Original;
  struct FailureReport;
  // One failed action: the error document's failedAction ("FirehoseAction"; "" for the
  // rule's evaluation), failedResource (the stream, bucket, topic or URL) and message.
  struct ActionFailure {
    std::string action, resource, message;
  };
  // The report of `rule`'s failures on `m` (null when the rule has no error action):
  // keeps a copy of the message, shared by the rules through `pending`, and the rule's
  // SET values.
  static std::shared_ptr<FailureReport> StartReport(const CompiledRule& rule,
                                                    const MessageContext& m,
                                                    const std::shared_ptr<Pending>& pending);
  // An action failed for good: counted, logged (warn, throttled per rule), added to the
  // report (if any).
  static void Fail(const RuleMetrics& rm, FailureReport* report, ActionFailure failure);
  // One of the report's actions settled; after the last, the error document goes out
  // if anything failed.
  void ReleaseReport(const std::shared_ptr<FailureReport>& report);
  // A record or object was refused: `what` names where it went ("delivery stream 'x'").
  // Not `permanent`: the message is refused so that the device sends it again;
  // otherwise `failure` goes to the report.
  void ActionFailed(const CompiledRule& rule, const std::string& what, ActionFailure failure,
                    bool permanent, const RuleMetrics& rm, const Status& s, Pending& pending,
                    FailureReport* report);
  // One rule whose only action is a plain firehose and that has no error action, the
  // common `SELECT * ... -> stream` case: the record goes to the sink with the broker's
  // `done` and nothing else allocated. False when the rule is not of that shape.
  bool TrySingleFirehose(const CompiledRule& rule, const RuleMetrics* rm, std::string_view output,
                         int64_t arrival_ms, broker::PublishDone& done);
  // One rule's evaluation: an error to the error action, an output to the actions.
  void Settle(const CompiledRule& rule, const RuleMetrics* rm,
              Result<std::optional<OutputRecord>>& out, const MessageContext& m,
              const std::shared_ptr<Pending>& pending);
  void RunActions(const CompiledRule& rule, const RuleMetrics* rm, OutputRecord& out,
                  const MessageContext& m, const std::shared_ptr<Pending>& pending);
  // Sends the error document listing `failures` to the rule's error action, its
  // templates rendered for `m`. While `pending`'s acknowledgement is still to come, a
  // firehose or s3 error action holds it until its record or object is stored, and one
  // refused for a passing reason (a stream backed up) refuses the message, which the
  // device sends again: a message acknowledged has its error document stored.
  void RunErrorAction(const CompiledRule& rule, const MessageContext& m,
                      const std::vector<ActionFailure>& failures,
                      const std::shared_ptr<Pending>& pending);

  const RuleSetHolder* rules_;
  RecordSink* sink_;
  Publisher publish_;
  RuleMetricsTable* metrics_;
  ObjectSink* objects_;
  HttpSink* http_;
  const expr::ExternalState* external_ = nullptr;
};

}  // namespace tributary::rules
