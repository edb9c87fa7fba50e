#include "monitor/monitors.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <optional>
#include <thread>

#include "base/clock.h"
#include "base/files.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "monitor/backtest.h"
#include "monitor/drift.h"
#include "monitor/monitor_spec.h"
#include "monitor/retraining.h"

namespace tributary::monitor {

namespace {

using nlohmann::json;

constexpr size_t kHistoryKept = 20;

std::string Stamp(int64_t ms) {
  std::string iso = FormatIso8601Millis(ms);  // 2026-12-01T23:05:01.123Z
  std::string out;
  for (char c : iso.substr(0, 19)) {
    if (c == 'T') {
      out += '-';
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  return out;  // 20261201-230501
}

// The lines of a local file, blank ones left out.
Result<std::vector<std::string>> Lines(const std::string& path) {
  TRY_ASSIGN(std::string text, ReadFile(path));
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

}  // namespace

// Per monitor name, registered once and kept (the registry has no removal): a monitor
// created again under the same name counts on.
struct Monitors::MonitorMetrics {
  std::shared_ptr<std::atomic<double>> value = std::make_shared<std::atomic<double>>(std::nan(""));
  std::shared_ptr<std::atomic<double>> baseline = std::make_shared<std::atomic<double>>(std::nan(""));
  Counter* ok = nullptr;
  Counter* breach = nullptr;
  Counter* failed = nullptr;
  Counter* deployed = nullptr;
  Counter* rolled_back = nullptr;
  Counter* retrain_failed = nullptr;
};

const Monitors::MonitorMetrics* Monitors::MetricsFor(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<MonitorMetrics>& slot = metrics_[name];
  if (slot) return slot.get();
  slot = std::make_unique<MonitorMetrics>();
  MonitorMetrics& m = *slot;
  MetricsRegistry* registry = options_.metrics;
  auto value = m.value;
  auto baseline = m.baseline;
  registry->NewCallbackGauge("tributary_monitor_value", "The last completed evaluation's value of the monitor's metric",
                             {{"monitor", name}}, [value] { return value->load(); });
  registry->NewCallbackGauge("tributary_monitor_baseline", "The monitor's baseline value of its metric",
                             {{"monitor", name}}, [baseline] { return baseline->load(); });
  const char* evaluations = "tributary_monitor_evaluations_total";
  const char* eval_help = "Evaluations by outcome (ok: within the threshold, breach: above it, failed)";
  m.ok = registry->NewCounter(evaluations, eval_help, {{"monitor", name}, {"outcome", "ok"}});
  m.breach = registry->NewCounter(evaluations, eval_help, {{"monitor", name}, {"outcome", "breach"}});
  m.failed = registry->NewCounter(evaluations, eval_help, {{"monitor", name}, {"outcome", "failed"}});
  const char* retrainings = "tributary_monitor_retrainings_total";
  const char* retrain_help = "Retrainings by outcome";
  m.deployed = registry->NewCounter(retrainings, retrain_help, {{"monitor", name}, {"outcome", "deployed"}});
  m.rolled_back = registry->NewCounter(retrainings, retrain_help, {{"monitor", name}, {"outcome", "rolled_back"}});
  m.retrain_failed = registry->NewCounter(retrainings, retrain_help, {{"monitor", name}, {"outcome", "failed"}});
  return &m;
}

struct Monitors::Monitor {
  MonitorSpec spec;
  int64_t created_ms = 0;
  const MonitorMetrics* metrics = nullptr;

  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::string status = "Scheduled";  // Scheduled | Evaluating | Retraining
  std::optional<double> baseline;
  std::string baseline_source;
  int breaches = 0;
  int64_t requested = 0;  // evaluations asked for on demand
  int64_t completed = 0;  // evaluations ended (either way)
  int64_t pending = 0;    // asked for, not started
  int64_t next_ms = 0;    // the next scheduled evaluation (0: on demand only)
  std::deque<json> evaluations;
  std::deque<RetrainingRecord> retrainings;
  std::thread thread;

  json StateJson() const {
    json retrained = json::array();
    for (const auto& r : retrainings) retrained.push_back(r.ToJson());
    json j = {{"BaselineSource", baseline_source}, {"Breaches", breaches},
              {"EvaluationsRequested", requested}, {"EvaluationsCompleted", completed},
              {"Evaluations", json(evaluations)}, {"Retrainings", retrained}};
    j["BaselineValue"] = baseline ? json(*baseline) : json(nullptr);
    return j;
  }

  // Returns true when it changed what was stored (a retraining the stop interrupted).
  bool LoadState(const json& s) {
    if (auto it = s.find("BaselineValue"); it != s.end() && it->is_number()) baseline = it->get<double>();
    baseline_source = s.value("BaselineSource", "");
    breaches = s.value("Breaches", 0);
    requested = s.value("EvaluationsRequested", int64_t{0});
    completed = s.value("EvaluationsCompleted", int64_t{0});
    if (auto it = s.find("Evaluations"); it != s.end() && it->is_array()) {
      for (const auto& e : *it) evaluations.push_back(e);
    }
    if (auto it = s.find("Retrainings"); it != s.end() && it->is_array()) {
      for (const auto& r : *it) retrainings.push_back(RetrainingRecord::FromJson(r));
    }
    bool changed = false;
    for (auto& r : retrainings) {
      if (!r.Ended()) {
        r.status = "Failed";
        r.failure_reason = "the server stopped during the retraining";
        r.end_ms = WallMillis();
        changed = true;
      }
    }
    return changed;
  }
};

Result<std::unique_ptr<Monitors>> Monitors::Open(metadata::Database* db, MonitorServices* services,
                                                 MonitorOptions options) {
  if (options.scratch_dir.empty() || options.metrics == nullptr) {
    return InvalidArgument("monitors need a scratch directory and a metrics registry");
  }
  // Evaluations prepare into it with `forecast prepare`, which takes only absolute
  // directories: a server started with a relative --data-dir gives a relative one.
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(options.scratch_dir, ec).string();
  if (ec) return InvalidArgument("monitor scratch directory '" + options.scratch_dir + "': " + ec.message());
  options.scratch_dir = absolute;
  TRY_ASSIGN(auto store, MonitorStore::Open(db));
  std::unique_ptr<Monitors> monitors(new Monitors(services, std::move(options), std::move(store)));
  TRY_ASSIGN(auto stored, monitors->store_->List());
  for (auto& s : stored) {
    auto spec = MonitorSpec::FromJson(s.spec);
    if (!spec.ok()) {
      Logger("monitor")->warn("monitor not started: its stored definition no longer parses monitor={} error=\"{}\"",
                              s.name, spec.status().message());
      continue;
    }
    auto m = std::make_shared<Monitor>();
    m->spec = std::move(*spec);
    m->created_ms = s.created_ms;
    m->metrics = monitors->MetricsFor(m->spec.name);
    bool interrupted = m->LoadState(s.state);
    if (m->baseline) m->metrics->baseline->store(*m->baseline);
    if (interrupted) monitors->SaveLocked(*m);  // its retraining is now Failed
    {
      std::lock_guard<std::mutex> lock(monitors->mu_);  // those started may look it up
      monitors->monitors_[m->spec.name] = m;
    }
    if (Status started = monitors->Start(m); !started.ok()) {
      // Listed and deletable; it runs from the server's next start.
      Logger("monitor")->error("monitor not running monitor={} error=\"{}\"", s.name,
                               started.message());
    }
  }
  return monitors;
}

Monitors::Monitors(MonitorServices* services, MonitorOptions options, std::unique_ptr<MonitorStore> store)
    : services_(services), options_(std::move(options)), store_(std::move(store)) {}

Monitors::~Monitors() { Shutdown(); }

namespace {

// A training job's hyperparameter prediction_length (SageMaker's are strings), if any.
std::optional<int64_t> JobPredictionLength(const json& description) {
  auto hp = description.find("HyperParameters");
  if (hp == description.end() || !hp->is_object()) return std::nullopt;
  auto it = hp->find("prediction_length");
  if (it == hp->end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) return std::nullopt;
  const std::string text = it->get<std::string>();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// The monitor scores forecasts of Data.prediction_length periods; a model trained for
// another length answers with that many values, and every evaluation would fail.
Status SamePredictionLength(const MonitorSpec& spec, const json& job, const std::string& role) {
  std::optional<int64_t> trained = JobPredictionLength(job);
  if (!trained || *trained == spec.prepare.prediction_length) return Status::Ok();
  const std::string name = job.value("TrainingJobName", "?");
  const std::string asked = std::to_string(spec.prepare.prediction_length);
  const std::string trained_for = std::to_string(*trained);
  return InvalidArgument("Data.prediction_length: " + asked + " but the " + role +
                         " training job '" + name + "' has prediction_length " + trained_for +
                         ": its model forecasts " + trained_for +
                         " periods, so every evaluation would fail; give " + trained_for +
                         ", or a training job trained for " + asked);
}

}  // namespace

Status Monitors::CheckReferences(const MonitorSpec& spec, double* baseline, std::string* source) {
  if (!services_->DescribeEndpoint(spec.endpoint).ok()) {
    return InvalidArgument("EndpointName: endpoint '" + spec.endpoint + "' does not exist (see 'tributary endpoint list')");
  }
  if (spec.baseline.kind == BaselineSpec::Kind::kValue) {
    *baseline = spec.baseline.value;
    *source = "Value";
  } else if (spec.baseline.kind == BaselineSpec::Kind::kTrainingJob) {
    const std::string& job = spec.baseline.training_job;
    auto d = services_->DescribeTrainingJob(job);
    if (!d.ok()) return InvalidArgument("Baseline.TrainingJobName: " + d.status().message());
    std::optional<double> v = FinalMetric(*d, spec.metric);
    if (!v || !(*v > 0)) {
      return InvalidArgument("Baseline.TrainingJobName: training job '" + job + "' (" +
                             d->value("TrainingJobStatus", "?") + ") has no " + spec.metric +
                             " above 0 in its FinalMetricDataList (it needs a completed run with a test channel)");
    }
    TRY(SamePredictionLength(spec, *d, "baseline"));
    *baseline = *v;
    *source = "TrainingJob " + job;
  }
  if (spec.retraining) {
    auto d = services_->DescribeTrainingJob(spec.retraining->template_job);
    if (!d.ok()) {
      return InvalidArgument("Retraining.TrainingJobTemplate: training job '" +
                             spec.retraining->template_job + "' does not exist");
    }
    TRY(SamePredictionLength(spec, *d, "retraining template"));
  }
  return Status::Ok();
}

Result<json> Monitors::Create(const json& body) {
  TRY_ASSIGN(MonitorSpec spec, MonitorSpec::FromJson(body));
  double baseline = 0;
  std::string source;
  TRY(CheckReferences(spec, &baseline, &source));
  auto m = std::make_shared<Monitor>();
  m->spec = std::move(spec);
  m->created_ms = WallMillis();
  m->metrics = MetricsFor(m->spec.name);
  if (!source.empty()) {
    m->baseline = baseline;
    m->baseline_source = source;
    m->metrics->baseline->store(baseline);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return Unavailable("the server is stopping");
    if (monitors_.count(m->spec.name)) return AlreadyExists("monitor '" + m->spec.name + "' already exists");
    TRY(store_->Insert({m->spec.name, m->created_ms, m->spec.ToJson(), m->StateJson()}));
    monitors_[m->spec.name] = m;
  }
  if (Status started = Start(m); !started.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    monitors_.erase(m->spec.name);
    (void)store_->Delete(m->spec.name);
    return started.WithContext("monitor '" + m->spec.name + "' not created");
  }
  Logger("monitor")->info("monitor created monitor={} endpoint={}", m->spec.name, m->spec.endpoint);
  return Describe(m->spec.name);
}

std::shared_ptr<Monitors::Monitor> Monitors::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = monitors_.find(name);
  return it == monitors_.end() ? nullptr : it->second;
}

Result<json> Monitors::Describe(const std::string& name) const {
  auto m = Find(name);
  if (!m) return NotFound("monitor '" + name + "' does not exist (see 'tributary monitor list')");
  std::lock_guard<std::mutex> lock(m->mu);
  json j = m->spec.ToJson();
  j.update(m->StateJson());
  j["MonitorStatus"] = m->status;
  j["CreationTime"] = FormatIso8601Millis(m->created_ms);
  if (m->next_ms != 0) j["NextEvaluationTime"] = FormatIso8601Millis(m->next_ms);
  if (!m->evaluations.empty()) j["LastEvaluation"] = m->evaluations.back();
  return j;
}

json Monitors::List() const {
  std::vector<std::shared_ptr<Monitor>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, m] : monitors_) all.push_back(m);
  }
  json out = json::array();
  for (const auto& m : all) {
    std::lock_guard<std::mutex> lock(m->mu);
    json s = {{"MonitorName", m->spec.name},         {"EndpointName", m->spec.endpoint},
              {"MonitorStatus", m->status},           {"Metric", m->spec.metric},
              {"DriftThreshold", m->spec.threshold}, {"ConsecutiveBreaches", m->spec.consecutive_breaches},
              {"Breaches", m->breaches}};
    s["Baseline"] = m->baseline ? json(*m->baseline) : json(nullptr);
    if (!m->evaluations.empty()) {
      const json& e = m->evaluations.back();
      s["LastEvaluationTime"] = e.value("EvaluationTime", "");
      s["LastEvaluationStatus"] = e.value("Status", "");
      if (e.contains("Value")) s["LastValue"] = e["Value"];
      if (e.contains("Ratio")) s["LastRatio"] = e["Ratio"];
      s["Drift"] = e.value("Drift", false);
    }
    out.push_back(s);
  }
  return out;
}

Status Monitors::Delete(const std::string& name) {
  std::shared_ptr<Monitor> m;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = monitors_.find(name);
    if (it == monitors_.end()) return NotFound("monitor '" + name + "' does not exist (see 'tributary monitor list')");
    m = it->second;
    monitors_.erase(it);
    TRY(store_->Delete(name));
  }
  {
    std::lock_guard<std::mutex> lock(m->mu);
    m->stop = true;
  }
  m->cv.notify_all();
  if (m->thread.joinable()) m->thread.join();
  Logger("monitor")->info("monitor deleted monitor={}", name);
  return Status::Ok();
}

