// AWS Glue's Data Catalog and crawlers in AWS's JSON 1.1 protocol (aws_api.h, X-Amz-Target
// "AWSGlue.<operation>"), so that tools that read a Glue catalog (the AWS SDKs' and CLI's
// Glue client, query engines' Glue catalog connectors) read Tributary's, and the
// reference's "run the crawler" step works with AWS's own tools:
//   GetDatabases, GetDatabase, GetTables (Expression: a regular expression over names),
//   GetTable, GetTableVersions, GetTableVersion (the schema history crawlers, jobs and
//   UpdateTable made), GetPartitions, GetPartition, BatchGetPartition, GetCrawler, GetCrawlers, StartCrawler;
//   the operations that make and remove crawlers and databases (api_glue_crawlers.cc),
//   tables defined by hand (api_glue_tables.cc); and the ETL jobs' operations
//   (api_glue_jobs.cc).
// Tables are made by crawlers, ETL jobs and CreateTable. Control server only (the
// catalog's crawlers and the jobs run there).
#include <cstdint>
#include <limits>
#include <regex>

#include "app/api.h"
#include "app/aws_api.h"
#include "app/aws_tags.h"
#include "app/glue_api.h"
#include "app/name_paging.h"
#include "app/server.h"
#include "base/ascii.h"
#include "base/aws_arn.h"
#include "base/fnv1a.h"
#include "lake/catalog.h"
#include "lake/crawler_manager.h"
#include "lake/partition_filter.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

json DatabaseJson(const lake::CatalogDatabase& d) {
  json j = {
      {"Name", d.name}, {"CreateTime", EpochSeconds(d.created_ms)}, {"CatalogId", kAwsAccountId}};
  if (!d.description.empty()) j["Description"] = d.description;
  return j;
}

json ColumnsJson(const std::vector<lake::Column>& columns) {
  json list = json::array();
  for (const lake::Column& c : columns) {
    json col = {{"Name", c.name}, {"Type", c.type}};
    if (!c.comment.empty()) col["Comment"] = c.comment;
    list.push_back(col);
  }
  return list;
}

