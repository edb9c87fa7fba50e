#include "serving/model_cache.h"

#include <algorithm>
#include <filesystem>

#include "base/log.h"
#include "base/start_thread.h"

namespace tributary::serving {

namespace {

InvocationResult Error(int status, std::string message) {
  InvocationResult r;
  r.status = status;
  r.error = message;
  r.body = nlohmann::json{{"error", {{"code", status == 404 ? "not_found" : status >= 500 ? "model_error"
                                                                                       : "invalid_argument"},
                                     {"message", message}}}}
               .dump() +
           "\n";
  return r;
}

}  // namespace

struct ModelCache::Entry {
  std::string name;
  std::shared_ptr<Fleet> fleet;  // null while loading
  bool loading = true;
  std::vector<std::pair<Invocation, std::function<void(InvocationResult)>>> waiting;
  uint64_t last_used = 0;
  int64_t invocations = 0;
};

ModelCache::ModelCache(FleetOptions base, std::string root_dir, uint64_t memory_budget_bytes)
    : base_(std::move(base)), root_(std::move(root_dir)), budget_(memory_budget_bytes) {}

ModelCache::~ModelCache() { Stop(); }

Status ModelCache::CheckTarget(const std::string& target) const {
  bool ok = !target.empty() && target.size() <= 255 && target != "." && target != "..";
  for (char c : target) ok = ok && c != '/' && c != '\\' && c != '\0';
  if (!ok) return InvalidArgument("target model '" + target + "' is not a model name");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(root_) / target / "model.json", ec)) {
    return NotFound("target model '" + target + "' is not in the multi-model artifact " + root_);
  }
  return Status::Ok();
}

void ModelCache::Invoke(const std::string& target, Invocation invocation,
                        std::function<void(InvocationResult)> done) {
  if (target.empty()) {
    return done(Error(400, "this is a multi-model endpoint: name the model in the "
                           "X-Amzn-SageMaker-Target-Model header"));
  }
  std::shared_ptr<Fleet> fleet;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return done(Error(503, "the variant is shutting down"));
    auto it = entries_.find(target);
    if (it == entries_.end()) {
      Status st = CheckTarget(target);
      if (!st.ok()) return done(Error(st.code() == ErrorCode::kNotFound ? 404 : 400, st.message()));
      auto entry = std::make_shared<Entry>();
      entry->name = target;
      auto loader = StartThread("model-load", [this, entry] {
        Load(entry);
        std::lock_guard<std::mutex> lock(mu_);
        if (--loaders_ == 0) loaders_done_.notify_all();
      });
      // The loader waits for mu_ (Load takes it) until the entry is in place.
      if (!loader.ok()) return done(Error(503, loader.status().message()));
      loader->detach();
      entry->last_used = ++tick_;
      entry->invocations = 1;
      entry->waiting.emplace_back(std::move(invocation), std::move(done));
      entries_[target] = entry;
      ++loads_;
      ++loaders_;
      return;
    }
    Entry& e = *it->second;
    e.last_used = ++tick_;
    ++e.invocations;
    if (e.loading) {
      e.waiting.emplace_back(std::move(invocation), std::move(done));
      return;
    }
    fleet = e.fleet;
  }
  auto shared_done = std::make_shared<std::function<void(InvocationResult)>>(std::move(done));
  if (!fleet->Submit(std::move(invocation), [shared_done](InvocationResult r) { (*shared_done)(std::move(r)); })) {
    (*shared_done)(Error(503, "model '" + target + "' is overloaded: its queue is full"));
  }
}

void ModelCache::Load(std::shared_ptr<Entry> entry) {
  FleetOptions o = base_;
  o.name = base_.name + "/" + entry->name;
  o.command.push_back("--model");
  o.command.push_back((std::filesystem::path(root_) / entry->name).string());
  auto fleet = Fleet::Start(o);
  std::vector<std::pair<Invocation, std::function<void(InvocationResult)>>> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting.swap(entry->waiting);
    entry->loading = false;
    if (fleet.ok() && !stopped_) {
      entry->fleet = std::shared_ptr<Fleet>(std::move(*fleet));
    } else {
      entries_.erase(entry->name);  // the next request tries again
    }
  }
  if (!fleet.ok() || !entry->fleet) {
    std::string why = fleet.ok() ? "the variant is shutting down" : fleet.status().message();
    for (auto& [inv, done] : waiting) done(Error(fleet.ok() ? 503 : 500, "cannot load model '" + entry->name + "': " + why));
    return;
  }
  Logger("serving")->info("{}: loaded model '{}' ({} MiB resident)", base_.name, entry->name,
                          entry->fleet->MemoryBytes() >> 20);
  EvictOverBudget(entry->name);
  for (auto& [inv, done] : waiting) {
    auto shared_done = std::make_shared<std::function<void(InvocationResult)>>(std::move(done));
    if (!entry->fleet->Submit(std::move(inv), [shared_done](InvocationResult r) { (*shared_done)(std::move(r)); })) {
      (*shared_done)(Error(503, "model '" + entry->name + "' is overloaded: its queue is full"));
    }
  }
}

void ModelCache::EvictOverBudget(const std::string& keep) {
  std::vector<std::shared_ptr<Entry>> victims;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<Entry>> loaded;
    uint64_t total = 0;
    for (auto& [name, e] : entries_) {
      if (e->loading || !e->fleet) continue;
      total += e->fleet->MemoryBytes();
      if (name != keep) loaded.push_back(e);
    }
    std::sort(loaded.begin(), loaded.end(), [](const auto& a, const auto& b) { return a->last_used < b->last_used; });
    for (auto& e : loaded) {
      if (total <= budget_) break;
      total -= std::min(total, e->fleet->MemoryBytes());
      entries_.erase(e->name);
      victims.push_back(e);
      ++unloads_;
    }
  }
  for (auto& e : victims) {
    Logger("serving")->info("{}: unloading model '{}' (least recently used; memory budget {} MiB)", base_.name,
                            e->name, budget_ >> 20);
    e->fleet->Stop();  // drains the requests it already accepted
  }
}

void ModelCache::Stop() {
  std::map<std::string, std::shared_ptr<Entry>> entries;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopped_ = true;
    loaders_done_.wait(lock, [this] { return loaders_ == 0; });
    entries.swap(entries_);
  }
  for (auto& [name, e] : entries) {
    if (e->fleet) e->fleet->Stop();
  }
}

nlohmann::json ModelCache::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json models = nlohmann::json::array();
  for (const auto& [name, e] : entries_) {
    models.push_back({{"ModelName", name},
                      {"Status", e->loading ? "Loading" : "Loaded"},
                      {"MemoryBytes", e->fleet ? e->fleet->MemoryBytes() : 0},
                      {"Invocations", e->invocations}});
  }
  return {{"LoadedModels", models}, {"MemoryBudgetBytes", budget_}, {"Loads", loads_}, {"Unloads", unloads_}};
}

}  // namespace tributary::serving
