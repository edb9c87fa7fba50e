// Glue's operations that define tables by hand, in AWS's JSON 1.1 protocol beside the
// catalog's reads (api_glue.cc): a table over lake objects that no crawler made (Parquet
// written elsewhere, a prefix of JSON Lines with a known schema), as `aws glue
// create-table`, Terraform's aws_glue_catalog_table or an SDK define one:
//   aws glue create-table --database-name iot --table-input '{"Name": "readings",
//       "StorageDescriptor": {"Columns": [{"Name": "ozone", "Type": "double"}],
//       "Location": "s3://iot-data/curated/"}, "Parameters": {"classification": "parquet"}}'
// Operations: CreateTable, UpdateTable, DeleteTable, BatchDeleteTable, and the partitions
// of such a table (a crawler finds a crawled table's itself): CreatePartition,
// BatchCreatePartition, UpdatePartition, BatchUpdatePartition, DeletePartition,
// BatchDeletePartition.
//
// A table here is columns, partition keys, a lake location and a format (JSON or
// Parquet), which TableInput gives as Glue does: the format from
// Parameters.classification, else the SerDe or the input format. An update that changes
// the columns or partition keys makes a new version (GetTable's VersionId), as Glue's
// does. Views, governed tables, other formats (CSV, Avro, ORC), skewed or bucketed
// storage and table optimizers are refused naming the field; what describes only AWS
// (Owner, Retention, LastAccessTime, TargetTable, CatalogId) is taken and unused.
#include <set>

#include "app/aws_tags.h"
#include "app/glue_api.h"
#include "app/server.h"
#include "lake/catalog.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

// Whether `j` says anything: tools send empty lists and objects for what they leave unset
// (Terraform's SkewedInfo {"SkewedColumnNames": [], ...}).
bool Meaningful(const json& j) {
  if (j.is_null()) return false;
  if (j.is_string() || j.is_array()) return !j.empty();
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (Meaningful(value)) return true;
    }
    return false;
  }
  return true;
}

// A JSON string member, "" when absent; InvalidArgument when present and not a string.
Result<std::string> StringIn(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return GlueFieldError(where + "." + key, "expected a string");
  return it->get<std::string>();
}

Result<std::vector<lake::Column>> ColumnsIn(const json& object, const char* key, const std::string& where) {
  std::vector<lake::Column> columns;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return columns;
  if (!it->is_array()) return GlueFieldError(where + "." + key, "expected a list of {\"Name\", \"Type\"}");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& c = (*it)[i];
    const std::string at = where + "." + key + "[" + std::to_string(i) + "]";
    if (!c.is_object()) return GlueFieldError(at, "expected {\"Name\", \"Type\"}");
    TRY_ASSIGN(std::string name, StringIn(c, "Name", at));
    TRY_ASSIGN(std::string type, StringIn(c, "Type", at));
    TRY_ASSIGN(std::string comment, StringIn(c, "Comment", at));
    if (name.empty()) return GlueFieldError(at + ".Name", "required");
    if (type.empty()) return GlueFieldError(at + ".Type", "required: a Hive type such as string, bigint, double, timestamp");
    columns.emplace_back(std::move(name), std::move(type), std::move(comment));
  }
  return columns;
}

// The format a TableInput names: Parameters.classification first (what crawlers and
// Athena set), else the SerDe, else the input format.
Result<lake::DataFormat> FormatOf(const json& input, const json& storage) {
  std::string classification;
  if (auto p = input.find("Parameters"); p != input.end() && p->is_object()) {
    if (auto c = p->find("classification"); c != p->end() && c->is_string()) classification = c->get<std::string>();
  }
  if (!classification.empty()) {
    if (classification == "json" || classification == "parquet") return *lake::ParseDataFormat(classification);
    return GlueFieldError("TableInput.Parameters.classification",
                  "'" + classification + "' is not served: a table here holds json or parquet objects");
  }
  std::string serde;
  if (auto s = storage.find("SerdeInfo"); s != storage.end() && s->is_object()) {
    serde = s->value("SerializationLibrary", "");
  }
  const std::string input_format = storage.value("InputFormat", "");
  auto has = [](const std::string& s, const char* part) { return s.find(part) != std::string::npos; };
  if (has(serde, "Parquet") || has(input_format, "Parquet")) return lake::DataFormat::kParquet;
  if (has(serde, "JsonSerDe") || has(serde, "JsonSerde")) return lake::DataFormat::kJson;
  if (!serde.empty() || !input_format.empty()) {
    return GlueFieldError("TableInput.StorageDescriptor", "SerDe '" + serde + "' and InputFormat '" + input_format +
                                                      "' are not served: a table here holds json or parquet objects");
  }
  return GlueFieldError("TableInput.Parameters.classification",
                "required (json or parquet), or a StorageDescriptor.SerdeInfo naming a JSON or Parquet SerDe");
}

