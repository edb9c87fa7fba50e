// ShadowService: AWS IoT's Device Shadow service on the broker. It sits in the broker's
// interceptor chain: a PUBLISH to $aws/things/<thing>/shadow/[name/<shadow>/]get|update|
// delete is a request, carried out in order on the service's worker thread and answered
// on .../accepted or .../rejected, an accepted update also on .../update/documents and,
// when it asks for values the device has not reported, .../update/delta (shadow_document.h
// has the documents' rules). Every message, requests included, goes on to the next
// interceptor (the rules engine), so rules see shadow traffic as AWS IoT's do; a QoS 1 or 2
// request is carried out once the rules have taken it (one they refuse is not
// acknowledged, and the device's retry is the one carried out). Requests over MQTT to one
// shadow are carried out in the order they arrived: one waiting for the rules' verdict
// holds back those that came after it (a QoS 0 update sent after a QoS 1 one is applied
// after it, never before). The HTTP
// API (/things/<thing>/shadow) calls Execute, which answers through a callback and
// publishes what an update or delete publishes.
//
// Thread-safety: OnPublish and Execute may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bounded_work_queue.h"
#include "broker/hooks.h"
#include "devices/shadow_document.h"
#include "devices/shadow_store.h"

namespace tributary::devices {

// Publishes an answer (QoS 1) to the broker's subscribers. `rule_hops`: the request's
// (broker::InboundMessage::rule_hops), which its answers carry on to the rules.
using ShadowPublish =
    std::function<void(const std::string& topic, std::string payload, int rule_hops)>;

// An operation's outcome: 200 with the answer document, or an error code with
// {"code", "message", ...}.
struct ShadowOutcome {
  int status = 200;
  nlohmann::json body;
};

class ShadowService : public broker::MessageInterceptor {
 public:
  // `store` and `next` must outlive the service; `next` may be null.
  ShadowService(ShadowStore* store, ShadowPublish publish, broker::MessageInterceptor* next);
  ~ShadowService() override;

  void OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) override;

  // Carries out `operation` ("get", "update", "delete") on a shadow with `payload` (the
  // request document) and calls `done` with the outcome, from the worker thread. Updates
  // and deletes publish as they do over MQTT; get and refusals are the caller's to answer.
  void Execute(const std::string& thing, const std::string& shadow, const std::string& operation,
               std::string payload, std::function<void(ShadowOutcome)> done);

  // Lets queued requests finish, then ends the worker.
  void Stop();

 private:
  struct Request {
    ShadowTopic topic;
    std::string payload;
    bool over_mqtt = false;
    int rule_hops = 0;
    std::function<void(ShadowOutcome)> done;
  };
  // A request over MQTT in its shadow's line, until it may be carried out or dropped.
  struct InLine {
    std::string shadow;  // the line's key: thing, NUL, shadow name
    Request request;
    enum class State { kWaiting, kTake, kDrop } state = State::kWaiting;
  };
  void Handle(Request& r);
  ShadowOutcome Run(const Request& r, const nlohmann::json& request);
  void Push(Request r);
  // Answers a request over MQTT with 429 on its .../rejected topic (with the clientToken
  // of `payload`, when it has one).
  void Refuse(const ShadowTopic& topic, const std::string& why, int rule_hops,
              std::string_view payload);
  // Counts a request of `thing` from its arrival until it is carried out, dropped or
  // refused (Release): false, counting nothing, when the thing has kMaxPerThing already.
  bool Admit(const std::string& thing);
  void Release(const std::string& thing);
  // Puts `request` at the end of its shadow's line.
  std::shared_ptr<InLine> Enter(Request request);
  // Says whether `in_line` is carried out (`take`) or dropped, then pushes, in order, the
  // settled requests at the heads of the lines. One thread at a time pushes; one that
  // finds another at it leaves its request to that one.
  void Settle(const std::shared_ptr<InLine>& in_line, bool take);

  ShadowStore* store_;
  ShadowPublish publish_;
  broker::MessageInterceptor* next_;
  std::mutex line_mu_;
  std::unordered_map<std::string, std::deque<std::shared_ptr<InLine>>> lines_;  // by shadow
  std::vector<std::string> settled_;  // shadows whose line has a newly settled request
  bool releasing_ = false;
  // Requests in the lines, at most kMaxInLine: past it a request is refused (429), as past
  // the work queue's bound, rather than held without limit behind a slow verdict.
  static constexpr size_t kMaxInLine = 10000;
  size_t in_line_ = 0;
  // A thing's requests admitted and not yet carried out, at most kMaxPerThing: past it
  // that thing's are refused (429), so that a device flooding its own shadow cannot fill
  // the lines and the queue every other thing's requests go through.
  static constexpr size_t kMaxPerThing = 100;
  std::mutex things_mu_;
  std::unordered_map<std::string, size_t> per_thing_;  // things_mu_
  BoundedWorkQueue<Request> queue_;
};

}  // namespace tributary::devices
