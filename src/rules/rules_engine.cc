#include "rules/rules_engine.h"

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/base64.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/log_throttle.h"
#include "base/utf8.h"
#include "broker/basic_ingest.h"
#include "mqtt/packet.h"

namespace tributary::rules {
namespace {

const std::shared_ptr<spdlog::logger>& Log() {
  static const auto log = Logger("rules");
  return log;
}

// The failures below repeat once per message while their cause lasts (a stream backed
// up, an error action's stream gone): each is logged at most once a second, with the
// count of those held back.
LogThrottle& RefusedThrottle() {
  static LogThrottle throttle;
  return throttle;
}
LogThrottle& ErrorActionThrottle() {
  static LogThrottle throttle;
  return throttle;
}
LogThrottle& BasicIngestThrottle() {
  static LogThrottle throttle;
  return throttle;
}

LogThrottle& LoopThrottle() {
  static LogThrottle throttle;
  return throttle;
}

// A stream or bucket that does not exist, or a key the store refuses, will not change
// because the device sends again: that record goes to the error action. Anything else (a
// full buffer, a log or store that cannot be written) may pass, so a QoS 1/2 message is
// not acknowledged and comes back.
bool IsPermanent(const Status& s) {
  return s.code() == ErrorCode::kNotFound || s.code() == ErrorCode::kInvalidArgument;
}

// For an object store, also a key it cannot take (the local store's key that is another
// object's prefix) and a refusal of access.
bool IsPermanentForObjects(const Status& s) {
  return IsPermanent(s) || s.code() == ErrorCode::kFailedPrecondition ||
         s.code() == ErrorCode::kPermissionDenied;
}

// An error action that could not run, or failed: counted (the rule's
// error_action_failures) and logged (throttled); nothing else to do.
void ErrorActionFailed(Counter* failures, const std::string& rule, const std::string& why) {
  failures->Add();
  if (uint64_t held; ErrorActionThrottle().Allow(&held)) {
    Log()->error("rule={} error action failed: {} (and {} more since the last report)", rule,
                 why, held);
  }
}

// An action of rm's rule failed for good: logged at warn, at most once a second per rule
// (RuleMetrics::failure_log), with the count of the rule's failures held back. `resource`
// may be "" when `message` names it.
void LogActionFailure(const RuleMetrics& rm, std::string_view action, std::string_view resource,
                      std::string_view message) {
  if (uint64_t held; rm.failure_log->Allow(&held)) {
    Log()->warn(
        "rule={} {}{}{} failed: {} (and {} more failures of the rule's actions since "
        "the last report)",
        rm.rule, action, resource.empty() ? "" : " on ", resource, message, held);
  }
}

// A sink's error about `where` ("delivery stream 'x'"), as the error document says it: the
// stream's own errors name it already ("delivery stream 'x' does not exist").
std::string NamingResource(const std::string& where, const std::string& quoted_name,
                           const Status& s) {
  if (s.message().find(quoted_name) != std::string::npos) return s.message();
  return where + ": " + s.message();
}

// How the broker answers a message whose record a stream refused for now: a limit (the
// stream's backlog) asks MQTT 5 devices to slow down (0x97); anything else is an error.
broker::PublishVerdict TransientRefusal(const Status& s) {
  return s.code() == ErrorCode::kResourceExhausted ? broker::PublishVerdict::kQuotaExceeded
                                                   : broker::PublishVerdict::kRefused;
}

}  // namespace

// The message as the error action needs it once OnPublish has returned.
struct RulesEngine::Original {
  std::string topic, payload, client_id;
  int64_t received_at_ms;
  std::string source_ip;
  std::optional<mqtt::Properties> properties;  // for an MQTT 5 PUBLISH
  int rule_hops = 0;
  std::string principal = {};
};

// One PUBLISH's outstanding firehose records and s3 objects. `done` runs when the last
// one settles.
struct RulesEngine::Pending {
  // The copy of the message the rules' failure reports share: made on OnPublish's
  // thread, once, and read only through the reports (which hold it) afterwards.
  std::shared_ptr<const Original> original;
  broker::PublishDone done;
  std::shared_ptr<const RuleSet> set;  // keeps the rules alive until the last callback
  std::atomic<int> outstanding{1};  // 1 for OnPublish itself, released at its end
  std::atomic<broker::PublishVerdict> verdict{broker::PublishVerdict::kAccepted};

