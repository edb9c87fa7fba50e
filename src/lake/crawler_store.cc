#include "lake/crawler_store.h"

#include <cctype>

#include "base/clock.h"
#include "lake/glue_glob.h"

namespace tributary::lake {
namespace {

using metadata::Row;
using metadata::Value;
using nlohmann::json;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE lake_crawlers(
  name TEXT PRIMARY KEY,
  source TEXT NOT NULL,            -- LakePath::ToString()
  database TEXT NOT NULL,
  table_name TEXT NOT NULL,        -- "" = derived from the source
  created_ms INTEGER NOT NULL
);
CREATE TABLE lake_crawler_objects(
  crawler TEXT NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  records INTEGER NOT NULL,
  partition_values TEXT NOT NULL,  -- JSON array of strings
  PRIMARY KEY(crawler, key)
);
CREATE TABLE lake_crawler_runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  crawler TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  result TEXT NOT NULL             -- ToJson(CrawlRun)
);
CREATE INDEX lake_crawler_runs_by_crawler ON lake_crawler_runs(crawler, id);
)sql";

// Crawler exclusions (Glue's S3Target Exclusions).
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE lake_crawlers ADD COLUMN exclusions TEXT NOT NULL DEFAULT '[]';  -- JSON array of globs
)sql";

// Glue's SchemaChangePolicy (UpdateBehavior, DeleteBehavior), stored by Glue's names.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE lake_crawlers ADD COLUMN update_behavior TEXT NOT NULL DEFAULT 'UPDATE_IN_DATABASE';
ALTER TABLE lake_crawlers ADD COLUMN delete_behavior TEXT NOT NULL DEFAULT 'DELETE_FROM_DATABASE';
)sql";

constexpr const char* kCrawlerColumns =
    "name, source, database, table_name, created_ms, exclusions, update_behavior, delete_behavior";

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status ValidateCrawlerName(const std::string& name) {
  if (name.empty() || name.size() > 255)
    return InvalidArgument("crawler name '" + name + "' must be 1..255 characters");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return InvalidArgument("crawler name '" + name + "' contains '" + std::string(1, c) +
                             "'; use letters, digits, '_' and '-'");
    }
  }
  return Status::Ok();
}

Result<CrawlerDefinition> FromRow(const Row& r) {
  CrawlerDefinition c;
  c.name = r.Text(0);
  auto source = LakePath::Parse(r.Text(1));
  if (!source.ok())
    return DataLoss("crawler '" + c.name + "': stored source: " + source.status().message());
  c.source = *source;
  c.database = r.Text(2);
  c.table = r.Text(3);
  c.created_ms = r.Int(4);
  json exclusions = json::parse(r.Text(5), nullptr, false);
  if (exclusions.is_array()) {
    for (const auto& g : exclusions) {
      if (g.is_string()) c.exclusions.push_back(g.get<std::string>());
    }
  }
  auto update = ParseUpdateBehavior(r.Text(6));
  auto remove = ParseDeleteBehavior(r.Text(7));
  if (!update.ok() || !remove.ok()) {
    return DataLoss("crawler '" + c.name + "': stored schema change policy: " +
                    (update.ok() ? remove.status() : update.status()).message());
  }
  c.update_behavior = *update;
  c.delete_behavior = *remove;
  return c;
}

CrawlRun RunFromJson(const json& j) {
  CrawlRun r;
  if (!j.is_object()) {
    r.status = RunStatus::kFailed;
    r.message = "the stored record of this run is not valid JSON";
    return r;
  }
  r.id = j.value("id", int64_t{0});
  r.crawler = j.value("crawler", "");
  r.status = ParseRunStatus(j.value("status", "running"));
  r.started_ms = j.value("started_ms", int64_t{0});
  r.finished_ms = j.value("finished_ms", int64_t{0});
  r.objects_listed = j.value("objects_listed", int64_t{0});
  r.objects_total = j.value("objects_total", int64_t{0});
  r.objects_read = j.value("objects_read", int64_t{0});
  r.bytes_total = j.value("bytes_total", int64_t{0});
  r.bytes_read = j.value("bytes_read", int64_t{0});
  r.records = j.value("records", int64_t{0});
  r.records_bad = j.value("records_bad", int64_t{0});
  r.partitions_added = j.value("partitions_added", int64_t{0});
  r.objects_gone = j.value("objects_gone", int64_t{0});
  r.partitions_removed = j.value("partitions_removed", int64_t{0});
  r.table = j.value("table", "");
  r.table_version = j.value("table_version", int64_t{0});
  r.schema_changed = j.value("schema_changed", false);
  r.columns_added = j.value("columns_added", std::vector<std::string>{});
  r.schema_changes_logged = j.value("schema_changes_logged", std::vector<std::string>{});
  r.gone_kept = j.value("gone_kept", false);
  r.errors = j.value("errors", std::vector<std::string>{});
  r.message = j.value("message", "");
  if (j.contains("conflicts") && j["conflicts"].is_array()) {
    for (const auto& c : j["conflicts"]) {
      r.conflicts.push_back({c.value("column", ""), c.value("types", ""), c.value("where", ""),
                             c.value("count", int64_t{0})});
    }
  }
  return r;
}

}  // namespace

