#include "devices/shadow_service.h"

#include "base/clock.h"

namespace tributary::devices {
namespace {

using nlohmann::json;

// How many times an update or delete reads again after another server wrote first.
constexpr int kAttempts = 5;

int64_t NowSeconds() { return WallMillis() / 1000; }

ShadowOutcome Refused(const ShadowError& error, const json& request) {
  return {error.code, ShadowRejection(error, request, NowSeconds())};
}

}  // namespace

ShadowService::ShadowService(ShadowStore* store, ShadowPublish publish,
                             broker::MessageInterceptor* next)
    : store_(store),
      publish_(std::move(publish)),
      next_(next),
      queue_({.threads = 1,
              .max_items = 10000,
              .max_bytes = 64ull << 20,
              .name = "shadow queue",
              .unit = "requests",
              .thread_name = "shadow"},
             [this](Request& r) {
               Handle(r);
               Release(r.topic.thing);
             }) {}

ShadowService::~ShadowService() { Stop(); }

void ShadowService::Stop() { queue_.Stop(); }

void ShadowService::OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) {
  auto topic = ParseShadowTopic(msg.topic);
  if (!topic) {
    if (next_ != nullptr) return next_->OnPublish(msg, std::move(done));
    if (done) done(broker::PublishVerdict::kAccepted);
    return;
  }
  Request r;
  r.topic = std::move(*topic);
  r.payload = std::string(msg.payload);
  r.over_mqtt = true;
  r.rule_hops = msg.rule_hops;
  const std::string thing = r.topic.thing;
  std::shared_ptr<InLine> in_line;
  std::string refusal;
  if (!Admit(thing)) {
    refusal = "thing '" + thing + "' has " + std::to_string(kMaxPerThing) +
              " requests waiting to be carried out";
  } else if (in_line = Enter(std::move(r)); !in_line) {
    Release(thing);
    refusal = "too many requests waiting for earlier ones";
  }
  if (!in_line) {  // refused as the queue refuses; the message goes on
    Refuse(*ParseShadowTopic(msg.topic), refusal, msg.rule_hops, msg.payload);
    if (next_ != nullptr) return next_->OnPublish(msg, std::move(done));
    if (done) done(broker::PublishVerdict::kAccepted);
    return;
  }
  if (!done || next_ == nullptr) {  // QoS 0, or nothing after: taken as it is
    Settle(in_line, true);
    if (next_ != nullptr) return next_->OnPublish(msg, std::move(done));
    if (done) done(broker::PublishVerdict::kAccepted);
    return;
  }
  // QoS 1 and 2: carried out only once the rules took the message too. One they refuse is
  // not acknowledged and the device sends it again, so carrying it out now would apply
  // an update twice.
  auto boxed = std::make_shared<broker::PublishDone>(std::move(done));
  next_->OnPublish(msg, [this, in_line, boxed](broker::PublishVerdict verdict) {
    Settle(in_line, verdict == broker::PublishVerdict::kAccepted);
    (*boxed)(verdict);
  });
}

std::shared_ptr<ShadowService::InLine> ShadowService::Enter(Request request) {
  auto in_line = std::make_shared<InLine>();
  in_line->shadow = request.topic.thing + '\0' + request.topic.shadow;
  in_line->request = std::move(request);
  std::lock_guard lock(line_mu_);
  if (in_line_ >= kMaxInLine) return nullptr;
  ++in_line_;
  lines_[in_line->shadow].push_back(in_line);
  return in_line;
}

void ShadowService::Settle(const std::shared_ptr<InLine>& in_line, bool take) {
  {
    std::lock_guard lock(line_mu_);
    in_line->state = take ? InLine::State::kTake : InLine::State::kDrop;
    settled_.push_back(in_line->shadow);
    if (releasing_) return;  // the thread releasing sees it before it stops
    releasing_ = true;
  }
  std::vector<Request> ready;
  std::vector<std::string> dropped;  // the things of requests the rules refused
  for (;;) {
    {
      std::lock_guard lock(line_mu_);
      for (const std::string& key : settled_) {
        auto line = lines_.find(key);
        if (line == lines_.end()) continue;
        auto& queue = line->second;
        while (!queue.empty() && queue.front()->state != InLine::State::kWaiting) {
          if (queue.front()->state == InLine::State::kTake) {
            ready.push_back(std::move(queue.front()->request));
          } else {
            dropped.push_back(std::move(queue.front()->request.topic.thing));
          }
          queue.pop_front();
          --in_line_;
        }
        if (queue.empty()) lines_.erase(line);
      }
      settled_.clear();
      if (ready.empty() && dropped.empty()) {
        releasing_ = false;
        return;
      }
    }
    for (Request& r : ready) Push(std::move(r));  // outside the lock: a refusal publishes
    ready.clear();
    for (const std::string& thing : dropped) Release(thing);
    dropped.clear();
  }
}