Result<json> Monitors::Evaluate(const std::string& name) {
  auto m = Find(name);
  if (!m) return NotFound("monitor '" + name + "' does not exist (see 'tributary monitor list')");
  json answer;
  {
    std::lock_guard<std::mutex> lock(m->mu);
    if (m->status == "Retraining") {
      return FailedPrecondition("monitor '" + name + "' is retraining; it evaluates again when the new model is in service");
    }
    ++m->requested;
    ++m->pending;
    // Asked-for evaluations run before a scheduled one that is due, in order: this one
    // comes after the one running (if any) and those already waiting.
    answer = {{"MonitorName", name},
              {"EvaluationsRequested", m->requested},
              {"EvaluationNumber", m->completed + (m->status == "Evaluating" ? 1 : 0) + m->pending}};
  }
  m->cv.notify_all();
  return answer;
}

void Monitors::Shutdown() {
  std::map<std::string, std::shared_ptr<Monitor>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    all = monitors_;
  }
  for (auto& [name, m] : all) {
    {
      std::lock_guard<std::mutex> lock(m->mu);
      m->stop = true;
    }
    m->cv.notify_all();
  }
  for (auto& [name, m] : all) {
    if (m->thread.joinable()) m->thread.join();
  }
}

Status Monitors::Start(const std::shared_ptr<Monitor>& m) {
  {
    std::lock_guard<std::mutex> lock(m->mu);
    if (m->spec.interval_s > 0) m->next_ms = WallMillis() + m->spec.interval_s * options_.ms_per_schedule_second;
  }
  TRY_ASSIGN(m->thread, StartThread("monitor", [this, m] { Loop(*m); }));
  return Status::Ok();
}