// TableInput as the catalog's TableInput, with its name.
Result<std::pair<std::string, lake::TableInput>> ParseTableInput(const json& body) {
  auto it = body.find("TableInput");
  if (it == body.end() || !it->is_object()) {
    return GlueFieldError("TableInput", "required: {\"Name\", \"StorageDescriptor\": {\"Columns\", \"Location\"}, ...}");
  }
  const json& input = *it;
  static const std::set<std::string> kKnown = {
      "Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention", "StorageDescriptor",
      "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType", "Parameters", "TargetTable",
      "ViewDefinition"};
  for (const auto& [key, value] : input.items()) {
    if (!kKnown.count(key)) return GlueFieldError("TableInput." + key, "unknown field");
  }
  TRY_ASSIGN(std::string name, StringIn(input, "Name", "TableInput"));
  if (name.empty()) return GlueFieldError("TableInput.Name", "required");
  for (const char* view : {"ViewOriginalText", "ViewExpandedText", "ViewDefinition"}) {
    if (input.contains(view) && !input[view].is_null()) return GlueFieldError(std::string("TableInput.") + view, "views are not served");
  }
  TRY_ASSIGN(std::string type, StringIn(input, "TableType", "TableInput"));
  if (!type.empty() && type != "EXTERNAL_TABLE") {
    return GlueFieldError("TableInput.TableType", "'" + type + "' is not served (EXTERNAL_TABLE: objects in the lake)");
  }
  auto storage = input.find("StorageDescriptor");
  if (storage == input.end() || !storage->is_object()) {
    return GlueFieldError("TableInput.StorageDescriptor", "required: {\"Columns\": [...], \"Location\": \"s3://bucket/prefix/\"}");
  }
  for (const char* unsupported : {"BucketColumns", "SortColumns", "SkewedInfo", "SchemaReference"}) {
    auto u = storage->find(unsupported);
    if (u != storage->end() && Meaningful(*u)) {
      return GlueFieldError(std::string("TableInput.StorageDescriptor.") + unsupported,
                    "not served (bucketed, sorted, skewed and registry-schema tables)");
    }
  }
  lake::TableInput t;
  TRY_ASSIGN(t.columns, ColumnsIn(*storage, "Columns", "TableInput.StorageDescriptor"));
  if (t.columns.empty()) return GlueFieldError("TableInput.StorageDescriptor.Columns", "required: at least one column");
  TRY_ASSIGN(t.partition_keys, ColumnsIn(input, "PartitionKeys", "TableInput"));
  TRY_ASSIGN(std::string location, StringIn(*storage, "Location", "TableInput.StorageDescriptor"));
  if (location.empty()) return GlueFieldError("TableInput.StorageDescriptor.Location", "required: s3://bucket/prefix/");
  auto path = lake::LakePath::Parse(location);
  if (!path.ok()) return path.status().WithContext("TableInput.StorageDescriptor.Location");
  t.location = *path;
  TRY_ASSIGN(t.format, FormatOf(input, *storage));
  if (auto p = input.find("Parameters"); p != input.end() && p->is_object()) {
    for (const auto& [key, value] : p->items()) {
      if (!value.is_string()) return GlueFieldError("TableInput.Parameters." + key, "expected a string");
      // The format, and the counts the catalog keeps itself (GetTable gives them back
      // among the parameters; a tool that sends the table back sends them too).
      if (key == "classification" || key == "recordCount" || key == "objectCount" || key == "sizeKey") continue;
      if (key == "compressionType") {
        t.compression = value.get<std::string>();
        continue;
      }
      t.parameters[key] = value.get<std::string>();
    }
  }
  if (auto d = input.find("Description"); d != input.end() && d->is_string() && !d->get<std::string>().empty()) {
    t.parameters["comment"] = d->get<std::string>();
  }
  return std::make_pair(std::move(name), std::move(t));
}

// A Status as Glue answers these operations: a table that is there already is
// AlreadyExistsException.
HttpResponse TableWriteError(const Status& st) {
  if (st.code() == ErrorCode::kAlreadyExists) return GlueError(400, "AlreadyExistsException", st.message());
  return GlueError(st);
}

