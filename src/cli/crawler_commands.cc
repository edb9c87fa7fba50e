// tributary crawler create|update|list|describe|run|stop|delete

#include <cstdio>
#include <memory>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/run_follow.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

std::string CrawlerPath(const std::string& name) { return "/v1/crawlers/" + net::UrlEncode(name); }

struct CreateArgs {
  std::string name, source, database, table;
  std::vector<std::string> exclusions;
  bool no_exclusions = false;  // update: drop them
  std::string update_behavior, delete_behavior;
};

// The definition's fields given on the command line.
json DefinitionBody(const CreateArgs& a) {
  json body = json::object();
  if (!a.source.empty()) body["source"] = a.source;
  if (!a.database.empty()) body["database"] = a.database;
  if (!a.table.empty()) body["table"] = a.table;
  if (!a.exclusions.empty()) body["exclusions"] = a.exclusions;
  if (a.no_exclusions) body["exclusions"] = json::array();
  if (!a.update_behavior.empty()) body["update_behavior"] = a.update_behavior;
  if (!a.delete_behavior.empty()) body["delete_behavior"] = a.delete_behavior;
  return body;
}

// The crawler definition's API fields and the flags that set them.
constexpr FieldFlag kCrawlerFlags[] = {
    {"source", "--source"},
    {"database", "--database"},
    {"table", "--table"},
    {"exclusions", "--exclude"},
    {"update_behavior", "--update-behavior"},
    {"delete_behavior", "--delete-behavior"},
};

Status WithCrawlerFlagName(const Status& status) { return WithFlagName(status, kCrawlerFlags); }

int CreateCrawler(const ClientOptions& opts, const CreateArgs& a) {
  json body = DefinitionBody(a);
  body["name"] = a.name;
  return CallAndReport(opts, "crawler create", "POST", "/v1/crawlers", &body,
                       "created crawler " + a.name + ": " + a.source + " -> database " + a.database,
                       WithCrawlerFlagName);
}

int UpdateCrawler(const ClientOptions& opts, const CreateArgs& a) {
  json body = DefinitionBody(a);
  return CallAndReport(opts, "crawler update", "PATCH", CrawlerPath(a.name), &body,
                       "updated crawler " + a.name, WithCrawlerFlagName);
}

// The options create and update share (create requires --source and --database).
void AddDefinitionOptions(CLI::App* command, CreateArgs* args, bool create) {
  command->add_option("name", args->name, "crawler name (letters, digits, _ and -)")->required();
  auto* source = command->add_option("--source", args->source,
                                     create ? "lake path: bucket/prefix/ or s3://bucket/prefix/"
                                            : "lake path: bucket/prefix/ or s3://bucket/prefix/ (a "
                                              "new one forgets what was read: the next "
                                              "run reads the new prefix whole)");
  auto* database = command->add_option("--database", args->database,
                                       "catalog database for the table (created if missing)");
  if (create) {
    source->required();
    database->required();
  }
  command->add_option("--table", args->table,
                      "table name; default: the last segment of the source");
  OneValueEach(command->add_option(
      "--exclude", args->exclusions,
      "glob of keys under the source to leave out, e.g. 'deepar/**' (repeatable; readers "
      "of the table leave them out too)"));
  if (!create)
    command->add_flag("--no-exclusions", args->no_exclusions, "drop the crawler's exclusions");
  command->add_option(
      "--update-behavior", args->update_behavior,
      "when the records' schema differs from the table's: update (default) the table, merge (add "
      "new columns only, existing ones keep their types), or log the change and keep the "
      "table's schema (Glue's SchemaChangePolicy.UpdateBehavior)");
  command->add_option(
      "--delete-behavior", args->delete_behavior,
      "when objects read before are gone: delete (default) their records and emptied partitions "
      "from the table, log them, or deprecate (log; a table with no object left is marked "
      "DEPRECATED_BY_CRAWLER)");
}

std::string LastRunCell(const json& c) {
  if (!c.contains("last_run")) return "-";
  const json& r = c["last_run"];
  return Cell(r["status"]) + " (" + Cell(r["started_at"]) + ")";
}

int ListCrawlers(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/crawlers");
  if (!r.ok()) return Fail("crawler list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : (*r)["crawlers"]) {
    rows.push_back({Cell(c["name"]), Cell(c["state"]), Cell(c["source"]),
                    Cell(c["database"]) + "." + Cell(c["table"]), LastRunCell(c)});
  }
  PrintTable({"NAME", "STATE", "SOURCE", "TABLE", "LAST RUN"}, rows);
  return 0;
}

