#include "lake/crawler_manager.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/thread_name.h"

namespace tributary::lake {

Result<std::unique_ptr<CrawlerManager>> CrawlerManager::Open(metadata::Database* db,
                                                             Catalog* catalog,
                                                             objstore::ObjectStoreProvider* lake) {
  TRY_ASSIGN(auto store, CrawlerStore::Open(db));
  TRY(store->FailAbandonedRuns());
  return std::unique_ptr<CrawlerManager>(new CrawlerManager(db, catalog, lake, std::move(store)));
}

CrawlerManager::~CrawlerManager() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, active] : active_) active->cancel = true;
  }
  WaitIdle();
}

Status CrawlerManager::Create(const CrawlerDefinition& crawler) {
  TRY(store_->Create(crawler));
  // The database exists from the start, so `catalog databases` shows where tables will go.
  return catalog_->CreateDatabase(crawler.database, "", /*if_not_exists=*/true).status();
}

Result<CrawlerDefinition> CrawlerManager::Get(const std::string& name) const {
  return store_->Get(name);
}

Result<std::vector<CrawlerDefinition>> CrawlerManager::List() const { return store_->List(); }

Status CrawlerManager::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  if (active_.count(name)) {
    return FailedPrecondition(
        "crawler '" + name + "' is running; stop it first ('tributary crawler stop " + name + "')");
  }
  return store_->Delete(name);
}

Result<int64_t> CrawlerManager::Start(const std::string& name) {
  TRY_ASSIGN(CrawlerDefinition crawler, store_->Get(name));
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  if (active_.count(name)) {
    return FailedPrecondition("crawler '" + name + "' is already running (run " +
                              std::to_string(active_[name]->progress.id) + ")");
  }
  CrawlRun run;
  run.crawler = name;
  run.started_ms = WallMillis();
  run.table = crawler.database + "." + crawler.TableName();
  TRY_ASSIGN(run.id, store_->InsertRun(run));
  auto active = std::make_unique<Active>();
  active->progress = run;
  Active* raw = active.get();
  active_[name] = std::move(active);
  raw->thread = std::thread([this, crawler, raw] {
    SetThreadName("crawl:" + crawler.name);
    Execute(crawler, raw);
  });
  return run.id;
}

void CrawlerManager::Execute(CrawlerDefinition crawler, Active* active) {
  CrawlRun run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    run = active->progress;
  }
  auto bucket = lake_->Bucket(crawler.source.bucket);
  if (!bucket.ok()) {
    run.status = RunStatus::kFailed;
    run.message = "source " + crawler.source.ToUri() + ": " + bucket.status().message();
    run.finished_ms = WallMillis();
  } else {
    CrawlContext ctx;
    ctx.bucket = bucket->get();
    ctx.catalog = catalog_;
    ctx.store = store_.get();
    ctx.cancel = &active->cancel;
    ctx.on_progress = [this, active](const CrawlRun& progress) {
      std::lock_guard<std::mutex> lock(mu_);
      active->progress = progress;
    };
    run = RunCrawl(crawler, std::move(run), ctx);
  }
  Status st = store_->UpdateRun(run);
  if (!st.ok())
    Logger("lake")->error("crawler {} run {}: recording the outcome: {}", crawler.name, run.id,
                          st.message());
  Logger("lake")->info("crawler {} run {} {}: {} objects, {} records, table {} v{}", crawler.name,
                       run.id, RunStatusName(run.status), run.objects_read, run.records, run.table,
                       run.table_version);
  std::lock_guard<std::mutex> lock(mu_);
  active->progress = std::move(run);
  active->done = true;
  idle_.notify_all();
}

void CrawlerManager::ReapLocked() {
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second->done) {
      if (it->second->thread.joinable()) it->second->thread.join();
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

Status CrawlerManager::Stop(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it == active_.end() || it->second->done) {
    return FailedPrecondition("crawler '" + name + "' is not running");
  }
  it->second->cancel = true;
  return Status::Ok();
}

Result<CrawlRun> CrawlerManager::GetRun(const std::string& name, int64_t id) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it != active_.end() && it->second->progress.id == id) return it->second->progress;
  }
  TRY(store_->Get(name).status());
  return store_->GetRun(name, id);
}

Result<std::vector<CrawlRun>> CrawlerManager::ListRuns(const std::string& name, int limit) const {
  TRY(store_->Get(name).status());
  TRY_ASSIGN(auto runs, store_->ListRuns(name, limit));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it != active_.end()) {
    for (auto& r : runs) {
      if (r.id == it->second->progress.id) r = it->second->progress;
    }
  }
  return runs;
}

std::optional<CrawlRun> CrawlerManager::Running(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it == active_.end() || it->second->done) return std::nullopt;
  return it->second->progress;
}

void CrawlerManager::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] {
    for (auto& [name, a] : active_) {
      if (!a->done) return false;
    }
    return true;
  });
  ReapLocked();
}

}  // namespace tributary::lake