// Creates (`create`) or updates the table TableInput names in DatabaseName.
HttpResponse PutTable(Server* server, const json& body, bool create) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  if (body.contains("OpenTableFormatInput") && !body["OpenTableFormatInput"].is_null()) {
    return GlueError(GlueFieldError("OpenTableFormatInput", "Iceberg tables are not served"));
  }
  auto parsed = ParseTableInput(body);
  if (!parsed.ok()) return GlueError(parsed.status());
  auto& [name, input] = *parsed;
  // CreateTable's PartitionIndexes, checked against the keys before the table is made.
  std::vector<lake::PartitionIndex> indexes;
  if (auto list = body.find("PartitionIndexes"); create && list != body.end() && !list->is_null()) {
    if (!list->is_array() || list->size() > lake::Catalog::kMaxPartitionIndexes) {
      return GlueError(GlueFieldError("PartitionIndexes", "a list of at most 3 PartitionIndex"));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string where = "PartitionIndexes[" + std::to_string(i) + "]";
      auto index = GluePartitionIndex((*list)[i], where);
      if (!index.ok()) return GlueError(index.status());
      for (const std::string& key : index->keys) {
        const bool known = std::any_of(input.partition_keys.begin(), input.partition_keys.end(),
                                       [&](const lake::Column& c) { return c.name == key; });
        if (!known)
          return GlueError(
              GlueFieldError(where + ".Keys", "'" + key + "' is not one of the PartitionKeys"));
      }
      indexes.push_back(std::move(*index));
    }
  }
  lake::Catalog& catalog = server->catalog();
  auto existing = catalog.GetTable(*database, name);
  if (create && existing.ok()) {
    return TableWriteError(AlreadyExists("table " + *database + "." + name + " exists (UpdateTable changes it)"));
  }
  if (!create && !existing.ok()) return GlueError(existing.status());
  if (existing.ok()) {  // what a hand-written definition does not say stays as the crawler counted it
    input.record_count = existing->record_count;
    input.object_count = existing->object_count;
    input.size_bytes = existing->size_bytes;
    input.last_crawl_ms = existing->last_crawl_ms;
    if (auto version = body.find("VersionId"); version != body.end() && version->is_string() &&
                                                  version->get<std::string>() != std::to_string(existing->version)) {
      return GlueError(400, "ConcurrentModificationException",
                       "VersionId " + version->get<std::string>() + " is not the table's current version (" +
                           std::to_string(existing->version) + "): read it again (GetTable) and retry");
    }
  }
  input.updated_by = create ? "glue:CreateTable" : "glue:UpdateTable";
  auto stored = catalog.UpsertTable(*database, name, input);
  if (!stored.ok()) return TableWriteError(stored.status());
  for (const lake::PartitionIndex& index : indexes) {
    if (Status st = catalog.CreatePartitionIndex(*database, name, index); !st.ok()) {
      return GlueError(
          st.WithContext("table " + *database + "." + name + " was made, but its partition index"));
    }
  }
  return GlueOk(json::object());
}

HttpResponse DeleteTable(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  if (Status st = server->catalog().DeleteTable(*database, *name); !st.ok()) return GlueError(st);
  ForgetTags(server, GlueArn("table/" + *database + "/" + *name));
  return GlueOk(json::object());
}

HttpResponse BatchDeleteTable(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto names = body.find("TablesToDelete");
  if (names == body.end() || !names->is_array() || names->empty() || names->size() > 100) {
    return GlueError(GlueFieldError("TablesToDelete", "required: 1..100 table names"));
  }
  json errors = json::array();
  for (const json& name : *names) {
    if (!name.is_string()) return GlueError(GlueFieldError("TablesToDelete", "expected table names (strings)"));
    Status st = server->catalog().DeleteTable(*database, name.get<std::string>());
    if (st.ok()) {
      ForgetTags(server, GlueArn("table/" + *database + "/" + name.get<std::string>()));
      continue;
    }
    const std::string code = st.code() == ErrorCode::kNotFound ? "EntityNotFoundException" : "InternalServiceException";
    errors.push_back({{"TableName", name}, {"ErrorDetail", {{"ErrorCode", code}, {"ErrorMessage", st.message()}}}});
  }
  return GlueOk({{"Errors", errors}});
}