// The outcome of a run in a few lines: counts, then conflicts and errors.
void PrintRun(const json& run) {
  std::printf("run %s of crawler %s: %s in %.1f s\n", Cell(run["id"]).c_str(),
              Cell(run["crawler"]).c_str(), Cell(run["status"]).c_str(),
              run.value("duration_ms", int64_t{0}) / 1000.0);
  std::printf("  objects: %s read of %s new (%s under the source), %s bytes\n",
              Cell(run["objects_read"]).c_str(), Cell(run["objects_total"]).c_str(),
              Cell(run["objects_listed"]).c_str(), Cell(run["bytes_read"]).c_str());
  std::printf("  records: %s added, %s bad\n", Cell(run["records"]).c_str(),
              Cell(run["records_bad"]).c_str());
  std::printf("  table:   %s version %s%s, %s partitions added\n", Cell(run["table"]).c_str(),
              Cell(run["table_version"]).c_str(),
              run.value("schema_changed", false) ? " (schema changed)" : "",
              Cell(run["partitions_added"]).c_str());
  if (run.value("objects_gone", 0) > 0 && run.value("gone_kept", false)) {
    std::printf(
        "  gone:    %s objects no longer in the lake (kept in the catalog, as the delete behavior "
        "says)\n",
        Cell(run["objects_gone"]).c_str());
  } else if (run.value("objects_gone", 0) > 0) {
    std::printf(
        "  gone:    %s objects no longer in the lake (their records no longer count), %s "
        "partitions removed\n",
        Cell(run["objects_gone"]).c_str(), Cell(run["partitions_removed"]).c_str());
  }
  for (const auto& change : run.value("schema_changes_logged", json::array())) {
    std::printf("  schema change logged, not applied: %s\n", Cell(change).c_str());
  }
  if (!run["columns_added"].empty())
    std::printf("  new columns: %s\n", run["columns_added"].dump().c_str());
  for (const auto& c : run["conflicts"]) {
    std::printf("  type conflict: column %s saw %s (first at %s, %s values); typed as string\n",
                Cell(c["column"]).c_str(), Cell(c["types"]).c_str(), Cell(c["where"]).c_str(),
                Cell(c["count"]).c_str());
  }
  for (const auto& e : run["errors"]) std::printf("  error: %s\n", e.get<std::string>().c_str());
  if (!Cell(run["message"]).empty() && run["message"] != "")
    std::printf("  %s\n", Cell(run["message"]).c_str());
}

int DescribeCrawler(const ClientOptions& opts, const std::string& name) {
  ApiClient client(opts);
  auto r = client.Call("GET", CrawlerPath(name));
  if (!r.ok()) return Fail("crawler describe", r.status());
  auto runs = client.Call("GET", CrawlerPath(name) + "/runs");
  if (!runs.ok()) return Fail("crawler describe", runs.status());
  if (opts.json) {
    json out = *r;
    out["runs"] = (*runs)["runs"];
    return PrintJson(out), 0;
  }
  json summary = *r;
  summary.erase("last_run");
  PrintObject(summary);
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : (*runs)["runs"]) {
    rows.push_back({Cell(run["id"]), Cell(run["status"]), Cell(run["started_at"]),
                    Cell(run["duration_ms"]), Cell(run["objects_read"]), Cell(run["records"]),
                    Cell(run["table_version"]), std::to_string(run["errors"].size())});
  }
  if (!rows.empty()) {
    std::printf("\n");
    PrintTable({"RUN", "STATUS", "STARTED", "MS", "OBJECTS", "RECORDS", "VERSION", "ERRORS"}, rows);
  }
  return 0;
}

int RunCrawler(const ClientOptions& opts, const std::string& name, bool no_wait) {
  auto progress = [](const json& run) {
    return "crawling: " + Cell(run["objects_read"]) + "/" + Cell(run["objects_total"]) + " objects, " +
           Cell(run["bytes_read"]) + "/" + Cell(run["bytes_total"]) + " bytes, " + Cell(run["records"]) +
           " records";
  };
  return StartAndFollowRun(opts, CrawlerPath(name), name, no_wait, {"crawler", PrintRun, progress});
}

}  // namespace

void AddCrawlerCommands(CLI::App* parent, CommandContext* ctx) {
  auto* crawler = parent->add_subcommand(
      "crawler", "Manage crawlers (Glue: infer tables and partitions from the lake)");
  crawler->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();

  auto args = std::make_shared<CreateArgs>();
  auto* create = crawler->add_subcommand("create", "Create a crawler over a prefix of the lake");
  AddDefinitionOptions(create, args.get(), /*create=*/true);
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateCrawler(*opts, *args); }; });

  auto update_args = std::make_shared<CreateArgs>();
  auto* update = crawler->add_subcommand("update",
                                         "Change a crawler: the options given replace its "
                                         "settings, the others stay (Glue's UpdateCrawler)");
  AddDefinitionOptions(update, update_args.get(), /*create=*/false);
  AddClientFlags(update, opts.get());
  update->callback([=] { ctx->run = [=] { return UpdateCrawler(*opts, *update_args); }; });

  auto* list = crawler->add_subcommand("list", "List crawlers");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListCrawlers(*opts); }; });

  auto* describe = crawler->add_subcommand("describe", "Show a crawler and its recent runs");
  describe->add_option("name", *name, "crawler name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeCrawler(*opts, *name); }; });

  auto no_wait = std::make_shared<bool>(false);
  auto* run = crawler->add_subcommand("run", "Run a crawler: read new objects, update the catalog");
  run->add_option("name", *name, "crawler name")->required();
  run->add_flag("--no-wait", *no_wait, "start the run and return its id");
  AddClientFlags(run, opts.get());
  run->callback([=] { ctx->run = [=] { return RunCrawler(*opts, *name, *no_wait); }; });

  auto* stop =
      crawler->add_subcommand("stop", "Cancel a crawler's running run (nothing is written)");
  stop->add_option("name", *name, "crawler name")->required();
  AddClientFlags(stop, opts.get());
  stop->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "crawler stop", "POST", CrawlerPath(*name) + "/stop", nullptr,
                           "stopping crawler " + *name);
    };
  });

  auto* del =
      crawler->add_subcommand("delete", "Delete a crawler (its table stays in the catalog)");
  del->add_option("name", *name, "crawler name")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "crawler delete", "DELETE", CrawlerPath(*name), nullptr,
                           "deleted crawler " + *name);
    };
  });
}

}  // namespace tributary::cli