// The Hive storage a format is read with, as Glue's crawlers write it.
json StorageJson(const lake::Table& t, const lake::LakePath& location) {
  const bool parquet = t.format == lake::DataFormat::kParquet;
  json serde = {{"SerializationLibrary", parquet ? "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                                                 : "org.openx.data.jsonserde.JsonSerDe"},
                {"Parameters", json::object()}};
  return {{"Columns", ColumnsJson(t.columns)},
          {"Location", location.ToUri()},
          {"InputFormat", parquet ? "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
                                  : "org.apache.hadoop.mapred.TextInputFormat"},
          {"OutputFormat", parquet ? "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
                                   : "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"},
          {"Compressed", !t.compression.empty() && t.compression != "none"},
          {"NumberOfBuckets", -1},
          {"SerdeInfo", serde},
          {"StoredAsSubDirectories", false}};
}

json TableJson(const lake::Table& t) {
  json parameters = json::object();
  for (const auto& [k, v] : t.parameters) parameters[k] = v;
  parameters["classification"] = std::string(lake::DataFormatName(t.format));
  if (!t.compression.empty()) parameters["compressionType"] = t.compression;
  parameters["recordCount"] = std::to_string(t.record_count);
  parameters["objectCount"] = std::to_string(t.object_count);
  parameters["sizeKey"] = std::to_string(t.size_bytes);
  json j = {{"Name", t.name},
            {"DatabaseName", t.database},
            {"CatalogId", kAwsAccountId},
            {"CreateTime", EpochSeconds(t.created_ms)},
            {"UpdateTime", EpochSeconds(t.updated_ms)},
            {"Retention", 0},
            {"StorageDescriptor", StorageJson(t, t.location)},
            {"PartitionKeys", ColumnsJson(t.partition_keys)},
            {"TableType", "EXTERNAL_TABLE"},
            {"Parameters", parameters},
            {"VersionId", std::to_string(t.version)}};
  // A description given to CreateTable or UpdateTable (api_glue_tables.cc), kept as Hive's "comment".
  if (auto comment = t.parameters.find("comment"); comment != t.parameters.end()) j["Description"] = comment->second;
  return j;
}

json PartitionJson(const lake::Table& t, const lake::Partition& p) {
  return {{"Values", p.values},
          {"DatabaseName", t.database},
          {"TableName", t.name},
          {"CatalogId", kAwsAccountId},
          {"CreationTime", EpochSeconds(p.created_ms)},
          {"StorageDescriptor", StorageJson(t, p.location)},
          {"Parameters",
           {{"recordCount", std::to_string(p.record_count)},
            {"objectCount", std::to_string(p.object_count)},
            {"sizeKey", std::to_string(p.size_bytes)}}}};
}

// Glue's crawler states from the last run: RUNNING while one runs, else READY with its
// outcome as LastCrawl.
json CrawlerJson(Server* server, const lake::CrawlerDefinition& c) {
  const bool merge = c.update_behavior == lake::CrawlerDefinition::UpdateBehavior::kMergeNewColumns;
  json crawler = {
      {"Name", c.name},
      {"DatabaseName", c.database},
      {"Targets", {{"S3Targets", {{{"Path", c.source.ToUri()}, {"Exclusions", c.exclusions}}}}}},
      {"CreationTime", EpochSeconds(c.created_ms)},
      {"SchemaChangePolicy",
       {{"UpdateBehavior", merge ? std::string_view("UPDATE_IN_DATABASE")
                                 : lake::UpdateBehaviorName(c.update_behavior)},
        {"DeleteBehavior", lake::DeleteBehaviorName(c.delete_behavior)}}},
      {"State", "READY"}};
  // "Add new columns only" is Glue's UPDATE_IN_DATABASE with this configuration.
  if (merge) crawler["Configuration"] = std::string(kMergeNewColumnsConfiguration);
  // The latest run, and while it runs the one before it: LastCrawl stays the last
  // finished crawl's, as Glue shows it.
  auto runs = server->crawlers().ListRuns(c.name, 2);
  if (!runs.ok()) return crawler;
  for (const lake::CrawlRun& run : *runs) {
    if (run.status == lake::RunStatus::kRunning) {
      crawler["State"] = "RUNNING";
    } else {
      std::string_view status = run.status == lake::RunStatus::kSucceeded ? "SUCCEEDED"
                                : run.status == lake::RunStatus::kFailed  ? "FAILED"
                                                                          : "CANCELLED";
      json last = {{"Status", status}, {"StartTime", EpochSeconds(run.started_ms)}};
      if (!run.message.empty()) last["ErrorMessage"] = run.message;
      crawler["LastCrawl"] = last;
      break;
    }
  }
  return crawler;
}

HttpResponse GetDatabases(Server* server, const json& body) {
  auto paging = GluePagingOf(body, 100, 100);
  if (!paging.ok()) return GlueError(paging.status());
  auto dbs = server->catalog().ListDatabases();
  if (!dbs.ok()) return GlueError(dbs.status());
  return GlueOk(GluePage(*dbs, *paging, [](const lake::CatalogDatabase& d) { return d.name; }, DatabaseJson, "DatabaseList"));
}

HttpResponse GetDatabase(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  auto db = server->catalog().GetDatabase(*name);
  if (!db.ok()) return GlueError(db.status());
  return GlueOk({{"Database", DatabaseJson(*db)}});
}

// GetUserDefinedFunctions, which the Hive and Spark Glue catalog clients call as they start
// (Hive's function registry): the catalog holds no functions, so the answer is none, for a
// database that exists (or every database when DatabaseName is left out). Pattern is
// required, as Glue requires it.
HttpResponse GetUserDefinedFunctions(Server* server, const json& body) {
  auto pattern = RequiredAwsString(body, "Pattern");
  if (!pattern.ok()) return GlueError(pattern.status());
  if (auto it = body.find("DatabaseName"); it != body.end() && !it->is_null()) {
    auto database = RequiredAwsString(body, "DatabaseName");
    if (!database.ok()) return GlueError(database.status());
    if (auto db = server->catalog().GetDatabase(*database); !db.ok()) return GlueError(db.status());
  }
  auto paging = GluePagingOf(body, 100, 100);
  if (!paging.ok()) return GlueError(paging.status());
  return GlueOk({{"UserDefinedFunctions", json::array()}});
}

HttpResponse GetTables(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto paging = GluePagingOf(body, 100, 100);
  if (!paging.ok()) return GlueError(paging.status());
  // Expression: a regular expression a table's whole name must match (Glue's pattern).
  // Hive's clients send globs ("*", "read*|events"): a '*' that does not repeat
  // something is read as ".*".
  std::optional<std::regex> pattern;
  if (auto it = body.find("Expression"); it != body.end()) {
    if (!it->is_string()) return GlueError(InvalidArgument("Expression: expected a string"));
    const std::string expression = it->get<std::string>();
    try {
      pattern.emplace(expression, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error&) {
      std::string glob;
      for (char ch : expression) glob += ch == '*' ? std::string(".*") : std::string(1, ch);
      try {
        pattern.emplace(glob, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        return GlueError(InvalidArgument("Expression '" + expression + "' is not a regular expression: " + e.what()));
      }
    }
  }
  if (auto db = server->catalog().GetDatabase(*database); !db.ok()) return GlueError(db.status());
  auto tables = server->catalog().ListTables(*database);
  if (!tables.ok()) return GlueError(tables.status());
  std::vector<lake::Table> matching;
  for (lake::Table& t : *tables) {
    if (!pattern || std::regex_match(t.name, *pattern)) matching.push_back(std::move(t));
  }
  return GlueOk(GluePage(matching, *paging, [](const lake::Table& t) { return t.name; }, TableJson, "TableList"));
}

HttpResponse GetTable(Server* server, const json& body) {
  auto table = GlueTableOf(server, body, "Name");
  if (!table.ok()) return GlueError(table.status());
  return GlueOk({{"Table", TableJson(*table)}});
}

// The table as it was at `v`: its columns and partition keys then, VersionId v.
json TableAtVersion(lake::Table t, const lake::TableVersion& v) {
  t.columns = v.columns;
  t.partition_keys = v.partition_keys;
  t.version = v.version;
  if (v.created_ms > 0) t.updated_ms = v.created_ms;
  return {{"Table", TableJson(t)}, {"VersionId", std::to_string(v.version)}};
}

// GetTableVersions: newest first, as Glue lists them; NextToken the version to go on below.
HttpResponse GetTableVersions(Server* server, const json& body) {
  auto paging = GluePagingOf(body, 100, 100);
  if (!paging.ok()) return GlueError(paging.status());
  int64_t below = std::numeric_limits<int64_t>::max();
  if (!paging->after.empty()) {
    if (paging->after.find_first_not_of("0123456789") != std::string::npos || paging->after.size() > 18) {
      return GlueError(InvalidArgument("NextToken '" + paging->after + "' is not one this operation gave"));
    }
    below = std::stoll(paging->after);
  }
  auto table = GlueTableOf(server, body);
  if (!table.ok()) return GlueError(table.status());
  auto versions = server->catalog().ListVersions(table->database, table->name);
  if (!versions.ok()) return GlueError(versions.status());
  json list = json::array();
  json out = json::object();
  int64_t last = 0;  // the version listed last
  for (auto v = versions->rbegin(); v != versions->rend(); ++v) {
    if (v->version >= below) continue;
    if (list.size() == paging->max) {
      out["NextToken"] = std::to_string(last);
      break;
    }
    list.push_back(TableAtVersion(*table, *v));
    last = v->version;
  }
  out["TableVersions"] = list;
  return GlueOk(out);
}

// GetTableVersion: one version, the current one without VersionId.
HttpResponse GetTableVersion(Server* server, const json& body) {
  auto table = GlueTableOf(server, body);
  if (!table.ok()) return GlueError(table.status());
  int64_t version = table->version;
  if (auto it = body.find("VersionId"); it != body.end() && !it->is_null()) {
    const std::string text = it->is_string() ? it->get<std::string>() : std::string();
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
      return GlueError(InvalidArgument("VersionId: expected a version number as a string, such as \"1\""));
    }
    version = std::stoll(text);
  }
  auto v = server->catalog().GetVersion(table->database, table->name, version);
  if (!v.ok()) return GlueError(v.status());
  return GlueOk({{"TableVersion", TableAtVersion(*table, *v)}});
}

// GetPartitions' Expression, the predicate query engines push down (lake/partition_filter.h):
// the partitions it is not true of are dropped; one that does not parse is InvalidArgument
// naming the column and what was expected.
Status KeepPartitionsMatching(const lake::Table& table, const std::string& expression,
                              std::vector<lake::Partition>* partitions) {
  auto filter = lake::PartitionFilter::Parse(expression, table.partition_keys);
  if (!filter.ok()) return InvalidArgument("Expression '" + expression + "': " + filter.status().message());
  std::erase_if(*partitions, [&](const lake::Partition& p) { return !filter->Matches(p.values); });
  return Status::Ok();
}

// GetPartitions' Segment {SegmentNumber, TotalSegments (1..10)}: clients that list a large
// table's partitions in parallel (the Glue catalog client of Hive and Spark) ask for each
// segment at once. A partition's segment is a hash of its values, so the segments are
// disjoint, cover the table and stay so while partitions come and go.
struct Segment {
  int number = 0;
  int total = 1;
};

Result<Segment> SegmentOf(const json& body) {
  Segment s;
  auto it = body.find("Segment");
  if (it == body.end() || it->is_null()) return s;
  if (!it->is_object()) return InvalidArgument("Segment: expected {SegmentNumber, TotalSegments}");
  auto field = [&](const char* name, int lo, int hi, int* out) -> Status {
    auto f = it->find(name);
    if (f == it->end() || !f->is_number_integer()) return InvalidArgument(std::string("Segment.") + name + ": required, an integer");
    int64_t v = f->get<int64_t>();
    if (v < lo || v > hi) {
      return InvalidArgument(std::string("Segment.") + name + ": " + std::to_string(v) + " is not in " + std::to_string(lo) +
                             ".." + std::to_string(hi));
    }
    *out = static_cast<int>(v);
    return Status::Ok();
  };
  TRY(field("TotalSegments", 1, 10, &s.total));
  TRY(field("SegmentNumber", 0, s.total - 1, &s.number));
  return s;
}

int SegmentOfValues(const std::vector<std::string>& values, int total) {
  uint64_t h = kFnv1a64Start;
  for (const std::string& v : values) h = Fnv1a64(std::string_view("\0", 1), Fnv1a64(v, h));
  return static_cast<int>(h % static_cast<uint64_t>(total));
}

HttpResponse GetPartitions(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto name = RequiredAwsString(body, "TableName");
  if (!name.ok()) return GlueError(name.status());
  auto segment = SegmentOf(body);
  if (!segment.ok()) return GlueError(segment.status());
  auto paging = GluePagingOf(body, 1000, 1000);
  if (!paging.ok()) return GlueError(paging.status());
  auto table = server->catalog().GetTable(*database, *name);
  if (!table.ok()) return GlueError(table.status());
  auto partitions = server->catalog().ListPartitions(*database, *name);
  if (!partitions.ok()) return GlueError(partitions.status());
  if (auto it = body.find("Expression"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return GlueError(InvalidArgument("Expression: expected a string"));
    Status st = KeepPartitionsMatching(*table, it->get<std::string>(), &*partitions);
    if (!st.ok()) return GlueError(st);
  }
  if (segment->total > 1) {
    std::erase_if(*partitions, [&](const lake::Partition& p) { return SegmentOfValues(p.values, segment->total) != segment->number; });
  }
  // The token is the position after the page (partitions are in value order).
  auto position = PositionToken(paging->after);
  if (!position.ok()) return GlueError(position.status());
  const size_t start = *position;
  json list = json::array();
  size_t i = start;
  for (; i < partitions->size() && list.size() < paging->max; ++i) list.push_back(PartitionJson(*table, (*partitions)[i]));
  json out = {{"Partitions", list}};
  if (i < partitions->size()) out["NextToken"] = std::to_string(i);
  return GlueOk(out);
}

HttpResponse GetPartition(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto name = RequiredAwsString(body, "TableName");
  if (!name.ok()) return GlueError(name.status());
  auto it = body.find("PartitionValues");
  if (it == body.end() || !it->is_array()) return GlueError(InvalidArgument("PartitionValues is required (an array of strings)"));
  std::vector<std::string> values;
  for (const json& v : *it) {
    if (!v.is_string()) return GlueError(InvalidArgument("PartitionValues: expected strings"));
    values.push_back(v.get<std::string>());
  }
  auto table = server->catalog().GetTable(*database, *name);
  if (!table.ok()) return GlueError(table.status());
  auto partition = server->catalog().GetPartition(*database, *name, values);
  if (!partition.ok()) return GlueError(partition.status());
  return GlueOk({{"Partition", PartitionJson(*table, *partition)}});
}

// BatchGetPartition: the partitions PartitionsToGet names (1..1000 {Values}), in the order
// asked; one that does not exist is left out, as Glue leaves it (UnprocessedKeys stays
// empty: every key is processed).
HttpResponse BatchGetPartition(Server* server, const json& body) {
  auto table = GlueTableOf(server, body);
  if (!table.ok()) return GlueError(table.status());
  auto list = body.find("PartitionsToGet");
  if (list == body.end() || !list->is_array() || list->empty() || list->size() > 1000) {
    return GlueError(GlueFieldError("PartitionsToGet", "required: 1..1000 {\"Values\": [...]}"));
  }
  json partitions = json::array();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    auto values = GluePartitionValues(item.is_object() ? item.value("Values", json()) : json(),
                                      "PartitionsToGet[" + std::to_string(i) + "].Values");
    if (!values.ok()) return GlueError(values.status());
    auto partition = server->catalog().GetPartition(table->database, table->name, *values);
    if (partition.ok()) {
      partitions.push_back(PartitionJson(*table, *partition));
    } else if (partition.status().code() != ErrorCode::kNotFound) {
      return GlueError(partition.status());
    }
  }
  return GlueOk({{"Partitions", partitions}, {"UnprocessedKeys", json::array()}});
}

HttpResponse GetCrawler(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  auto crawler = server->crawlers().Get(*name);
  if (!crawler.ok()) return GlueError(crawler.status());
  return GlueOk({{"Crawler", CrawlerJson(server, *crawler)}});
}

HttpResponse GetCrawlers(Server* server, const json& body) {
  auto paging = GluePagingOf(body, 100, 1000);
  if (!paging.ok()) return GlueError(paging.status());
  auto crawlers = server->crawlers().List();
  if (!crawlers.ok()) return GlueError(crawlers.status());
  return GlueOk(GluePage(*crawlers, *paging, [](const lake::CrawlerDefinition& c) { return c.name; },
                 [server](const lake::CrawlerDefinition& c) { return CrawlerJson(server, c); }, "Crawlers"));
}

HttpResponse StartCrawler(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  auto run = server->crawlers().Start(*name);
  if (!run.ok()) return GlueError(run.status());
  return GlueOk(json::object());
}

}  // namespace

HttpResponse GlueError(int status, std::string_view type, const std::string& message) {
  return AwsError(kGlueService, status, type, message);
}

HttpResponse GlueError(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kNotFound:
      return GlueError(400, "EntityNotFoundException", st.message());
    case ErrorCode::kInvalidArgument:
      return GlueError(400, "InvalidInputException", st.message());
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return GlueError(400, "CrawlerRunningException", st.message());
    case ErrorCode::kUnavailable:
    case ErrorCode::kResourceExhausted:
      return GlueError(400, "OperationTimeoutException", st.message());
    default:
      return GlueError(500, "InternalServiceException", st.message());
  }
}

