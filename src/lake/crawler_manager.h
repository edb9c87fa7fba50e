// CrawlerManager: the crawlers of a server (Glue's CreateCrawler, StartCrawler,
// GetCrawler, StopCrawler, DeleteCrawler). Runs go on a worker thread each, so the HTTP
// threads only start them and read their progress; one run per crawler at a time.
//
// Thread-safety: every method may be called from any thread. The destructor cancels
// running crawls and waits for them.
//
//   TRY_ASSIGN(auto crawlers, CrawlerManager::Open(db, catalog, provider));
//   TRY(crawlers->Create({"raw", *LakePath::Parse("iot-data/"), "iot", ""}));
//   TRY_ASSIGN(int64_t run_id, crawlers->Start("raw"));
//   TRY_ASSIGN(CrawlRun run, crawlers->GetRun("raw", run_id));   // progress or outcome
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lake/active_runs.h"
#include "lake/catalog.h"
#include "lake/crawler.h"
#include "lake/crawler_store.h"
#include "objstore/object_store.h"

namespace tributary::lake {

class CrawlerManager {
 public:
  // `db`, `catalog` and `lake` must outlive the manager.
  static Result<std::unique_ptr<CrawlerManager>> Open(metadata::Database* db, Catalog* catalog,
                                                      objstore::ObjectStoreProvider* lake);
  ~CrawlerManager();

  Status Create(const CrawlerDefinition& crawler);
  Result<CrawlerDefinition> Get(const std::string& name) const;
  Result<std::vector<CrawlerDefinition>> List() const;
  // Replaces a crawler's definition (CrawlerStore::Update); kFailedPrecondition while it
  // runs. The database is made if missing, as Create makes it.
  Status Update(const CrawlerDefinition& crawler);
  // kFailedPrecondition while it runs.
  Status Delete(const std::string& name);

  // Starts a run; kFailedPrecondition if one is running. Returns its id.
  Result<int64_t> Start(const std::string& name);
  // kFailedPrecondition if it is not running.
  Status Stop(const std::string& name);
  // A running run's live progress, or a finished run's record.
  Result<CrawlRun> GetRun(const std::string& name, int64_t id) const;
  Result<std::vector<CrawlRun>> ListRuns(const std::string& name, int limit = 20) const;
  // The running run of `name`, if any.
  std::optional<CrawlRun> Running(const std::string& name) const;

  // Waits until no run is going (for tests and shutdown).
  void WaitIdle();

 private:

  CrawlerManager(metadata::Database* db, Catalog* catalog, objstore::ObjectStoreProvider* lake,
                 std::unique_ptr<CrawlerStore> store)
      : db_(db), catalog_(catalog), lake_(lake), store_(std::move(store)) {}
  void Execute(const CrawlerDefinition& crawler, ActiveRuns<CrawlRun>::Active& active);

  metadata::Database* db_;
  Catalog* catalog_;
  objstore::ObjectStoreProvider* lake_;
  std::unique_ptr<CrawlerStore> store_;
  ActiveRuns<CrawlRun> runs_{"crawler"};  // last: its threads use the members above
};

}  // namespace tributary::lake