void Monitors::Loop(Monitor& m) {
  std::unique_lock<std::mutex> lock(m.mu);
  for (;;) {
    auto due = [&] { return m.stop || m.pending > 0 || (m.next_ms != 0 && WallMillis() >= m.next_ms); };
    if (m.next_ms != 0) {
      m.cv.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, m.next_ms - WallMillis())), due);
    } else {
      m.cv.wait(lock, due);
    }
    if (m.stop) return;
    if (!due()) continue;
    if (m.pending > 0) {
      --m.pending;
    } else {
      m.next_ms = WallMillis() + m.spec.interval_s * options_.ms_per_schedule_second;
    }
    m.status = "Evaluating";
    lock.unlock();
    EvaluateOnce(m);  // ends "Evaluating" as it counts the evaluation complete
    lock.lock();
  }
}

void Monitors::EvaluateOnce(Monitor& m) {
  const MonitorSpec& spec = m.spec;  // immutable after creation
  const int64_t started = WallMillis();
  const int64_t t0 = SteadyNanos();
  json e = {{"EvaluationTime", FormatIso8601Millis(started)}};
  auto cancelled = [&m] {
    std::lock_guard<std::mutex> lock(m.mu);
    return m.stop;
  };

  // The newest data, prepared into this monitor's scratch directory.
  forecast::PrepareRequest request = spec.prepare;
  request.out = options_.scratch_dir + "/" + spec.name;
  request.overwrite = true;
  Result<BacktestResult> result = [&]() -> Result<BacktestResult> {
    TRY_ASSIGN(forecast::PrepareSummary summary, services_->Prepare(request));
    e["ForecastStart"] = summary.split;
    e["DataEnd"] = summary.end;
    e["Objects"] = summary.objects;
    e["Rows"] = summary.rows;
    // What the preparation left out, so a lake gone wrong shows here rather than as a
    // quietly better or worse metric.
    if (summary.objects_skipped > 0) {
      e["ObjectsSkipped"] = summary.objects_skipped;
      e["SkippedObjects"] = summary.skipped_objects;
      Logger("monitor")->warn("evaluation skipped objects monitor={} count={} first=\"{}\"",
                              spec.name, summary.objects_skipped, summary.skipped_objects.front());
    }
    if (summary.bad_records > 0) e["BadRecords"] = summary.bad_records;
    TRY_ASSIGN(std::vector<std::string> lines, Lines(request.out + "/test/test.json"));
    std::vector<std::string> groups;
    if (auto text = ReadFile(request.out + "/series.json"); text.ok()) {
      json s = json::parse(*text, nullptr, false);
      if (s.is_object() && s.contains("series") && s["series"].is_array()) {
        for (const auto& one : s["series"]) groups.push_back(one.is_object() ? one.value("group", "") : "");
      }
    }
    BacktestOptions o;
    o.prediction_length = spec.prepare.prediction_length;
    o.metric = spec.metric;
    o.quantiles = spec.quantiles;
    o.quantile_values = spec.quantile_values;
    o.num_samples = spec.num_samples;
    o.cancelled = cancelled;
    return RunBacktest(lines, groups, o, [&](const std::string& body) { return services_->Invoke(spec.endpoint, body); });
  }();
  e["DurationMs"] = (SteadyNanos() - t0) / 1000000;

  std::unique_lock<std::mutex> lock(m.mu);
  bool drift = false;
  double value = 0;
  if (!result.ok()) {
    e["Status"] = "Failed";
    e["FailureReason"] = result.status().message();
    m.metrics->failed->Add();
    Logger("monitor")->warn("evaluation failed monitor={} error=\"{}\"", spec.name, result.status().message());
  } else {
    value = result->value;
    e["Status"] = "Completed";
    e["Metrics"] = result->metrics;
    e["Value"] = value;
    e["Series"] = result->series;
    if (result->skipped > 0) e["SkippedSeries"] = result->skipped;
    json worst = json::array();
    for (const auto& w : result->worst) worst.push_back({{"Group", w.group}, {"Value", w.value}});
    e["WorstSeries"] = worst;
    if (!m.baseline) {
      m.baseline = value;
      m.baseline_source = "FirstEvaluation " + e["EvaluationTime"].get<std::string>();
      m.metrics->baseline->store(value);
    }
    Verdict v = Judge(value, *m.baseline, spec.threshold, spec.consecutive_breaches, &m.breaches);
    e["Baseline"] = *m.baseline;
    e["Ratio"] = v.ratio;
    e["Breach"] = v.breach;
    e["Drift"] = v.drift;
    drift = v.drift;
    m.metrics->value->store(value);
    (v.breach ? m.metrics->breach : m.metrics->ok)->Add();
    Logger("monitor")->info("evaluated monitor={} metric={} value={:.6g} baseline={:.6g} drift={}", spec.name,
                            spec.metric, value, *m.baseline, v.drift ? "yes" : "no");
  }
  e["EvaluationNumber"] = ++m.completed;
  json event = e;
  m.evaluations.push_back(std::move(e));
  while (m.evaluations.size() > kHistoryKept) m.evaluations.pop_front();
  bool retrain = drift && spec.retraining.has_value() && !m.stop;
  // With the count, so that Evaluate never counts this one twice.
  m.status = retrain ? "Retraining" : "Scheduled";
  SaveLocked(m);
  lock.unlock();
  PublishEvent(spec, "Evaluation", std::move(event));
  if (retrain) Retrain(m, value);
}

