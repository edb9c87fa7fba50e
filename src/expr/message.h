// Message: what one expression evaluation sees — the MQTT message (topic, payload,
// MQTT 5 properties) and who sent it when and from where. The functions topic(),
// clientid(), timestamp(), principal(), traceid(), sourceip(), get_mqtt_property() and
// get_user_properties() read it; field references read its payload; get_thing_shadow()
// reads the ExternalState it points to.
//
// The payload is parsed as JSON lazily, the first time a field is referenced, and at
// most once per Message however many expressions (rules) are evaluated against it.
// A payload that is not JSON is fine: field references then yield Undefined.
//
// Not thread-safe: a Message is filled and evaluated by one thread at a time (the
// broker thread that received the PUBLISH). The views must outlive the Message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace simdjson::dom {
class parser;
}
namespace tributary::mqtt {
struct Properties;
}

namespace tributary::expr {

class VariableFrame;

// How many bytes the string- and array-building functions and operators (concat, '+',
// replace, regexp_replace, lpad/rpad, encode, transform, array and object literals ...)
// may build for one evaluation: 8 times the 128 KiB that AWS IoT lets a message or a
// rule's output be. A function whose result would pass it gives Undefined without
// building it, and the evaluation is marked over budget (a rule then fails with an
// error for its error action). Without it `replace(big, 'x', big)` or a chain of
// `SET @b = concat(@a, @a)` could build gigabytes from one message.
inline constexpr size_t kBuildBudgetBytes = 1 << 20;

// How many rows the nested queries of one evaluation may read, all together: each element
// a nested query's FROM yields counts, whether its WHERE keeps it or not. A query that
// reads its array again for every element reads n * n rows and keeps none, which the
// build budget does not see: 30,000 elements (60 KB) would be 900,000,000 rows, seconds
// on the evaluating thread. Past the bound a nested query gives Undefined and the
// evaluation is marked (a rule then fails for its error action).
inline constexpr size_t kNestedQueryRowBudget = 1'000'000;

// State outside the message that functions read: get_thing_shadow()'s device shadows and
// get_registry_data()'s things. Given by whoever evaluates (the rules engine, from the
// server's shadow store and device registry); without one those functions yield
// Undefined. Called on the evaluating thread.
class ExternalState {
 public:
  virtual ~ExternalState() = default;
  // The JSON document of `thing`'s shadow `shadow` ("" for the classic shadow) as
  // GetThingShadow answers it (state, metadata, version, timestamp), or nullopt when
  // there is none (or it cannot be read now).
  virtual std::optional<std::string> ThingShadow(std::string_view thing, std::string_view shadow) const = 0;
  // `thing` as AWS IoT's DescribeThing answers it (thingName, thingArn, attributes ...),
  // or nullopt when there is none.
  virtual std::optional<std::string> RegistryThing(std::string_view thing) const {
    (void)thing;
    return std::nullopt;
  }
  // decode(bytes, 'proto', bucket, key, proto_file, message_type): `bytes` as the JSON of
  // `message_type` of `proto_file` in the FileDescriptorSet at `key` of the lake's bucket
  // `bucket` (expr/proto_schema.h says how). NotFound when the set, the file or the type
  // is missing, FailedPrecondition when the set does not parse, InvalidArgument when the
  // bytes are not such a message.
  virtual Result<std::string> DecodeProto(std::string_view bucket, std::string_view key,
                                          std::string_view proto_file,
                                          std::string_view message_type,
                                          std::string_view bytes) const {
    (void)bucket, (void)key, (void)proto_file, (void)message_type, (void)bytes;
    return Unavailable("no lake to read FileDescriptorSets from");
  }
};

// traceid()'s UUID for one message, made the first time something asks for it and the
// same every time after: most rules never ask, and a random UUID costs a read of the OS's
// generator. Owned by whoever makes the Message (the rules engine, per PUBLISH) and used
// on that thread only.
class LazyTraceId {
 public:
  std::string_view Get();