std::string CrawlerDefinition::TableName() const {
  if (!table.empty()) return table;
  std::string_view p = source.prefix;
  if (!p.empty()) p.remove_suffix(1);
  size_t slash = p.rfind('/');
  std::string_view last = slash == std::string_view::npos ? p : p.substr(slash + 1);
  return SanitizeName(last.empty() ? std::string_view(source.bucket) : last);
}

json ToJson(const CrawlRun& r) {
  json conflicts = json::array();
  for (const auto& c : r.conflicts) {
    conflicts.push_back(
        {{"column", c.column}, {"types", c.types}, {"where", c.where}, {"count", c.count}});
  }
  int64_t end = r.finished_ms != 0 ? r.finished_ms : WallMillis();
  return {{"id", r.id},
          {"crawler", r.crawler},
          {"status", std::string(RunStatusName(r.status))},
          {"started_ms", r.started_ms},
          {"started_at", FormatIso8601Millis(r.started_ms)},
          {"finished_ms", r.finished_ms},
          {"duration_ms", r.started_ms == 0 ? 0 : end - r.started_ms},
          {"objects_listed", r.objects_listed},
          {"objects_total", r.objects_total},
          {"objects_read", r.objects_read},
          {"bytes_total", r.bytes_total},
          {"bytes_read", r.bytes_read},
          {"records", r.records},
          {"records_bad", r.records_bad},
          {"partitions_added", r.partitions_added},
          {"objects_gone", r.objects_gone},
          {"partitions_removed", r.partitions_removed},
          {"table", r.table},
          {"table_version", r.table_version},
          {"schema_changed", r.schema_changed},
          {"columns_added", r.columns_added},
          {"schema_changes_logged", r.schema_changes_logged},
          {"gone_kept", r.gone_kept},
          {"conflicts", conflicts},
          {"errors", r.errors},
          {"message", r.message}};
}

std::string_view UpdateBehaviorName(CrawlerDefinition::UpdateBehavior b) {
  switch (b) {
    case CrawlerDefinition::UpdateBehavior::kLog:
      return "LOG";
    case CrawlerDefinition::UpdateBehavior::kMergeNewColumns:
      return "MERGE_NEW_COLUMNS";
    case CrawlerDefinition::UpdateBehavior::kUpdateInDatabase:
      break;
  }
  return "UPDATE_IN_DATABASE";
}

std::string_view DeleteBehaviorName(CrawlerDefinition::DeleteBehavior b) {
  switch (b) {
    case CrawlerDefinition::DeleteBehavior::kLog:
      return "LOG";
    case CrawlerDefinition::DeleteBehavior::kDeprecateInDatabase:
      return "DEPRECATE_IN_DATABASE";
    case CrawlerDefinition::DeleteBehavior::kDeleteFromDatabase:
      break;
  }
  return "DELETE_FROM_DATABASE";
}

Result<CrawlerDefinition::UpdateBehavior> ParseUpdateBehavior(std::string_view name) {
  const std::string n = Upper(name);
  if (n == "UPDATE_IN_DATABASE" || n == "UPDATE")
    return CrawlerDefinition::UpdateBehavior::kUpdateInDatabase;
  if (n == "LOG") return CrawlerDefinition::UpdateBehavior::kLog;
  if (n == "MERGE_NEW_COLUMNS" || n == "MERGE")
    return CrawlerDefinition::UpdateBehavior::kMergeNewColumns;
  return InvalidArgument("update behavior '" + std::string(name) +
                         "' is not one of UPDATE_IN_DATABASE, MERGE_NEW_COLUMNS, LOG "
                         "(or update, merge, log)");
}