// PartitionInput as a partition of `table`: its values, and its location (the one given,
// else <table location>/<key>=<value>/... as Hive lays partitions out).
Result<lake::Partition> ParsePartitionInput(const lake::Table& table, const json& input, const std::string& where) {
  if (!input.is_object()) return GlueFieldError(where, "expected {\"Values\": [...], \"StorageDescriptor\": {\"Location\"}}");
  lake::Partition p;
  auto values = input.find("Values");
  TRY_ASSIGN(p.values, GluePartitionValues(values == input.end() ? json() : *values, where + ".Values"));
  if (p.values.size() != table.partition_keys.size()) {
    return GlueFieldError(where + ".Values", std::to_string(p.values.size()) + " values for the " +
                                         std::to_string(table.partition_keys.size()) + " partition keys of " +
                                         table.database + "." + table.name);
  }
  std::string location;
  if (auto storage = input.find("StorageDescriptor"); storage != input.end() && storage->is_object()) {
    TRY_ASSIGN(location, StringIn(*storage, "Location", where + ".StorageDescriptor"));
  }
  if (location.empty()) {
    std::string relative;
    for (size_t i = 0; i < p.values.size(); ++i) {
      relative += (i ? "/" : "") + table.partition_keys[i].name + "=" + p.values[i];
    }
    p.location = table.location.Child(relative);
  } else {
    auto path = lake::LakePath::Parse(location);
    if (!path.ok()) return path.status().WithContext(where + ".StorageDescriptor.Location");
    p.location = *path;
  }
  return p;
}

// {"PartitionValues", "ErrorDetail"} of a partition a batch could not make or remove.
json PartitionError(const std::vector<std::string>& values, const Status& st) {
  const char* code = st.code() == ErrorCode::kNotFound        ? "EntityNotFoundException"
                     : st.code() == ErrorCode::kAlreadyExists  ? "AlreadyExistsException"
                     : st.code() == ErrorCode::kInvalidArgument ? "InvalidInputException"
                                                               : "InternalServiceException";
  return {{"PartitionValues", values}, {"ErrorDetail", {{"ErrorCode", code}, {"ErrorMessage", st.message()}}}};
}

// CreatePartition (`batch` false: PartitionInput) and BatchCreatePartition
// (PartitionInputList, each refusal in Errors): a partition that exists is refused, as
// Glue does, and left as it was.
HttpResponse CreatePartitions(Server* server, const json& body, bool batch) {
  auto table = GlueTableOf(server, body);
  if (!table.ok()) return GlueError(table.status());
  const std::string& database = table->database;
  const std::string& name = table->name;
  std::vector<json> inputs;
  if (batch) {
    auto list = body.find("PartitionInputList");
    if (list == body.end() || !list->is_array() || list->empty() || list->size() > 100) {
      return GlueError(GlueFieldError("PartitionInputList", "required: 1..100 PartitionInput"));
    }
    inputs.assign(list->begin(), list->end());
  } else {
    auto input = body.find("PartitionInput");
    if (input == body.end()) return GlueError(GlueFieldError("PartitionInput", "required"));
    inputs.push_back(*input);
  }
  json errors = json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string where = batch ? "PartitionInputList[" + std::to_string(i) + "]" : "PartitionInput";
    auto partition = ParsePartitionInput(*table, inputs[i], where);
    Status st = partition.status();
    if (st.ok() && server->catalog().GetPartition(database, name, partition->values).ok()) {
      std::string shown;
      for (const std::string& v : partition->values) shown += (shown.empty() ? "" : ", ") + v;
      st = AlreadyExists("partition (" + shown + ") of " + database + "." + name + " exists");
    }
    if (st.ok()) st = server->catalog().AddPartitions(database, name, {*partition});
    if (st.ok()) continue;
    if (!batch) return TableWriteError(st);
    std::vector<std::string> values;  // as sent, when they could be read
    if (inputs[i].is_object() && inputs[i].contains("Values")) {
      if (auto read = GluePartitionValues(inputs[i]["Values"], where); read.ok()) values = std::move(*read);
    }
    errors.push_back(PartitionError(values, st));
  }
  return GlueOk(batch ? json{{"Errors", errors}} : json::object());
}

// One partition update: the partition `values_json` names takes `input`'s values and
// location (its counts kept; no location given: it keeps its own). New values another
// partition has are AlreadyExists, and nothing changes. `where` prefixes field names.
Status UpdateOnePartition(Server* server, const lake::Table& table, const json& values_json, const json& input,
                          const std::string& where) {
  lake::Catalog& catalog = server->catalog();
  TRY_ASSIGN(std::vector<std::string> values, GluePartitionValues(values_json, where + "PartitionValueList"));
  TRY_ASSIGN(lake::Partition existing, catalog.GetPartition(table.database, table.name, values));
  if (input.is_null()) return GlueFieldError(where + "PartitionInput", "required");
  TRY_ASSIGN(lake::Partition partition, ParsePartitionInput(table, input, where + "PartitionInput"));
  const json* storage = input.is_object() && input.contains("StorageDescriptor") ? &input["StorageDescriptor"] : nullptr;
  if (storage == nullptr || !storage->is_object() || !storage->contains("Location")) {
    partition.location = existing.location;
  }
  partition.record_count = existing.record_count;
  partition.object_count = existing.object_count;
  partition.size_bytes = existing.size_bytes;
  if (partition.values != existing.values) {
    if (catalog.GetPartition(table.database, table.name, partition.values).ok()) {
      return AlreadyExists(where + "PartitionInput.Values: that partition of " + table.database + "." + table.name +
                           " exists");
    }
    TRY(catalog.DeletePartition(table.database, table.name, existing.values));
  }
  return catalog.AddPartitions(table.database, table.name, {partition});
}

