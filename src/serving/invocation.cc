// EndpointManager::Invoke: picks a variant of the routing snapshot by weight (or the
// pinned one), hands the request to its fleet and records the outcome. A pending
// (new) variant's 5xx is answered again by a live variant while one exists: a bad
// rollout costs the client latency, not an error.
#include <random>

#include "base/clock.h"
#include "serving/endpoint_internal.h"

namespace tributary::serving {

namespace {

// Retry-After of the refusals that end by themselves: a full queue drains in about a
// second; an endpoint being created or updated takes a model load and a health check.
constexpr int kRetryOverloadedS = 1;
constexpr int kRetryStartingS = 5;

InvokeAnswer Error(int status, const std::string& code, const std::string& message) {
  InvokeAnswer a;
  a.status = status;
  a.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
  return a;
}

double Uniform() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

// Weighted choice; null when every weight is 0.
template <typename V>
std::shared_ptr<V> Pick(const std::vector<std::shared_ptr<V>>& side) {
  double total = 0;
  for (const auto& v : side) total += v->weight.load();
  if (total <= 0) return nullptr;
  double x = Uniform() * total;
  for (const auto& v : side) {
    x -= v->weight.load();
    if (x < 0) return v;
  }
  return side.back();
}

template <typename V>
bool Contains(const std::vector<std::shared_ptr<V>>& side, const V* v) {
  for (const auto& s : side) {
    if (s.get() == v) return true;
  }
  return false;
}

}  // namespace

void EndpointManager::Invoke(InvokeRequest request, std::function<void(InvokeAnswer)> done) {
  int64_t start = SteadyNanos();
  if (request.invocation.body.size() > kMaxInvocationBodyBytes) {
    return done(Error(413, "payload_too_large",
                      "the request body is " + std::to_string(request.invocation.body.size()) +
                          " bytes, more than an invocation may carry (" +
                          std::to_string(kMaxInvocationBodyBytes) +
                          ", SageMaker's 6 MB); split the instances over several requests"));
  }
  auto ep = Find(request.endpoint);
  if (!ep) return done(Error(404, "not_found", "endpoint '" + request.endpoint + "' does not exist"));
  std::shared_ptr<const Routing> routing = ep->Current();
  if (!routing) {
    std::string status;
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      status = ep->record.status;
    }
    InvokeAnswer refused =
        Error(503, "unavailable", "endpoint '" + request.endpoint + "' is " + status + ": not serving");
    // Creating or Updating ends by itself (model load, health check); Failed does not.
    if (status == "Creating" || status == "Updating") refused.retry_after_s = kRetryStartingS;
    return done(std::move(refused));
  }
  std::shared_ptr<LiveVariant> variant;
  if (!request.target_variant.empty()) {
    for (const auto* side : {&routing->live, &routing->pending}) {
      for (const auto& v : *side) {
        if (!variant && v->config.name == request.target_variant) variant = v;
      }
    }
    if (!variant) {
      std::string names;
      for (const auto& v : routing->live) names += (names.empty() ? "" : ", ") + v->config.name;
      return done(Error(400, "invalid_argument",
                        "endpoint '" + request.endpoint + "' has no variant '" + request.target_variant +
                            "' (X-Amzn-SageMaker-Target-Variant; its variants: " + names + ")"));
    }
  } else {
    bool pending = !routing->pending.empty() && Uniform() < routing->pending_share;
    variant = Pick(pending ? routing->pending : routing->live);
    if (!variant) variant = Pick(pending ? routing->live : routing->pending);
    if (!variant) {
      return done(Error(503, "unavailable", "no variant of endpoint '" + request.endpoint + "' has a weight above 0"));
    }
  }
  if (variant->fleet && !request.target_model.empty()) {
    return done(Error(400, "invalid_argument",
                      "endpoint '" + request.endpoint + "' is not a multi-model endpoint: drop the "
                      "X-Amzn-SageMaker-Target-Model header"));
  }
  bool may_retry = request.target_variant.empty();
  Dispatch(std::move(routing), std::move(variant), std::make_shared<const InvokeRequest>(std::move(request)), start,
           may_retry, std::move(done));
}

void EndpointManager::Dispatch(std::shared_ptr<const Routing> routing, std::shared_ptr<LiveVariant> variant,
                               std::shared_ptr<const InvokeRequest> request, int64_t start_ns, bool may_retry,
                               std::function<void(InvokeAnswer)> done) {
  auto on_result = [this, routing, variant, request, start_ns, may_retry, done](InvocationResult r) {
    double total_ms = static_cast<double>(SteadyNanos() - start_ns) / 1e6;
    variant->metrics->Record(r.status, r.model_latency_ms, std::max(0.0, total_ms - r.model_latency_ms));
    variant->window.Record(r.status, r.model_latency_ms);
    if (r.status >= 500 && may_retry && Contains(routing->pending, variant.get())) {
      if (auto fallback = Pick(routing->live)) {
        return Dispatch(routing, fallback, request, start_ns, false, done);
      }
    }
    InvokeAnswer a;
    a.status = r.status;
    a.content_type = r.content_type;
    a.body = std::move(r.body);
    a.variant = variant->config.name;
    if (variant->capture && a.status >= 200 && a.status < 300) Capture(*variant, *request, a);
    done(std::move(a));
  };
  if (variant->cache) {
    variant->cache->Invoke(request->target_model, request->invocation, std::move(on_result));
    return;
  }
  if (variant->fleet->Submit(request->invocation, on_result)) return;
  // Refused: the queue is full, or the fleet is stopping because the routing moved on
  // after this request picked it. In the second case the current routing serves it.
  if (may_retry) {
    auto ep = Find(request->endpoint);
    auto now = ep ? ep->Current() : nullptr;
    if (now && now != routing) {
      InvokeRequest again = *request;
      return Invoke(std::move(again), std::move(done));
    }
  }
  // A refusal is an invocation the variant failed: it shows in its 5xx count (and in a
  // deployment's alarm window), so an endpoint refusing traffic does not look healthy.
  double total_ms = static_cast<double>(SteadyNanos() - start_ns) / 1e6;
  variant->metrics->Record(503, 0, total_ms);
  variant->window.Record(503, 0);
  InvokeAnswer refused = Error(
      503, "overloaded",
      "variant '" + variant->config.name + "' of endpoint '" + request->endpoint + "' is overloaded: " +
          std::to_string(variant->fleet->queued()) + " requests queued for " +
          std::to_string(variant->config.instances) + " instances; retry later");
  refused.retry_after_s = kRetryOverloadedS;
  done(std::move(refused));
}

void EndpointManager::Capture(const LiveVariant& variant, const InvokeRequest& request, const InvokeAnswer& answer) {
  const DataCaptureConfig& c = *variant.capture;
  if (!capture_ || !c.enabled || Uniform() * 100 >= c.sampling_percentage) return;
  CapturedEvent e;
  e.endpoint = request.endpoint;
  e.variant = variant.config.name;
  e.time_ms = WallMillis();
  e.inference_id = request.inference_id;
  if (c.capture_input) {
    e.input_content_type = request.invocation.content_type;
    e.input = request.invocation.body;
  }
  if (c.capture_output) {
    e.output_content_type = answer.content_type;
    e.output = answer.body;
  }
  if (capture_->Add(variant.capture, std::move(e))) variant.metrics->captured->Add();
}

}  // namespace tributary::serving