Result<CrawlerDefinition::DeleteBehavior> ParseDeleteBehavior(std::string_view name) {
  const std::string n = Upper(name);
  if (n == "DELETE_FROM_DATABASE" || n == "DELETE")
    return CrawlerDefinition::DeleteBehavior::kDeleteFromDatabase;
  if (n == "LOG") return CrawlerDefinition::DeleteBehavior::kLog;
  if (n == "DEPRECATE_IN_DATABASE" || n == "DEPRECATE")
    return CrawlerDefinition::DeleteBehavior::kDeprecateInDatabase;
  return InvalidArgument("delete behavior '" + std::string(name) +
                         "' is not one of DELETE_FROM_DATABASE, DEPRECATE_IN_DATABASE, LOG "
                         "(or delete, deprecate, log)");
}

json ToJson(const CrawlerDefinition& c) {
  return {{"name", c.name},
          {"source", c.source.ToUri()},
          {"database", c.database},
          {"table", c.TableName()},
          {"exclusions", c.exclusions},
          {"update_behavior", UpdateBehaviorName(c.update_behavior)},
          {"delete_behavior", DeleteBehaviorName(c.delete_behavior)},
          {"created_ms", c.created_ms},
          {"created_at", FormatIso8601Millis(c.created_ms)}};
}

Result<std::unique_ptr<CrawlerStore>> CrawlerStore::Open(metadata::Database* db) {
  TRY(db->Migrate("lake.crawlers", 1, kSchemaV1));
  TRY(db->Migrate("lake.crawlers", 2, kSchemaV2));
  TRY(db->Migrate("lake.crawlers", 3, kSchemaV3));
  return std::unique_ptr<CrawlerStore>(new CrawlerStore(db));
}

namespace {

// What Create and Update check of a definition.
Status ValidateDefinition(const CrawlerDefinition& c) {
  TRY(ValidateCrawlerName(c.name));
  TRY(ValidateCatalogName("database", c.database));
  if (!c.table.empty()) TRY(ValidateCatalogName("table", c.table));
  if (c.source.bucket.empty()) return InvalidArgument("crawler '" + c.name + "' needs a source");
  for (size_t i = 0; i < c.exclusions.size(); ++i) {
    const std::string where = "exclusions[" + std::to_string(i) + "]";
    if (c.exclusions[i].empty()) return InvalidArgument(where + ": an empty pattern");
    if (Status s = GlueGlob::Parse(c.exclusions[i]).status(); !s.ok()) return s.WithContext(where);
  }
  return Status::Ok();
}

}  // namespace

Status CrawlerStore::Create(const CrawlerDefinition& c) {
  TRY(ValidateDefinition(c));
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows,
               db_->Query("SELECT name FROM lake_crawlers WHERE name=?", {Value(c.name)}));
    if (!rows.empty()) return AlreadyExists("crawler '" + c.name + "' already exists");
    return db_
        ->Exec(std::string("INSERT INTO lake_crawlers(") + kCrawlerColumns +
                   ") VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
               {Value(c.name), Value(c.source.ToString()), Value(c.database), Value(c.table),
                Value(c.created_ms != 0 ? c.created_ms : WallMillis()),
                Value(json(c.exclusions).dump()),
                Value(std::string(UpdateBehaviorName(c.update_behavior))),
                Value(std::string(DeleteBehaviorName(c.delete_behavior)))})
        .status();
  });
}

Status CrawlerStore::Update(const CrawlerDefinition& c) {
  TRY(ValidateDefinition(c));
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows, db_->Query("SELECT source FROM lake_crawlers WHERE name=?", {Value(c.name)}));
    if (rows.empty()) return NotFound("crawler '" + c.name + "' does not exist");
    if (rows[0].Text(0) != c.source.ToString()) {
      TRY(db_->Exec("DELETE FROM lake_crawler_objects WHERE crawler=?", {Value(c.name)}).status());
    }
    return db_
        ->Exec(
            "UPDATE lake_crawlers SET source=?, database=?, table_name=?, exclusions=?, "
            "update_behavior=?, "
            "delete_behavior=? WHERE name=?",
            {Value(c.source.ToString()), Value(c.database), Value(c.table),
             Value(json(c.exclusions).dump()),
             Value(std::string(UpdateBehaviorName(c.update_behavior))),
             Value(std::string(DeleteBehaviorName(c.delete_behavior))), Value(c.name)})
        .status();
  });
}