// UpdatePartition (PartitionValueList, PartitionInput) and BatchUpdatePartition (Entries
// of both, 1..100, each refusal in Errors).
HttpResponse UpdatePartitions(Server* server, const json& body, bool batch) {
  auto table = GlueTableOf(server, body);
  if (!table.ok()) return GlueError(table.status());
  if (!batch) {
    Status st = UpdateOnePartition(server, *table, body.value("PartitionValueList", json()),
                                   body.value("PartitionInput", json()), "");
    if (!st.ok()) return TableWriteError(st);
    return GlueOk(json::object());
  }
  auto entries = body.find("Entries");
  if (entries == body.end() || !entries->is_array() || entries->empty() || entries->size() > 100) {
    return GlueError(GlueFieldError("Entries", "required: 1..100 {\"PartitionValueList\", \"PartitionInput\"}"));
  }
  json errors = json::array();
  for (size_t i = 0; i < entries->size(); ++i) {
    const json& entry = (*entries)[i];
    const std::string where = "Entries[" + std::to_string(i) + "].";
    const json values = entry.is_object() ? entry.value("PartitionValueList", json()) : json();
    Status st = UpdateOnePartition(server, *table, values, entry.is_object() ? entry.value("PartitionInput", json()) : json(),
                                   where);
    if (st.ok()) continue;
    json error = PartitionError({}, st);
    error.erase("PartitionValues");
    error["PartitionValueList"] = values.is_array() ? values : json::array();
    errors.push_back(std::move(error));
  }
  return GlueOk({{"Errors", errors}});
}

// DeletePartition (PartitionValues) and BatchDeletePartition (PartitionsToDelete, each
// refusal in Errors). The objects stay in the lake.
HttpResponse DeletePartitions(Server* server, const json& body, bool batch) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto name = RequiredAwsString(body, "TableName");
  if (!name.ok()) return GlueError(name.status());
  if (!batch) {
    auto values = GluePartitionValues(body.value("PartitionValues", json()), "PartitionValues");
    if (!values.ok()) return GlueError(values.status());
    if (Status st = server->catalog().DeletePartition(*database, *name, *values); !st.ok()) return GlueError(st);
    return GlueOk(json::object());
  }
  auto list = body.find("PartitionsToDelete");
  if (list == body.end() || !list->is_array() || list->empty() || list->size() > 25) {
    return GlueError(GlueFieldError("PartitionsToDelete", "required: 1..25 {\"Values\": [...]}"));
  }
  json errors = json::array();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string where = "PartitionsToDelete[" + std::to_string(i) + "].Values";
    auto values = GluePartitionValues(item.is_object() ? item.value("Values", json()) : json(), where);
    if (!values.ok()) return GlueError(values.status());
    if (Status st = server->catalog().DeletePartition(*database, *name, *values); !st.ok()) {
      errors.push_back(PartitionError(*values, st));
    }
  }
  return GlueOk({{"Errors", errors}});
}

}  // namespace

std::optional<HttpResponse> HandleGlueTableWrite(Server* server, std::string_view op, const json& body) {
  if (op == "CreateTable") return PutTable(server, body, /*create=*/true);
  if (op == "UpdateTable") return PutTable(server, body, /*create=*/false);
  if (op == "DeleteTable") return DeleteTable(server, body);
  if (op == "BatchDeleteTable") return BatchDeleteTable(server, body);
  if (op == "CreatePartition") return CreatePartitions(server, body, /*batch=*/false);
  if (op == "BatchCreatePartition") return CreatePartitions(server, body, /*batch=*/true);
  if (op == "UpdatePartition") return UpdatePartitions(server, body, /*batch=*/false);
  if (op == "BatchUpdatePartition") return UpdatePartitions(server, body, /*batch=*/true);
  if (op == "DeletePartition") return DeletePartitions(server, body, /*batch=*/false);
  if (op == "BatchDeletePartition") return DeletePartitions(server, body, /*batch=*/true);
  return std::nullopt;
}

}  // namespace tributary::app
