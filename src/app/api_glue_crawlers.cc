// Glue's operations that make and remove crawlers and databases, in AWS's JSON 1.1
// protocol beside the catalog's reads (api_glue.cc), so that the reference's crawler
// step is scripted with AWS's own tools from start to end:
//   aws glue create-crawler --name raw --role r --database-name iot
//       --targets '{"S3Targets": [{"Path": "s3://iot-data/raw/"}]}'
//   aws glue start-crawler --name raw; aws glue get-crawler --name raw; aws glue get-tables ...
// Operations: CreateCrawler, UpdateCrawler, DeleteCrawler, StopCrawler, CreateDatabase,
// UpdateDatabase, DeleteDatabase.
// A crawler here crawls one lake prefix into one table (lake/crawler_store.h); what
// Glue's crawlers do beyond that (JDBC, DynamoDB, catalog targets, classifiers,
// schedules) is refused naming the field, and what describes only AWS (the role,
// security and Lake Formation settings, tags) is taken and unused.
#include <cctype>
#include <set>

#include "app/aws_tags.h"
#include "app/glue_api.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/json_text.h"
#include "lake/catalog.h"
#include "lake/crawler_manager.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

// A Status as Glue answers these operations: a name in use is AlreadyExistsException.
HttpResponse CatalogWriteError(const Status& st) {
  if (st.code() == ErrorCode::kAlreadyExists) return GlueError(400, "AlreadyExistsException", st.message());
  return GlueError(st);
}


// Whether `j[key]` holds anything (an absent, null, empty array, object or string is nothing).
bool Given(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && !it->is_null() && !(it->is_array() && it->empty()) &&
         !(it->is_object() && it->empty()) && !(it->is_string() && it->get<std::string>().empty());
}

// Glue's DatabaseName names a database that must exist.
Status RequireDatabase(Server* server, const std::string& database) {
  auto db = server->catalog().GetDatabase(database);
  if (db.ok()) return Status::Ok();
  return db.status().code() == ErrorCode::kNotFound
             ? NotFound("DatabaseName: database '" + database + "' does not exist (CreateDatabase first)")
             : db.status();
}

