// /v1/catalog and /v1/crawlers: the data catalog and its crawlers over HTTP, after
// Glue's GetDatabases, GetTables, GetTable, GetTableVersions, GetPartitions and
// CreateCrawler, StartCrawler, StopCrawler, GetCrawler, DeleteCrawler:
//   GET    /v1/catalog/databases
//   GET    /v1/catalog/tables[?database=D]
//   GET    /v1/catalog/databases/{db}/tables/{table}   -> table + versions + partitions
//   POST   /v1/crawlers            {"name", "source": "s3://b/p/", "database", "table"?,
//   "exclusions"?: ["deepar/**"],
//                                    "update_behavior"?:
//                                    "UPDATE_IN_DATABASE"|"MERGE_NEW_COLUMNS"|"LOG",
//                                    "delete_behavior"?:
//                                    "DELETE_FROM_DATABASE"|"LOG"|"DEPRECATE_IN_DATABASE"}
//   GET    /v1/crawlers            GET /v1/crawlers/{name}   DELETE /v1/crawlers/{name}
//   POST   /v1/crawlers/{name}/run -> 202 {"run_id"}  (the crawl goes on a worker thread)
//   POST   /v1/crawlers/{name}/stop
//   GET    /v1/crawlers/{name}/runs[/{id}]
#include "app/aws_tags.h"
#include "app/api.h"
#include "app/server.h"
#include "base/clock.h"
#include "lake/catalog.h"
#include "lake/crawler_manager.h"

namespace tributary::app {

namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

json ColumnsJson(const std::vector<lake::Column>& columns) {
  json out = json::array();
  for (const auto& c : columns) {
    json col = {{"name", c.name}, {"type", c.type}};
    if (!c.comment.empty()) col["comment"] = c.comment;
    out.push_back(col);
  }
  return out;
}

json TableJson(const lake::Table& t) {
  return {{"database", t.database},
          {"name", t.name},
          {"columns", ColumnsJson(t.columns)},
          {"partition_keys", ColumnsJson(t.partition_keys)},
          {"location", t.location.ToUri()},
          {"format", std::string(lake::DataFormatName(t.format))},
          {"compression", t.compression},
          {"record_count", t.record_count},
          {"object_count", t.object_count},
          {"size_bytes", t.size_bytes},
          {"last_crawl_ms", t.last_crawl_ms},
          {"last_crawl", t.last_crawl_ms ? FormatIso8601Millis(t.last_crawl_ms) : ""},
          {"version", t.version},
          {"created_ms", t.created_ms},
          {"updated_ms", t.updated_ms},
          {"parameters", t.parameters}};
}

json PartitionJson(const lake::Partition& p) {
  return {{"values", p.values},
          {"location", p.location.ToUri()},
          {"record_count", p.record_count},
          {"object_count", p.object_count},
          {"size_bytes", p.size_bytes},
          {"updated_ms", p.updated_ms}};
}

HttpResponse DescribeTable(Server* server, HttpRequest& req) {
  const std::string& db = req.params["db"];
  const std::string& name = req.params["table"];
  auto table = server->catalog().GetTable(db, name);
  if (!table.ok()) return ErrorResponse(table.status());
  auto versions = server->catalog().ListVersions(db, name);
  if (!versions.ok()) return ErrorResponse(versions.status());
  auto partitions = server->catalog().ListPartitions(db, name);
  if (!partitions.ok()) return ErrorResponse(partitions.status());
  json body = TableJson(*table);
  json vs = json::array();
  for (const auto& v : *versions) {
    vs.push_back({{"version", v.version},
                  {"columns", ColumnsJson(v.columns)},
                  {"partition_keys", ColumnsJson(v.partition_keys)},
                  {"created_ms", v.created_ms},
                  {"created_by", v.created_by}});
  }
  json ps = json::array();
  for (const auto& p : *partitions) ps.push_back(PartitionJson(p));
  body["versions"] = vs;
  body["partitions"] = ps;
  return JsonResponse(body);
}

json CrawlerJson(Server* server, const lake::CrawlerDefinition& c) {
  json out = lake::ToJson(c);
  auto running = server->crawlers().Running(c.name);
  out["state"] = running ? "running" : "ready";
  auto runs = server->crawlers().ListRuns(c.name, 1);
  if (runs.ok() && !runs->empty()) out["last_run"] = lake::ToJson(runs->front());
  return out;
}

// The fields of a crawler's definition a request body gives, over `c`: source, database,
// table, exclusions, update_behavior, delete_behavior (each optional here).
Status ReadCrawlerFields(const json& body, lake::CrawlerDefinition* c) {
  auto text = [&](const char* key, std::string* out) -> Status {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return InvalidArgument("'" + std::string(key) + "' must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  std::string source;
  TRY(text("source", &source));
  if (!source.empty()) {
    auto path = lake::LakePath::Parse(source);
    if (!path.ok()) return path.status().WithContext("source");
    c->source = *path;
  }
  TRY(text("database", &c->database));
  TRY(text("table", &c->table));
  if (auto it = body.find("exclusions"); it != body.end() && !it->is_null()) {
    bool ok = it->is_array();
    for (const auto& g : ok ? *it : json::array()) ok = ok && g.is_string();
    if (!ok) return InvalidArgument("'exclusions' must be an array of glob patterns (strings)");
    c->exclusions = it->get<std::vector<std::string>>();
  }
  // The schema change policy's two behaviours, by Glue's names.
  auto behavior = [&](const char* key, auto parse, auto* out) -> Status {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return InvalidArgument(std::string(key) + ": must be a string");
    auto b = parse(it->template get<std::string>());
    if (!b.ok()) return b.status().WithContext(key);
    *out = *b;
    return Status::Ok();
  };
  TRY(behavior("update_behavior", lake::ParseUpdateBehavior, &c->update_behavior));
  return behavior("delete_behavior", lake::ParseDeleteBehavior, &c->delete_behavior);
}

HttpResponse CreateCrawler(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object() || !(*body)["name"].is_string() || !(*body)["source"].is_string() ||
      !(*body)["database"].is_string()) {
    return ErrorResponse(
        InvalidArgument("request body needs string fields 'name', 'source' (a lake path) and "
                        "'database'; 'table' is optional"));
  }
  lake::CrawlerDefinition c;
  c.name = (*body)["name"].get<std::string>();
  if (Status st = ReadCrawlerFields(*body, &c); !st.ok()) return ErrorResponse(st);
  c.created_ms = WallMillis();
  Status st = server->crawlers().Create(c);
  if (!st.ok()) return ErrorResponse(st);
  return JsonResponse(CrawlerJson(server, c), 201);
}

// The fields given replace the crawler's; the others stay. A new source forgets what it
// had read (CrawlerStore::Update); refused while it runs.
HttpResponse UpdateCrawler(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object())
    return ErrorResponse(InvalidArgument("request body must be a JSON object"));
  auto c = server->crawlers().Get(req.params["name"]);
  if (!c.ok()) return ErrorResponse(c.status());
  if (auto it = body->find("name"); it != body->end() && *it != c->name) {
    return ErrorResponse(InvalidArgument("'name' cannot change (delete and create the crawler)"));
  }
  if (Status st = ReadCrawlerFields(*body, &*c); !st.ok()) return ErrorResponse(st);
  if (Status st = server->crawlers().Update(*c); !st.ok()) return ErrorResponse(st);
  return JsonResponse(CrawlerJson(server, *c));
}

}  // namespace