  void Release() {
    if (outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1 && done) done(verdict.load());
  }
  // One more outcome to wait for, if the acknowledgement has not gone yet.
  bool HoldIfOutstanding() {
    int n = outstanding.load(std::memory_order_acquire);
    while (n > 0) {
      if (outstanding.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }
};

// One rule's failed actions on one message. As in AWS IoT, the error action gets one
// document per rule and message listing every failure, sent once the last of the
// rule's actions has settled (an http request after its retries).
struct RulesEngine::FailureReport {
  std::shared_ptr<const RuleSet> set;  // keeps `rule` alive
  const CompiledRule* rule = nullptr;
  std::shared_ptr<Pending> pending;  // the message's acknowledgement, for the error action
  std::shared_ptr<const Original> original;
  std::vector<expr::Value> variables;  // the rule's SET values for the message
  // The message's traceid() when the rule may ask for it ("" otherwise, or when the
  // message has none): the id its SQL and actions saw, and other rules see.
  std::string trace_id;
  std::mutex mu;
  std::vector<ActionFailure> failures;
  std::atomic<int> outstanding{1};  // 1 for RunActions itself

  void Add(ActionFailure f) {
    std::lock_guard<std::mutex> lock(mu);
    failures.push_back(std::move(f));
  }
};

RulesEngine::RulesEngine(const RuleSetHolder* rules, RecordSink* sink, Publisher publish,
                         RuleMetricsTable* metrics, ObjectSink* objects, HttpSink* http)
    : rules_(rules),
      sink_(sink),
      publish_(std::move(publish)),
      metrics_(metrics),
      objects_(objects),
      http_(http) {}

void RulesEngine::OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) {
  if (msg.rule_hops > kMaxRuleHops) {
    metrics_->loop_dropped()->Add();
    if (uint64_t held; LoopThrottle().Allow(&held)) {
      Log()->warn(
          "message on {} not given to the rules: {} rules' republishes led to it, more than {}; "
          "rules republishing to each other's topics (or to a shadow whose answers they read) "
          "loop (and {} more since the last report)",
          msg.topic, msg.rule_hops, kMaxRuleHops, held);
    }
    if (done) done(broker::PublishVerdict::kAccepted);
    return;
  }
  // Held by reference: the paths that outlive this call copy it into their Pending
  // before any action runs (an action could re-enter and replace this thread's cache).
  const std::shared_ptr<const RuleSet>& set = rules_->GetCached();
  thread_local std::vector<const CompiledRule*> matching;
  matching.clear();
  std::string_view topic = msg.topic;
  if (auto basic = broker::ParseBasicIngestTopic(msg.topic)) {
    // Basic Ingest: the rule it names, alone, on the topic after the prefix.
    if (const CompiledRule* rule = set->Find(basic->rule)) {
      matching.push_back(rule);
    } else {
      metrics_->basic_ingest_dropped()->Add();
      if (uint64_t held; BasicIngestThrottle().Allow(&held)) {
        Log()->warn("basic ingest message dropped: no enabled rule '{}' (topic {}, client {}; "
                    "and {} more since the last report)",
                    basic->rule, msg.topic, msg.client_id, held);
      }
    }
    topic = basic->topic;
  } else {
    set->Match(msg.topic, &matching);
  }
  if (matching.empty()) {
    if (done) done(broker::PublishVerdict::kAccepted);
    return;
  }

  MessageContext m(topic, msg.payload);
  m.client_id = msg.client_id;
  m.thing = msg.thing;
  m.principal = msg.principal;
  // traceid(): made only if a rule asks, then the same for every rule and error action.
  expr::LazyTraceId trace_id;
  if (!msg.over_http) m.lazy_trace_id = &trace_id;
  m.received_at_ms = msg.received_at_ms;
  m.source_ip = msg.source_ip;
  m.properties = msg.properties;
  m.rule_hops = msg.rule_hops;
  m.external = external_;

  if (matching.size() == 1) {
    const CompiledRule* rule = matching.front();
    const RuleMetrics* rm = rule->metrics();
    if (rule->OutputIsPayload(msg.payload) &&
        TrySingleFirehose(*rule, rm, msg.payload, msg.received_at_ms, done)) {
      return;
    }
    // The SET variables once for the output and the actions' templates.
    expr::VariableBinding bind(rule->variables(), m);
    auto out = rule->Evaluate(m);
    if (out.ok() && out->has_value() &&
        TrySingleFirehose(*rule, rm, (*out)->payload, msg.received_at_ms, done)) {
      return;
    }
    // Any other shape, no output or an error: the general path, with this evaluation.
    auto pending = std::make_shared<Pending>();
    pending->done = std::move(done);
    pending->set = set;
    Settle(*rule, rm, out, m, pending);
    pending->Release();
    return;
  }

  auto pending = std::make_shared<Pending>();
  pending->done = std::move(done);
  pending->set = set;
  // `matching` is thread-local and actions re-enter OnPublish on this thread (a
  // republish goes to the rules again).
  std::vector<const CompiledRule*> rules(matching.begin(), matching.end());
  for (const CompiledRule* rule : rules) {
    const RuleMetrics* rm = rule->metrics();
    expr::VariableBinding bind(rule->variables(), m);
    auto out = rule->Evaluate(m);
    Settle(*rule, rm, out, m, pending);
  }
  pending->Release();
}

void RulesEngine::Settle(const CompiledRule& rule, const RuleMetrics* rm,
                         Result<std::optional<OutputRecord>>& out, const MessageContext& m,
                         const std::shared_ptr<Pending>& pending) {
  if (!out.ok()) {
    rm->errors->Add();
    Log()->debug("rule={} topic={} failed: {}", rule.name(), m.topic, out.status().message());
    RunErrorAction(rule, m, {{"", "", out.status().message()}}, pending);
    return;
  }
  if (!out->has_value()) return;
  rm->matched->Add();
  RunActions(rule, rm, **out, m, pending);
}

bool RulesEngine::TrySingleFirehose(const CompiledRule& rule, const RuleMetrics* rm,
                                    std::string_view output, int64_t arrival_ms,
                                    broker::PublishDone& done) {
  const RuleDefinition& def = rule.definition();
  if (sink_ == nullptr || def.error_action || def.actions.size() != 1) return false;
  const auto* fh = std::get_if<FirehoseAction>(&def.actions.front());
  if (fh == nullptr || fh->batch_mode) return false;
  rm->matched->Add();
  // The sink copies the record before Put returns: one buffer per thread, reused.
  thread_local std::string record;
  record.assign(output);
  record += fh->separator;
  // A permanent failure (no such stream) with no error action drops the record, logged, as
  // the general path does; a transient one refuses the message so that the device sends it
  // again. The stream's error names the stream.
  // Nothing holds the rule meanwhile (holding its counters would touch one reference
  // count from every thread once a message): a failure looks them up by incarnation, and
  // counts nowhere if the rule was deleted and let go meanwhile (its series left /metrics).
  auto settle = [done = std::move(done), this, incarnation = rm->incarnation](const Status& s,
                                                                              uint64_t) {
    broker::PublishVerdict verdict = broker::PublishVerdict::kAccepted;
    if (!s.ok()) {
      std::shared_ptr<const RuleMetrics> set = metrics_->Find(incarnation);
      if (set) set->action_failures->Add();
      if (IsPermanent(s)) {
        if (set) {
          LogActionFailure(*set, "FirehoseAction", "", s.message());
        } else if (uint64_t n; RefusedThrottle().Allow(&n)) {
          Log()->warn(
              "a deleted rule's FirehoseAction failed: {} (and {} more since "
              "the last report)",
              s.message(), n);
        }
      } else {
        if (uint64_t held; RefusedThrottle().Allow(&held)) {
          Log()->warn(
              "record not accepted, the device will send again: {} "
              "(and {} more since the last report)",
              s.message(), held);
        }
        verdict = TransientRefusal(s);
      }
    }
    if (done) done(verdict);
  };
  static_assert(sizeof(settle) <= 88, "RecordDone holds it without allocating");
  sink_->Put(fh->delivery_stream_name, record, arrival_ms, std::move(settle));
  return true;
}

std::shared_ptr<RulesEngine::FailureReport> RulesEngine::StartReport(
    const CompiledRule& rule, const MessageContext& m, const std::shared_ptr<Pending>& held) {
  if (!rule.definition().error_action) return nullptr;
  Pending& pending = *held;
  if (!pending.original) {
    auto o = std::make_shared<Original>(Original{std::string(m.topic), std::string(m.payload),
                                                 std::string(m.client_id), m.received_at_ms,
                                                 std::string(m.source_ip), std::nullopt});
    if (m.properties) o->properties = *m.properties;
    o->rule_hops = m.rule_hops;
    o->principal = m.principal;
    pending.original = std::move(o);
  }
  auto report = std::make_shared<FailureReport>();
  report->set = pending.set;
  report->rule = &rule;
  report->pending = held;
  report->original = pending.original;
  // The values the actions saw, for the error action's templates: a variable is set once
  // per message (newuuid() included).
  if (m.variables != nullptr && &m.variables->variables() == &rule.variables()) {
    report->variables = m.variables->Snapshot();
  }
  // Made now if nothing asked yet, so that the error action's id is the one the other
  // rules of the message see.
  if (rule.MayUseTraceId()) report->trace_id = m.TraceId();
  return report;
}

void RulesEngine::Fail(const RuleMetrics& rm, FailureReport* report, ActionFailure failure) {
  rm.action_failures->Add();
  LogActionFailure(rm, failure.action, failure.resource, failure.message);
  if (report != nullptr) report->Add(std::move(failure));
}

void RulesEngine::ReleaseReport(const std::shared_ptr<FailureReport>& report) {
  if (!report || report->outstanding.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::vector<ActionFailure> failures;
  {
    std::lock_guard<std::mutex> lock(report->mu);
    failures.swap(report->failures);
  }
  if (failures.empty()) return;
  const Original& o = *report->original;
  MessageContext again(o.topic, o.payload);
  again.client_id = o.client_id;
  again.principal = o.principal;
  again.trace_id = report->trace_id;
  again.received_at_ms = o.received_at_ms;
  again.source_ip = o.source_ip;
  again.rule_hops = o.rule_hops;
  again.external = external_;
  if (o.properties) again.properties = &*o.properties;
  expr::VariableBinding bind(report->rule->variables(), again, &report->variables);
  RunErrorAction(*report->rule, again, failures, report->pending);
}

void RulesEngine::RunActions(const CompiledRule& rule, const RuleMetrics* rm, OutputRecord& out,
                             const MessageContext& m, const std::shared_ptr<Pending>& pending) {
  const auto& actions = rule.definition().actions;
  // Made on first need (a failure now, or an action whose outcome comes later); never for
  // a rule without an error action, whose failures are counted and logged only.
  std::shared_ptr<FailureReport> report;
  auto need_report = [&]() -> FailureReport* {
    if (!report) report = StartReport(rule, m, pending);
    return report.get();
  };
  // One more action whose outcome the report waits for.
  auto await_outcome = [&] {
    if (FailureReport* r = need_report()) r->outstanding.fetch_add(1, std::memory_order_relaxed);
  };
  for (size_t i = 0; i < actions.size(); ++i) {
    if (const auto* fh = std::get_if<FirehoseAction>(&actions[i])) {
      const std::string& stream = fh->delivery_stream_name;
      if (sink_ == nullptr) {
        Fail(*rm, need_report(), {"FirehoseAction", stream, "no delivery streams are configured"});
        continue;
      }
      std::vector<std::string> elements;
      if (fh->batch_mode) {
        // batchMode: the output is a JSON array whose elements are the records.
        auto batch = BatchRecords(out.payload);
        if (!batch.ok()) {
          Fail(*rm, need_report(),
               {"FirehoseAction", stream, "firehose batchMode: " + batch.status().message()});
          continue;
        }
        elements = std::move(*batch);
        for (std::string& element : elements) element += fh->separator;
      }
      pending->outstanding.fetch_add(1, std::memory_order_relaxed);
      await_outcome();
      // `pending` holds the rule set, and with it `rule`, `fh` and `rm`.
      RecordDone settle = [this, pending, report, rm, &rule, fh](const Status& s, uint64_t) {
        if (!s.ok()) {
          const std::string quoted = "'" + fh->delivery_stream_name + "'";
          std::string where = "delivery stream " + quoted;
          ActionFailed(
              rule, where,
              {"FirehoseAction", fh->delivery_stream_name, NamingResource(where, quoted, s)},
              IsPermanent(s), *rm, s, *pending, report.get());
        }
        ReleaseReport(report);
        pending->Release();
      };
      if (fh->batch_mode) {
        // The elements go together, all or none (RecordSink::PutAll): a refusal leaves none
        // of them in the stream for the device's retry to store again.
        sink_->PutAll(stream, elements, m.received_at_ms, std::move(settle));
      } else {
        std::string record;
        record.reserve(out.payload.size() + fh->separator.size());
        record = out.payload;
        record += fh->separator;
        sink_->Put(stream, record, m.received_at_ms, std::move(settle));
      }
    } else if (const auto* rp = std::get_if<RepublishAction>(&actions[i])) {
      std::string rendered;
      auto topic = rule.RepublishTopic(static_cast<int>(i), m, &rendered);
      auto properties = topic.ok() ? rule.RepublishProperties(static_cast<int>(i), m)
                                   : Result<mqtt::Properties>(topic.status());
      if (!properties.ok()) {
        // The topic it was sending to: as rendered, valid or not (quoted as one line of
        // UTF-8); the template only when nothing rendered.
        std::string resource = topic.ok()         ? *topic
                               : rendered.empty() ? rp->topic
                                                  : PrintableUtf8(rendered);
        Fail(*rm, need_report(),
             {"RepublishAction", std::move(resource), properties.status().message()});
        continue;
      }
      publish_(*topic, out.payload, rp->qos, std::move(*properties), m.rule_hops + 1);
    } else if (const auto* s3 = std::get_if<S3Action>(&actions[i])) {
      if (objects_ == nullptr) {
        Fail(*rm, need_report(), {"S3Action", s3->bucket_name, "no object store is configured"});
        continue;
      }
      auto key = rule.ObjectKey(static_cast<int>(i), m);
      if (!key.ok()) {
        Fail(*rm, need_report(), {"S3Action", s3->bucket_name, key.status().message()});
        continue;
      }
      pending->outstanding.fetch_add(1, std::memory_order_relaxed);
      await_outcome();
      std::string where = "bucket '" + s3->bucket_name + "' key '" + *key + "'";
      objects_->Put(s3->bucket_name, std::move(*key), out.payload,
                    [this, pending, report, rm, &rule, s3,
                     where = std::move(where)](const Status& s) {
                      if (!s.ok()) {
                        ActionFailed(rule, where,
                                     {"S3Action", s3->bucket_name, where + ": " + s.message()},
                                     IsPermanentForObjects(s), *rm, s, *pending, report.get());
                      }
                      ReleaseReport(report);
                      pending->Release();
                    });
    } else if (const auto* http = std::get_if<HttpAction>(&actions[i])) {
      auto request = http_ ? rule.HttpRequest(static_cast<int>(i), m)
                           : Result<HttpRequestParts>(
                                 FailedPrecondition("no http action client is configured"));
      if (!request.ok()) {
        Fail(*rm, need_report(), {"HttpAction", http->url, request.status().message()});
        continue;
      }
      // Not waited for by the acknowledgement; the report (and with it the rule's error
      // document) waits for it.
      await_outcome();
      // The failure names it as one line of valid UTF-8 (the path may hold a device's bytes).
      std::string url = PrintableUtf8(request->base + request->target);
      HttpPost post{std::move(request->base), std::move(request->target),
                    std::move(request->headers), out.payload, out.is_json};
      // Neither the rule nor its set is held while the request retries (the rule may be
      // replaced or deleted meanwhile), unless the report holds them: its counters are.
      http_->Post(std::move(post), [this, report, held = rule.shared_metrics(),
                                    url = std::move(url)](const Status& s) {
        if (!s.ok()) Fail(*held, report.get(), {"HttpAction", url, s.message()});
        ReleaseReport(report);
      });
    }
  }
  ReleaseReport(report);
}

void RulesEngine::ActionFailed(const CompiledRule& rule, const std::string& what,
                               ActionFailure failure, bool permanent, const RuleMetrics& rm,
                               const Status& s, Pending& pending, FailureReport* report) {
  if (!permanent && pending.done) {
    rm.action_failures->Add();
    // The device sends the message again: nothing goes to the error action.
    pending.verdict.store(TransientRefusal(s));
    if (uint64_t held; RefusedThrottle().Allow(&held)) {
      Log()->warn("rule={} {} did not take the message, the device will send it again: {} "
                  "(and {} more since the last report)",
                  rule.name(), what, s.message(), held);
    }
    return;
  }
  Fail(rm, report, std::move(failure));
}

void RulesEngine::RunErrorAction(const CompiledRule& rule, const MessageContext& m,
                                 const std::vector<ActionFailure>& failures,
                                 const std::shared_ptr<Pending>& pending) {
  const auto& error_action = rule.definition().error_action;
  if (!error_action) return;
  // The acknowledgement, held by a stored error document until it is stored (see the
  // header); null once it has gone (an http action's failure settles later).
  auto hold = [&]() -> std::shared_ptr<Pending> {
    return pending && pending->done && pending->HoldIfOutstanding() ? pending : nullptr;
  };
  auto settle = [](const std::shared_ptr<Pending>& held, const Status& s, bool permanent) {
    if (!held) return;
    if (!s.ok() && !permanent) held->verdict.store(TransientRefusal(s));
    held->Release();
  };
  nlohmann::json list = nlohmann::json::array();
  for (const ActionFailure& f : failures) {
    nlohmann::json entry = {{"failedAction", f.action.empty() ? "RuleEvaluation" : f.action}};
    if (!f.resource.empty()) entry["failedResource"] = f.resource;
    entry["errorMessage"] = f.message;
    list.push_back(std::move(entry));
  }
  nlohmann::json doc = {{"ruleName", rule.name()},
                        {"topic", std::string(m.topic)},
                        {"clientId", std::string(m.ClientIdOrNa())},
                        {"timestamp", m.received_at_ms},
                        {"base64OriginalPayload", Base64Encode(m.payload)},
                        {"failures", list}};
  // Every text above is valid UTF-8 (failures quote rendered values through PrintableUtf8),
  // but a byte that is not must not throw on the thread that sends the document: it
  // becomes U+FFFD.
  std::string text = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // This incarnation's counter (not the name's: the rule may have been deleted and made
  // again meanwhile); the callbacks below hold its set (`counters`), not the rule.
  std::shared_ptr<const RuleMetrics> counters = rule.shared_metrics();
  Counter* failed = counters->error_action_failures;
  if (const auto* fh = std::get_if<FirehoseAction>(&*error_action)) {
    if (sink_ == nullptr)
      return ErrorActionFailed(failed, rule.name(), "no delivery streams are configured");
    std::string rule_name = rule.name();
    sink_->Put(fh->delivery_stream_name, text + fh->separator, /*arrival_ms=*/0,
               [counters, failed, rule_name, stream = fh->delivery_stream_name, ack = hold(),
                settle](const Status& s, uint64_t) {
                 if (!s.ok()) failed->Add();
                 uint64_t held;
                 if (!s.ok() && ErrorActionThrottle().Allow(&held)) {
                   Log()->error(
                       "rule={} error action to stream {} failed too: {}{} (and {} "
                       "more since the last report)",
                       rule_name, stream, s.message(),
                       ack && !IsPermanent(s) ? "; the device will send it again" : "", held);
                 }
                 settle(ack, s, IsPermanent(s));
               });
  } else if (const auto* rp = std::get_if<RepublishAction>(&*error_action)) {
    auto topic = rule.RepublishTopic(-1, m);
    auto properties =
        topic.ok() ? rule.RepublishProperties(-1, m) : Result<mqtt::Properties>(topic.status());
    if (!properties.ok())
      return ErrorActionFailed(failed, rule.name(), properties.status().message());
    publish_(*topic, std::move(text), rp->qos, std::move(*properties), m.rule_hops + 1);
  } else if (std::holds_alternative<HttpAction>(*error_action)) {
    auto request = http_ ? rule.HttpRequest(-1, m)
                         : Result<HttpRequestParts>(
                               FailedPrecondition("no http action client is configured"));
    if (!request.ok()) return ErrorActionFailed(failed, rule.name(), request.status().message());
    HttpPost post{std::move(request->base), std::move(request->target),
                  std::move(request->headers), std::move(text)};
    http_->Post(std::move(post), [counters, failed, rule_name = rule.name()](const Status& s) {
      if (!s.ok()) ErrorActionFailed(failed, rule_name, s.message());
    });
  } else if (const auto* s3 = std::get_if<S3Action>(&*error_action)) {
    if (objects_ == nullptr)
      return ErrorActionFailed(failed, rule.name(), "no object store is configured");
    auto key = rule.ObjectKey(-1, m);
    if (!key.ok()) return ErrorActionFailed(failed, rule.name(), key.status().message());
    std::string where = "bucket '" + s3->bucket_name + "' key '" + *key + "': ";
    objects_->Put(s3->bucket_name, std::move(*key), std::move(text),
                  [counters, failed, rule_name = rule.name(), where = std::move(where),
                   ack = hold(), settle](const Status& s) {
                    if (!s.ok()) ErrorActionFailed(failed, rule_name, where + s.message());
                    settle(ack, s, IsPermanentForObjects(s));
                  });
  }
}

}  // namespace tributary::rules