HttpResponse GlueOk(const json& body) { return AwsResponse(kGlueService, body); }

Result<GluePaging> GluePagingOf(const json& body, size_t fallback, size_t max) {
  GluePaging p{fallback, ""};
  if (auto it = body.find("MaxResults"); it != body.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > static_cast<int64_t>(max)) {
      return InvalidArgument("MaxResults: expected an integer 1.." + std::to_string(max));
    }
    p.max = static_cast<size_t>(it->get<int64_t>());
  }
  if (auto it = body.find("NextToken"); it != body.end()) {
    if (!it->is_string()) return InvalidArgument("NextToken: expected a string");
    p.after = it->get<std::string>();
  }
  return p;
}

Result<std::vector<std::string>> GluePartitionValues(const json& j, const std::string& where) {
  if (!j.is_array() || j.empty()) return GlueFieldError(where, "required: the partition's values, one per partition key");
  std::vector<std::string> values;
  for (const json& v : j) {
    if (!v.is_string()) return GlueFieldError(where, "expected strings");
    values.push_back(v.get<std::string>());
  }
  return values;
}

Result<lake::Table> GlueTableOf(Server* server, const json& body, const char* name_field) {
  TRY_ASSIGN(std::string database, RequiredAwsString(body, "DatabaseName"));
  TRY_ASSIGN(std::string name, RequiredAwsString(body, name_field));
  return server->catalog().GetTable(database, name);
}