void Monitors::Retrain(Monitor& m, double trigger) {
  const MonitorSpec& spec = m.spec;
  Logger("monitor")->info("retraining monitor={} trigger={:.6g}", spec.name, trigger);
  RetrainingContext c;
  c.services = services_;
  c.poll_ms = options_.poll_ms;
  c.now_ms = [] { return WallMillis(); };
  c.stopping = [&m] {
    std::lock_guard<std::mutex> lock(m.mu);
    return m.stop;
  };
  bool first = true;
  std::string published;  // the last status announced
  c.progress = [&](const RetrainingRecord& r) {
    {
      std::lock_guard<std::mutex> lock(m.mu);
      if (first) {
        m.retrainings.push_back(r);
        while (m.retrainings.size() > kHistoryKept) m.retrainings.pop_front();
        first = false;
      } else {
        m.retrainings.back() = r;
      }
      SaveLocked(m);
    }
    // Each step once, and the end (Deploying is recorded twice: before and after the update).
    if (r.status != published || r.Ended()) {
      published = r.status;
      PublishEvent(spec, "Retraining", r.ToJson());
    }
  };
  RetrainingRecord r = RunRetraining(spec, Stamp(WallMillis()), trigger, c);

  std::lock_guard<std::mutex> lock(m.mu);
  m.breaches = 0;
  if (r.status == "Deployed") {
    m.metrics->deployed->Add();
    if (r.new_baseline) {
      m.baseline = *r.new_baseline;
      m.baseline_source = "TrainingJob " + r.training_job;
      m.metrics->baseline->store(*r.new_baseline);
    } else {
      m.baseline.reset();  // the next evaluation sets it
      m.baseline_source.clear();
    }
  } else {
    (r.status == "RolledBack" ? m.metrics->rolled_back : m.metrics->retrain_failed)->Add();
    Logger("monitor")->warn("retraining ended without a new model in service monitor={} status={} error=\"{}\"",
                            spec.name, r.status, r.failure_reason);
  }
  if (m.status == "Retraining") m.status = "Scheduled";
  SaveLocked(m);
}

void Monitors::PublishEvent(const MonitorSpec& spec, const std::string& kind, json event) {
  event["MonitorName"] = spec.name;
  event["EndpointName"] = spec.endpoint;
  event["Event"] = kind;
  services_->Publish(spec.alert_topic, event.dump());
}

void Monitors::SaveLocked(Monitor& m) {
  Status st = store_->SaveState(m.spec.name, m.StateJson());
  if (!st.ok() && st.code() != ErrorCode::kNotFound) {  // NotFound: deleted meanwhile
    Logger("monitor")->warn("state not saved monitor={} error=\"{}\"", m.spec.name, st.message());
  }
}

}  // namespace tributary::monitor