Result<lake::CrawlerDefinition> ParseCreateCrawler(const json& body) {
  static const std::set<std::string> kKnown = {
      "Name", "Role", "DatabaseName", "Description", "Targets", "TablePrefix", "Tags", "Schedule", "Classifiers",
      "SchemaChangePolicy", "RecrawlPolicy", "LineageConfiguration", "LakeFormationConfiguration",
      "Configuration", "CrawlerSecurityConfiguration"};
  for (const auto& [key, value] : body.items()) {
    if (!kKnown.count(key)) return GlueFieldError(key, "unknown field");
  }
  lake::CrawlerDefinition c;
  TRY_ASSIGN(c.name, RequiredAwsString(body, "Name"));
  TRY_ASSIGN(c.database, RequiredAwsString(body, "DatabaseName"));
  if (Given(body, "Schedule")) {
    return GlueFieldError("Schedule", "crawlers run when started here (StartCrawler, `tributary crawler run`), not on a schedule");
  }
  if (Given(body, "Classifiers")) return GlueFieldError("Classifiers", "custom classifiers are not served: JSON and Parquet objects are read as they are");
  auto targets = body.find("Targets");
  if (targets == body.end() || !targets->is_object()) return GlueFieldError("Targets", "required: {\"S3Targets\": [{\"Path\": \"s3://bucket/prefix/\"}]}");
  for (const auto& [kind, list] : targets->items()) {
    if (kind != "S3Targets" && Given(*targets, kind.c_str())) {
      return GlueFieldError("Targets." + kind, "only S3Targets (a prefix of the lake) are crawled here");
    }
  }
  auto s3 = targets->find("S3Targets");
  if (s3 == targets->end() || !s3->is_array() || s3->size() != 1 || !(*s3)[0].is_object()) {
    return GlueFieldError("Targets.S3Targets", "one target is crawled per crawler here (make a crawler per prefix)");
  }
  const json& target = (*s3)[0];
  for (const auto& [key, value] : target.items()) {
    if (key != "Path" && key != "Exclusions" && key != "SampleSize" && key != "ConnectionName" &&
        key != "EventQueueArn" && key != "DlqEventQueueArn") {
      return GlueFieldError("Targets.S3Targets[0]." + key, "unknown field");
    }
  }
  for (const char* field : {"ConnectionName", "EventQueueArn", "DlqEventQueueArn"}) {
    if (Given(target, field)) {
      return GlueFieldError("Targets.S3Targets[0]." + std::string(field),
                    "connections and event queues are not served: the crawler lists the prefix");
    }
  }
  auto path = target.find("Path");
  if (path == target.end() || !path->is_string()) return GlueFieldError("Targets.S3Targets[0].Path", "required (s3://bucket/prefix/)");
  auto source = lake::LakePath::Parse(path->get<std::string>());
  if (!source.ok()) return source.status().WithContext("Targets.S3Targets[0].Path");
  c.source = *source;
  if (auto ex = target.find("Exclusions"); ex != target.end() && !ex->is_null()) {
    bool ok = ex->is_array();
    for (const auto& g : ok ? *ex : json::array()) ok = ok && g.is_string();
    if (!ok) return GlueFieldError("Targets.S3Targets[0].Exclusions", "must be an array of glob patterns (strings)");
    c.exclusions = ex->get<std::vector<std::string>>();
  }
  if (auto policy = body.find("SchemaChangePolicy"); policy != body.end() && !policy->is_null()) {
    if (!policy->is_object()) {
      return GlueFieldError("SchemaChangePolicy",
                            "must be {\"UpdateBehavior\": ..., \"DeleteBehavior\": ...}");
    }
    for (const auto& [key, value] : policy->items()) {
      const std::string field = "SchemaChangePolicy." + key;
      if (key != "UpdateBehavior" && key != "DeleteBehavior")
        return GlueFieldError(field, "unknown field");
      if (value.is_null()) continue;
      if (!value.is_string()) return GlueFieldError(field, "must be a string");
      if (key == "UpdateBehavior") {
        auto b = lake::ParseUpdateBehavior(value.get<std::string>());
        if (b.ok() && *b == lake::CrawlerDefinition::UpdateBehavior::kMergeNewColumns) {
          // Glue says "add new columns only" in Configuration, not here.
          b = InvalidArgument(
              "update behavior '" + value.get<std::string>() +
              "' is not one of UPDATE_IN_DATABASE, LOG (new columns only: Configuration's "
              "CrawlerOutput.Tables.AddOrUpdateBehavior MergeNewColumns)");
        }
        if (!b.ok()) return GlueFieldError(field, b.status().message());
        c.update_behavior = *b;
      } else {
        auto b = lake::ParseDeleteBehavior(value.get<std::string>());
        if (!b.ok()) return GlueFieldError(field, b.status().message());
        c.delete_behavior = *b;
      }
    }
  }
  // Configuration (a JSON text): CrawlerOutput.Tables.AddOrUpdateBehavior MergeNewColumns
  // is "add new columns only"; its other settings are taken and unused.
  if (auto config = body.find("Configuration"); config != body.end() && !config->is_null()) {
    if (!config->is_string()) return GlueFieldError("Configuration", "must be a string of JSON");
    if (Status deep = CheckJsonDepth(config->get<std::string>(), "the text"); !deep.ok()) {
      return GlueFieldError("Configuration", deep.message());
    }
    json parsed = json::parse(config->get<std::string>(), nullptr, false);
    if (!parsed.is_object()) return GlueFieldError("Configuration", "must be a JSON object");
    const json* tables = &parsed;
    for (const char* key : {"CrawlerOutput", "Tables", "AddOrUpdateBehavior"}) {
      auto it = tables->is_object() ? tables->find(key) : tables->end();
      tables = it == tables->end() ? nullptr : &*it;
      if (tables == nullptr) break;
    }
    if (tables != nullptr && *tables == "MergeNewColumns" &&
        c.update_behavior == lake::CrawlerDefinition::UpdateBehavior::kUpdateInDatabase) {
      c.update_behavior = lake::CrawlerDefinition::UpdateBehavior::kMergeNewColumns;
    }
  }
  if (auto prefix = body.find("TablePrefix"); prefix != body.end() && !prefix->is_null()) {
    if (!prefix->is_string()) return GlueFieldError("TablePrefix", "must be a string");
    // Glue names the table <prefix><the target's last folder>, in lower case.
    lake::CrawlerDefinition plain = c;
    c.table = prefix->get<std::string>() + plain.TableName();
    for (char& ch : c.table) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  c.created_ms = WallMillis();
  return c;
}

HttpResponse CreateCrawler(Server* server, const json& body) {
  auto crawler = ParseCreateCrawler(body);
  if (!crawler.ok()) return GlueError(crawler.status());
  auto tags = TagMapOf(body, "Tags");
  if (!tags.ok()) return GlueError(tags.status());
  if (Status st = RequireDatabase(server, crawler->database); !st.ok()) return GlueError(st);
  if (Status st = server->crawlers().Create(*crawler); !st.ok()) return CatalogWriteError(st);
  if (Status st = KeepTags(server, GlueArn("crawler/" + crawler->name), *tags); !st.ok()) return GlueError(st);
  return GlueOk(json::object());
}

// UpdateCrawler: the fields given replace the crawler's, the others stay (its database,
// target and table prefix). Refused as CreateCrawler refuses, and while it runs
// (CrawlerRunningException). A new target path forgets what the crawler had read: its next
// run reads the new prefix whole.
HttpResponse UpdateCrawler(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  if (body.contains("Tags")) return GlueError(GlueFieldError("Tags", "unknown field (TagResource changes a crawler's tags)"));
  auto existing = server->crawlers().Get(*name);
  if (!existing.ok()) return GlueError(existing.status());
  json merged = body;
  if (!Given(body, "DatabaseName")) merged["DatabaseName"] = existing->database;
  if (!Given(body, "Targets")) {
    merged["Targets"] = {{"S3Targets", {{{"Path", existing->source.ToUri()}, {"Exclusions", existing->exclusions}}}}};
  }
  // A policy's behaviours not given stay as they were.
  json policy = Given(body, "SchemaChangePolicy") && body["SchemaChangePolicy"].is_object()
                    ? body["SchemaChangePolicy"]
                    : json::object();
  // "Add new columns only" is UPDATE_IN_DATABASE and a Configuration: kept unless the
  // request gives an UpdateBehavior or a Configuration of its own.
  if (!Given(policy, "UpdateBehavior") &&
      existing->update_behavior == lake::CrawlerDefinition::UpdateBehavior::kMergeNewColumns) {
    policy["UpdateBehavior"] = "UPDATE_IN_DATABASE";
    if (!Given(body, "Configuration"))
      merged["Configuration"] = std::string(kMergeNewColumnsConfiguration);
  }
  if (!Given(policy, "UpdateBehavior"))
    policy["UpdateBehavior"] = lake::UpdateBehaviorName(existing->update_behavior);
  if (!Given(policy, "DeleteBehavior"))
    policy["DeleteBehavior"] = lake::DeleteBehaviorName(existing->delete_behavior);
  if (!Given(body, "SchemaChangePolicy") || body["SchemaChangePolicy"].is_object())
    merged["SchemaChangePolicy"] = policy;
  if (!body.contains("TablePrefix")) {
    // The prefix the table was named with: what comes before the old target's folder name.
    lake::CrawlerDefinition plain = *existing;
    plain.table.clear();
    const std::string folder = plain.TableName();
    if (existing->table.size() >= folder.size() &&
        existing->table.compare(existing->table.size() - folder.size(), folder.size(), folder) == 0) {
      merged["TablePrefix"] = existing->table.substr(0, existing->table.size() - folder.size());
    }
  }
  auto crawler = ParseCreateCrawler(merged);
  if (!crawler.ok()) return GlueError(crawler.status());
  if (!merged.contains("TablePrefix")) crawler->table = existing->table;  // named by hand
  crawler->created_ms = existing->created_ms;
  if (Status st = RequireDatabase(server, crawler->database); !st.ok()) return GlueError(st);
  if (Status st = server->crawlers().Update(*crawler); !st.ok()) return GlueError(st);  // running: CrawlerRunningException
  return GlueOk(json::object());
}

HttpResponse DeleteCrawler(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  if (Status st = server->crawlers().Delete(*name); !st.ok()) return GlueError(st);  // running: CrawlerRunningException
  ForgetTags(server, GlueArn("crawler/" + *name));
  return GlueOk(json::object());
}

HttpResponse StopCrawler(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  Status st = server->crawlers().Stop(*name);
  if (st.code() == ErrorCode::kFailedPrecondition) return GlueError(400, "CrawlerNotRunningException", st.message());
  if (!st.ok()) return GlueError(st);
  return GlueOk(json::object());
}

HttpResponse CreateDatabase(Server* server, const json& body) {
  auto input = body.find("DatabaseInput");
  if (input == body.end() || !input->is_object()) return GlueError(InvalidArgument("DatabaseInput is required (an object with Name)"));
  auto name = RequiredAwsString(*input, "Name");
  if (!name.ok()) return GlueError(name.status().WithContext("DatabaseInput"));
  if (Given(*input, "LocationUri") || Given(*input, "TargetDatabase") || Given(*input, "FederatedDatabase")) {
    return GlueError(InvalidArgument("DatabaseInput: LocationUri, TargetDatabase and FederatedDatabase are not served: "
                                     "a database here is a name for its tables"));
  }
  auto tags = TagMapOf(body, "Tags");
  if (!tags.ok()) return GlueError(tags.status());
  auto created = server->catalog().CreateDatabase(*name, input->value("Description", ""));
  if (!created.ok()) return CatalogWriteError(created.status());
  if (Status st = KeepTags(server, GlueArn("database/" + *name), *tags); !st.ok()) return GlueError(st);
  return GlueOk(json::object());
}

// UpdateDatabase: the description of a database that exists (Name); DatabaseInput.Name is
// the same name (a database is not renamed here), and what CreateDatabase refuses is
// refused here too.
HttpResponse UpdateDatabase(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  auto input = body.find("DatabaseInput");
  if (input == body.end() || !input->is_object()) return GlueError(InvalidArgument("DatabaseInput is required (an object with Name)"));
  auto new_name = RequiredAwsString(*input, "Name");
  if (!new_name.ok()) return GlueError(new_name.status().WithContext("DatabaseInput"));
  if (*new_name != *name) {
    return GlueError(GlueFieldError("DatabaseInput.Name", "'" + *new_name + "' is not '" + *name +
                                                             "': a database is not renamed (create one and move the tables)"));
  }
  if (Given(*input, "LocationUri") || Given(*input, "TargetDatabase") || Given(*input, "FederatedDatabase")) {
    return GlueError(InvalidArgument("DatabaseInput: LocationUri, TargetDatabase and FederatedDatabase are not served: "
                                     "a database here is a name for its tables"));
  }
  if (Status st = server->catalog().SetDatabaseDescription(*name, input->value("Description", "")); !st.ok()) {
    return GlueError(st);
  }
  return GlueOk(json::object());
}

HttpResponse DeleteDatabase(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  // As Glue: the database's tables and their partitions go with it (and their tags).
  auto tables = server->catalog().ListTables(*name);
  if (Status st = server->catalog().DeleteDatabase(*name, /*cascade=*/true); !st.ok()) return GlueError(st);
  for (const lake::Table& t : tables.ok() ? *tables : std::vector<lake::Table>{}) {
    ForgetTags(server, GlueArn("table/" + t.database + "/" + t.name));
  }
  ForgetTags(server, GlueArn("database/" + *name));
  return GlueOk(json::object());
}

}  // namespace

std::optional<HttpResponse> HandleGlueCatalogWrite(Server* server, std::string_view op, const json& body) {
  if (op == "CreateCrawler") return CreateCrawler(server, body);
  if (op == "DeleteCrawler") return DeleteCrawler(server, body);
  if (op == "UpdateCrawler") return UpdateCrawler(server, body);
  if (op == "StopCrawler") return StopCrawler(server, body);
  if (op == "CreateDatabase") return CreateDatabase(server, body);
  if (op == "DeleteDatabase") return DeleteDatabase(server, body);
  if (op == "UpdateDatabase") return UpdateDatabase(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