Result<CrawlerDefinition> CrawlerStore::Get(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query(std::string("SELECT ") + kCrawlerColumns +
                                       " FROM lake_crawlers WHERE name=?",
                                   {Value(name)}));
  if (rows.empty())
    return NotFound("crawler '" + name + "' does not exist (see 'tributary crawler list')");
  return FromRow(rows[0]);
}

Result<std::vector<CrawlerDefinition>> CrawlerStore::List() const {
  TRY_ASSIGN(auto rows, db_->Query(std::string("SELECT ") + kCrawlerColumns +
                                   " FROM lake_crawlers ORDER BY name"));
  std::vector<CrawlerDefinition> out;
  for (const auto& r : rows) {
    TRY_ASSIGN(auto c, FromRow(r));
    out.push_back(std::move(c));
  }
  return out;
}

Status CrawlerStore::Delete(const std::string& name) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(int64_t n, db_->Exec("DELETE FROM lake_crawlers WHERE name=?", {Value(name)}));
    if (n == 0) return NotFound("crawler '" + name + "' does not exist");
    TRY(db_->Exec("DELETE FROM lake_crawler_objects WHERE crawler=?", {Value(name)}).status());
    return runs_.DeleteAll(name);
  });
}

Result<std::map<std::string, SeenObject>> CrawlerStore::SeenObjects(
    const std::string& crawler) const {
  TRY_ASSIGN(
      auto rows,
      db_->Query("SELECT key, etag, size, records, partition_values FROM lake_crawler_objects "
                 "WHERE crawler=?",
                 {Value(crawler)}));
  std::map<std::string, SeenObject> out;
  for (const auto& r : rows) {
    SeenObject o{r.Text(0), r.Text(1), r.Int(2), r.Int(3), {}};
    json values = json::parse(r.Text(4), nullptr, false);
    if (values.is_array()) {
      for (const auto& v : values)
        o.partition_values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    out.emplace(o.key, std::move(o));
  }
  return out;
}

Status CrawlerStore::MarkSeen(const std::string& crawler, const std::vector<SeenObject>& objects) {
  return db_->Transaction([&]() -> Status {
    for (const auto& o : objects) {
      TRY(db_->Exec("INSERT INTO lake_crawler_objects(crawler, key, etag, size, records, "
                    "partition_values) "
                    "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(crawler, key) DO UPDATE SET "
                    "etag=excluded.etag, "
                    "size=excluded.size, records=excluded.records, "
                    "partition_values=excluded.partition_values",
                    {Value(crawler), Value(o.key), Value(o.etag), Value(o.size), Value(o.records),
                     Value(json(o.partition_values).dump())})
              .status());
    }
    return Status::Ok();
  });
}

Status CrawlerStore::ForgetSeen(const std::string& crawler, const std::vector<std::string>& keys) {
  return db_->Transaction([&]() -> Status {
    for (const std::string& key : keys) {
      TRY(db_->Exec("DELETE FROM lake_crawler_objects WHERE crawler=? AND key=?",
                    {Value(crawler), Value(key)})
              .status());
    }
    return Status::Ok();
  });
}

Result<int64_t> CrawlerStore::InsertRun(const CrawlRun& run) {
  return runs_.Insert(run.crawler, run.status, run.started_ms, [&](int64_t id) {
    CrawlRun copy = run;
    copy.id = id;
    return ToJson(copy);
  });
}

Status CrawlerStore::UpdateRun(const CrawlRun& run) {
  return runs_.Update(run.id, run.status, ToJson(run));
}

Result<CrawlRun> CrawlerStore::GetRun(const std::string& crawler, int64_t id) const {
  TRY_ASSIGN(json run, runs_.Get(crawler, id));
  return RunFromJson(run);
}

Result<std::vector<CrawlRun>> CrawlerStore::ListRuns(const std::string& crawler, int limit) const {
  TRY_ASSIGN(auto runs, runs_.Newest(crawler, limit));
  std::vector<CrawlRun> out;
  for (const json& r : runs) out.push_back(RunFromJson(r));
  return out;
}

Status CrawlerStore::FailAbandonedRuns() {
  TRY_ASSIGN(auto runs, runs_.Running());
  for (const json& r : runs) {
    CrawlRun run = RunFromJson(r);
    run.status = RunStatus::kFailed;
    run.finished_ms = WallMillis();
    run.message = "the server stopped while this run was going; run the crawler again";
    TRY(UpdateRun(run));
  }
  return Status::Ok();
}

}  // namespace tributary::lake