void HandleGlue(Server* server, HttpRequest& req, net::HttpRespond respond) {
  auto operation = AwsOperation(req, kGlueService);
  HttpResponse refusal;
  auto body = ParseAwsBody(kGlueService, req, &refusal);
  if (!body) return respond(std::move(refusal));
  const std::string_view op = operation.value_or("");
  if (op == "GetDatabases") return respond(GetDatabases(server, *body));
  if (op == "GetDatabase") return respond(GetDatabase(server, *body));
  if (op == "GetUserDefinedFunctions") return respond(GetUserDefinedFunctions(server, *body));
  if (op == "GetTables") return respond(GetTables(server, *body));
  if (op == "GetTable") return respond(GetTable(server, *body));
  if (op == "GetTableVersions") return respond(GetTableVersions(server, *body));
  if (op == "GetTableVersion") return respond(GetTableVersion(server, *body));
  if (op == "GetPartitions") return respond(GetPartitions(server, *body));
  if (op == "GetPartition") return respond(GetPartition(server, *body));
  if (op == "BatchGetPartition") return respond(BatchGetPartition(server, *body));
  if (op == "GetCrawler") return respond(GetCrawler(server, *body));
  if (op == "GetCrawlers") return respond(GetCrawlers(server, *body));
  if (op == "StartCrawler") return respond(StartCrawler(server, *body));
  if (auto answer = HandleGlueCatalogWrite(server, op, *body)) return respond(std::move(*answer));
  if (auto answer = HandleGlueTableWrite(server, op, *body)) return respond(std::move(*answer));
  if (auto answer = HandleGluePartitionIndexOperation(server, op, *body))
    return respond(std::move(*answer));
  if (auto answer = HandleGlueJobOperation(server, op, *body)) return respond(std::move(*answer));
  if (auto answer = HandleGlueTagOperation(server, op, *body)) return respond(std::move(*answer));
  respond(GlueError(
      400, "UnknownOperationException",
      "Glue operation '" + std::string(op) +
          "' is not served here (GetDatabases, GetDatabase, GetUserDefinedFunctions, GetTables, "
          "GetTable, GetTableVersions, "
          "GetTableVersion, "
          "GetPartitions, GetPartition, BatchGetPartition, GetCrawler, GetCrawlers, StartCrawler, "
          "CreateCrawler, UpdateCrawler, "
          "DeleteCrawler, StopCrawler, CreateDatabase, UpdateDatabase, DeleteDatabase, "
          "CreateTable, UpdateTable, "
          "DeleteTable, BatchDeleteTable, CreatePartition, BatchCreatePartition, UpdatePartition, "
          "BatchUpdatePartition, "
          "DeletePartition, BatchDeletePartition, CreatePartitionIndex, GetPartitionIndexes, "
          "DeletePartitionIndex, "
          "CreateJob, UpdateJob, "
          "GetJob, GetJobs, DeleteJob, StartJobRun, GetJobRun, GetJobRuns, BatchStopJobRun, "
          "TagResource, UntagResource, GetTags)"));
}

}  // namespace tributary::app