void AddCatalogRoutes(net::Router* router, Server* server) {
  router->Add("GET", "/v1/catalog/databases", [server](HttpRequest&) {
    auto dbs = server->catalog().ListDatabases();
    if (!dbs.ok()) return ErrorResponse(dbs.status());
    json list = json::array();
    for (const auto& d : *dbs) {
      auto tables = server->catalog().ListTables(d.name);
      list.push_back({{"name", d.name},
                      {"description", d.description},
                      {"created_ms", d.created_ms},
                      {"tables", tables.ok() ? tables->size() : 0}});
    }
    return JsonResponse({{"databases", list}});
  });
  router->Add("GET", "/v1/catalog/tables", [server](HttpRequest& req) {
    auto it = req.query.find("database");
    auto tables = server->catalog().ListTables(it == req.query.end() ? "" : it->second);
    if (!tables.ok()) return ErrorResponse(tables.status());
    json list = json::array();
    for (const auto& t : *tables) list.push_back(TableJson(t));
    return JsonResponse({{"tables", list}});
  });
  router->Add("GET", "/v1/catalog/databases/{db}/tables/{table}",
              [server](HttpRequest& req) { return DescribeTable(server, req); });

  router->Add("POST", "/v1/crawlers",
              [server](HttpRequest& req) { return CreateCrawler(server, req); });
  router->Add("GET", "/v1/crawlers", [server](HttpRequest&) {
    auto crawlers = server->crawlers().List();
    if (!crawlers.ok()) return ErrorResponse(crawlers.status());
    json list = json::array();
    for (const auto& c : *crawlers) list.push_back(CrawlerJson(server, c));
    return JsonResponse({{"crawlers", list}});
  });
  router->Add("GET", "/v1/crawlers/{name}", [server](HttpRequest& req) {
    auto c = server->crawlers().Get(req.params["name"]);
    if (!c.ok()) return ErrorResponse(c.status());
    return JsonResponse(CrawlerJson(server, *c));
  });
  router->Add("PATCH", "/v1/crawlers/{name}",
              [server](HttpRequest& req) { return UpdateCrawler(server, req); });
  router->Add("DELETE", "/v1/crawlers/{name}", [server](HttpRequest& req) {
    Status st = server->crawlers().Delete(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    ForgetTags(server, GlueArn("crawler/" + req.params["name"]));  // Glue's tags on it
    return JsonResponse({{"name", req.params["name"]}, {"deleted", true}});
  });
  router->Add("POST", "/v1/crawlers/{name}/run", [server](HttpRequest& req) {
    auto id = server->crawlers().Start(req.params["name"]);
    if (!id.ok()) return ErrorResponse(id.status());
    return JsonResponse({{"crawler", req.params["name"]}, {"run_id", *id}}, 202);
  });
  router->Add("POST", "/v1/crawlers/{name}/stop", [server](HttpRequest& req) {
    Status st = server->crawlers().Stop(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"crawler", req.params["name"]}, {"stopping", true}});
  });
  router->Add("GET", "/v1/crawlers/{name}/runs", [server](HttpRequest& req) {
    auto runs = server->crawlers().ListRuns(req.params["name"]);
    if (!runs.ok()) return ErrorResponse(runs.status());
    json list = json::array();
    for (const auto& r : *runs) list.push_back(lake::ToJson(r));
    return JsonResponse({{"runs", list}});
  });
  router->Add("GET", "/v1/crawlers/{name}/runs/{id}", [server](HttpRequest& req) {
    int64_t id = 0;
    try {
      id = std::stoll(req.params["id"]);
    } catch (const std::exception&) {
      return ErrorResponse(InvalidArgument("run id '" + req.params["id"] + "' is not a number"));
    }
    auto run = server->crawlers().GetRun(req.params["name"], id);
    if (!run.ok()) return ErrorResponse(run.status());
    return JsonResponse(lake::ToJson(*run));
  });
}

}  // namespace tributary::app
