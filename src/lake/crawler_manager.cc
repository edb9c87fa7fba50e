#include "lake/crawler_manager.h"

#include "base/clock.h"
#include "base/log.h"

namespace tributary::lake {

Result<std::unique_ptr<CrawlerManager>> CrawlerManager::Open(metadata::Database* db,
                                                             Catalog* catalog,
                                                             objstore::ObjectStoreProvider* lake) {
  TRY_ASSIGN(auto store, CrawlerStore::Open(db));
  TRY(store->FailAbandonedRuns());
  return std::unique_ptr<CrawlerManager>(new CrawlerManager(db, catalog, lake, std::move(store)));
}

CrawlerManager::~CrawlerManager() = default;  // runs_ goes first: it cancels and joins the runs

Status CrawlerManager::Create(const CrawlerDefinition& crawler) {
  TRY(store_->Create(crawler));
  // The database exists from the start, so `catalog databases` shows where tables will go.
  return catalog_->CreateDatabase(crawler.database, "", /*if_not_exists=*/true).status();
}

Result<CrawlerDefinition> CrawlerManager::Get(const std::string& name) const {
  return store_->Get(name);
}

Result<std::vector<CrawlerDefinition>> CrawlerManager::List() const { return store_->List(); }

Status CrawlerManager::Update(const CrawlerDefinition& crawler) {
  TRY(runs_.IfIdle(crawler.name, "stop it first ('tributary crawler stop " + crawler.name + "')",
                   [&] { return store_->Update(crawler); }));
  return catalog_->CreateDatabase(crawler.database, "", /*if_not_exists=*/true).status();
}

Status CrawlerManager::Delete(const std::string& name) {
  return runs_.IfIdle(name, "stop it first ('tributary crawler stop " + name + "')",
                      [&] { return store_->Delete(name); });
}

Result<int64_t> CrawlerManager::Start(const std::string& name) {
  TRY_ASSIGN(CrawlerDefinition crawler, store_->Get(name));
  auto record = [&]() -> Result<CrawlRun> {
    CrawlRun run;
    run.crawler = name;
    run.started_ms = WallMillis();
    run.table = crawler.database + "." + crawler.TableName();
    TRY_ASSIGN(run.id, store_->InsertRun(run));
    return run;
  };
  return runs_.Start(name, record, "crawl:" + name,
                     [this, crawler](ActiveRuns<CrawlRun>::Active& active) { Execute(crawler, active); });
}

void CrawlerManager::Execute(const CrawlerDefinition& crawler, ActiveRuns<CrawlRun>::Active& active) {
  CrawlRun run = runs_.Progress(active);
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
    ctx.cancel = &active.cancel;
    ctx.on_progress = [this, &active](const CrawlRun& progress) { runs_.Update(active, progress); };
    run = RunCrawl(crawler, std::move(run), ctx);
  }
  Status st = store_->UpdateRun(run);
  if (!st.ok())
    Logger("lake")->error("crawler {} run {}: recording the outcome: {}", crawler.name, run.id,
                          st.message());
  Logger("lake")->info("crawler {} run {} {}: {} objects, {} records, table {} v{}", crawler.name,
                       run.id, RunStatusName(run.status), run.objects_read, run.records, run.table,
                       run.table_version);
  runs_.Finish(active, std::move(run));
}

Status CrawlerManager::Stop(const std::string& name) {
  TRY(store_->Get(name).status());  // NotFound for a crawler that does not exist
  return runs_.Stop(name);
}

Result<CrawlRun> CrawlerManager::GetRun(const std::string& name, int64_t id) const {
  if (std::optional<CrawlRun> live = runs_.Live(name, id)) return *live;
  TRY(store_->Get(name).status());
  return store_->GetRun(name, id);
}

Result<std::vector<CrawlRun>> CrawlerManager::ListRuns(const std::string& name, int limit) const {
  TRY(store_->Get(name).status());
  TRY_ASSIGN(auto runs, store_->ListRuns(name, limit));
  runs_.Overlay(name, &runs);
  return runs;
}

std::optional<CrawlRun> CrawlerManager::Running(const std::string& name) const { return runs_.Running(name); }

void CrawlerManager::WaitIdle() { runs_.WaitIdle(); }

}  // namespace tributary::lake