void ShadowService::Execute(const std::string& thing, const std::string& shadow, const std::string& operation,
                            std::string payload, std::function<void(ShadowOutcome)> done) {
  Request r;
  r.topic = {thing, shadow, operation};
  r.payload = std::move(payload);
  r.done = std::move(done);
  if (!Admit(thing)) {
    r.done(Refused({429, "Too many requests: thing '" + thing + "' has " +
                             std::to_string(kMaxPerThing) + " requests waiting to be carried out"},
                   json::parse(r.payload, nullptr, false)));
    return;
  }
  Push(std::move(r));
}

bool ShadowService::Admit(const std::string& thing) {
  std::lock_guard lock(things_mu_);
  size_t& n = per_thing_[thing];
  if (n >= kMaxPerThing) return false;
  ++n;
  return true;
}

void ShadowService::Release(const std::string& thing) {
  std::lock_guard lock(things_mu_);
  auto it = per_thing_.find(thing);
  if (it != per_thing_.end() && --it->second == 0) per_thing_.erase(it);
}

void ShadowService::Push(Request r) {
  const uint64_t bytes = r.payload.size();
  if (Status refused = queue_.Push(r, bytes); !refused.ok()) {
    if (r.over_mqtt) {
      Refuse(r.topic, refused.message(), r.rule_hops, r.payload);
    } else if (r.done) {
      r.done(Refused({429, "Too many requests: " + refused.message()},
                     json::parse(r.payload, nullptr, false)));
    }
    Release(r.topic.thing);
  }
}

void ShadowService::Refuse(const ShadowTopic& topic, const std::string& why, int rule_hops,
                           std::string_view payload) {
  ShadowOutcome busy =
      Refused({429, "Too many requests: " + why}, json::parse(payload, nullptr, false));
  publish_(ShadowTopicPrefix(topic.thing, topic.shadow) + topic.operation + "/rejected",
           busy.body.dump(), rule_hops);
}

void ShadowService::Handle(Request& r) {
  json request;
  ShadowOutcome outcome;
  if (auto error = ParseShadowRequest(r.payload, &request)) {
    outcome = Refused(*error, json::object());
  } else if (Status names = ValidateShadowNames(r.topic.thing, r.topic.shadow); !names.ok()) {
    outcome = Refused({400, names.message()}, request);
  } else {
    outcome = Run(r, request);
  }
  const std::string prefix = ShadowTopicPrefix(r.topic.thing, r.topic.shadow) + r.topic.operation;
  if (r.over_mqtt) {
    // Accepted updates and deletes were published by Run; a get's answer and refusals go
    // to the requester's topics here.
    if (outcome.status != 200) {
      publish_(prefix + "/rejected", outcome.body.dump(), r.rule_hops);
    } else if (r.topic.operation == "get") {
      publish_(prefix + "/accepted", outcome.body.dump(), r.rule_hops);
    }
  }
  if (r.done) r.done(std::move(outcome));
}

ShadowOutcome ShadowService::Run(const Request& r, const json& request) {
  const std::string& thing = r.topic.thing;
  const std::string& shadow = r.topic.shadow;
  const std::string prefix = ShadowTopicPrefix(thing, shadow);
  const std::string shown = shadow.empty() ? thing : shadow;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto stored = store_->Get(thing, shadow);
    if (!stored.ok()) return Refused({500, "Internal service failure: " + stored.status().message()}, request);
    const int64_t now = NowSeconds();
    if (r.topic.operation != "update" && !stored->exists) {
      return Refused({404, "No shadow exists with name: '" + shown + "'"}, request);
    }
    if (r.topic.operation == "get") return {200, ShadowGetAnswer(*stored, request, now)};
    if (r.topic.operation == "delete") {
      Status st = store_->Delete(thing, shadow, stored->version);
      if (st.code() == ErrorCode::kFailedPrecondition) continue;  // changed meanwhile: read again
      if (!st.ok()) return Refused({500, "Internal service failure: " + st.message()}, request);
      json answer = ShadowDeleteAnswer(*stored, request, now);
      publish_(prefix + "delete/accepted", answer.dump(), r.rule_hops);
      return {200, answer};
    }
    auto applied = ApplyShadowUpdate(*stored, request, now);
    if (auto* error = std::get_if<ShadowError>(&applied)) return Refused(*error, request);
    auto& update = std::get<ShadowUpdate>(applied);
    Status st = store_->Put(thing, shadow, update.current, stored->version, stored->exists);
    if (st.code() == ErrorCode::kFailedPrecondition && !request.contains("version")) continue;
    if (st.code() == ErrorCode::kFailedPrecondition) {
      return Refused({409, "Version conflict: the shadow changed while it was updated"}, request);
    }
    if (!st.ok()) return Refused({500, "Internal service failure: " + st.message()}, request);
    publish_(prefix + "update/accepted", update.accepted.dump(), r.rule_hops);
    publish_(prefix + "update/documents", update.documents.dump(), r.rule_hops);
    if (update.delta) publish_(prefix + "update/delta", update.delta->dump(), r.rule_hops);
    return {200, update.accepted};
  }
  return Refused({409, "Version conflict: the shadow kept changing while it was written"}, request);
}

}  // namespace tributary::devices