 private:
  char id_[36];  // a UUID's canonical text, once made_
  bool made_ = false;
};

class Message {
 public:
  Message() = default;
  Message(std::string_view topic, std::string_view payload) : topic(topic), payload(payload) {}
  ~Message();
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  std::string_view topic;
  std::string_view payload;
  std::string_view client_id;   // "" -> clientid() yields "n/a"
  std::string_view thing;       // the thing the sender belongs to, or ""
  std::string_view principal;   // certificate thumbprint or user; "" -> Undefined
  std::string_view trace_id;    // traceid(); "" -> lazy_trace_id's, else Undefined
  LazyTraceId* lazy_trace_id = nullptr;  // made on first use when trace_id is ""
  std::string_view source_ip;   // the sender's address without port; "" -> Undefined
  const mqtt::Properties* properties = nullptr;  // MQTT 5 PUBLISH properties, or none
  int64_t received_at_ms = 0;   // timestamp(): when the broker accepted it
  int rule_hops = 0;            // broker::InboundMessage::rule_hops
  const ExternalState* external = nullptr;  // get_thing_shadow()'s shadows, or none
  // What get_thing_shadow() and get_registry_data() read for this message ("<thing>/<shadow>"
  // or "DescribeThing <thing>", and the document), so that a rule naming a shadow or thing
  // in SELECT and WHERE, or several rules, read it once and see one version of it.
  mutable std::vector<std::pair<std::string, std::optional<std::string>>> external_reads;
  // The SET variables of the statement being evaluated (expr/variables.h), or none.
  // Bound and unbound around evaluations, hence mutable.
  mutable const VariableFrame* variables = nullptr;

  // Copies everything but the topic and payload (who sent it, when, from where, with
  // which properties, and the statement's variables) from `o`.
  void CopySenderFrom(const Message& o) {
    client_id = o.client_id;
    thing = o.thing;
    principal = o.principal;
    trace_id = o.trace_id;
    lazy_trace_id = o.lazy_trace_id;
    source_ip = o.source_ip;
    properties = o.properties;
    received_at_ms = o.received_at_ms;
    rule_hops = o.rule_hops;
    external = o.external;
    variables = o.variables;
    budget_ = o.budget_;
  }

  // Charges `bytes`, about to be built, to the budget of the evaluation under way (shared
  // with the Messages CopySenderFrom made of this one). False when that would pass
  // kBuildBudgetBytes: the caller then gives Undefined without building anything, and
  // the evaluation stays over budget until ResetBuildBudget.
  bool ChargeBuild(size_t bytes) const {
    if (budget_->exceeded || bytes > kBuildBudgetBytes - budget_->used) {
      budget_->exceeded = true;
      return false;
    }
    budget_->used += bytes;
    return true;
  }
  // What is left of the budget, for a function that learns the size of its result only
  // as it builds it (it stops past this, and charges what it built).
  size_t BuildBudgetLeft() const {
    return budget_->exceeded ? 0 : kBuildBudgetBytes - budget_->used;
  }
  // Whether a function gave Undefined for want of budget since the last reset.
  bool BuildBudgetExceeded() const { return budget_->exceeded; }
  // Counts a row a nested query is about to read against kNestedQueryRowBudget, in the
  // same evaluation's budget. False once past it: the query then gives Undefined.
  bool ChargeNestedRow() const { return ++budget_->nested_rows <= kNestedQueryRowBudget; }
  // Whether a nested query gave Undefined for want of rows since the last reset.
  bool NestedRowsExceeded() const { return budget_->nested_rows > kNestedQueryRowBudget; }
  // A function that gave Undefined for running past its time (regexp_replace) says so
  // here, so that the rule fails for its error action as past the byte budget.
  void MarkTooSlow(const char* function) const { budget_->too_slow = function; }
  // The function that ran past its time since the last reset, or nullptr.
  const char* TooSlow() const { return budget_->too_slow; }
  // Starts a new evaluation's budgets (a rule's evaluation, an expression's, a template's).
  void ResetBuildBudget() const { *budget_ = BuildBudget{}; }

  // Whether the payload parsed as JSON (parses it on first call).
  bool PayloadIsJson() const;

  // clientid(): client_id, or "n/a" for a message no MQTT client sent.
  std::string_view ClientIdOrNa() const { return client_id.empty() ? "n/a" : client_id; }

  // traceid(): trace_id, else lazy_trace_id's (made now if need be), else "".
  std::string_view TraceId() const {
    if (!trace_id.empty() || lazy_trace_id == nullptr) return trace_id;
    return lazy_trace_id->Get();
  }

 private:
  friend class PayloadAccess;
  enum class ParseState : uint8_t { kNotParsed, kJson, kNotJson };
  mutable ParseState state_ = ParseState::kNotParsed;
  // Borrowed from a per-thread pool while this Message holds a parsed document.
  mutable simdjson::dom::parser* parser_ = nullptr;
  struct BuildBudget {
    size_t used = 0;
    bool exceeded = false;
    size_t nested_rows = 0;
    const char* too_slow = nullptr;
  };
  mutable BuildBudget own_budget_;
  BuildBudget* budget_ = &own_budget_;  // a nested query's rows share the outer message's
};

}  // namespace tributary::expr
