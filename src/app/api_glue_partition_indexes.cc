// Glue's partition indexes (lake::Catalog::CreatePartitionIndex ...), as Terraform's
// aws_glue_partition_index, the SDKs and CreateTable's PartitionIndexes make them:
//   CreatePartitionIndex   DatabaseName, TableName, PartitionIndex {IndexName, Keys}
//   GetPartitionIndexes    PartitionIndexDescriptorList: IndexName, Keys {Name, Type},
//                          IndexStatus ACTIVE (nothing to backfill: GetPartitions reads
//                          the catalog's partitions whatever the index)
//   DeletePartitionIndex   DatabaseName, TableName, IndexName
#include "app/api.h"
#include "app/glue_api.h"
#include "app/server.h"
#include "lake/catalog.h"

namespace tributary::app {
namespace {

using net::HttpResponse;
using nlohmann::json;

HttpResponse IndexError(const Status& st) {
  if (st.code() == ErrorCode::kAlreadyExists)
    return GlueError(400, "AlreadyExistsException", st.message());
  if (st.code() == ErrorCode::kResourceExhausted)
    return GlueError(400, "ResourceNumberLimitExceededException", st.message());
  return GlueError(st);
}

HttpResponse CreatePartitionIndex(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto table = RequiredAwsString(body, "TableName");
  if (!table.ok()) return GlueError(table.status());
  auto index = GluePartitionIndex(body.value("PartitionIndex", json()), "PartitionIndex");
  if (!index.ok()) return GlueError(index.status());
  if (Status st = server->catalog().CreatePartitionIndex(*database, *table, *index); !st.ok())
    return IndexError(st);
  return GlueOk(json::object());
}

HttpResponse GetPartitionIndexes(Server* server, const json& body) {
  auto t = GlueTableOf(server, body);
  if (!t.ok()) return GlueError(t.status());
  auto indexes = server->catalog().ListPartitionIndexes(t->database, t->name);
  if (!indexes.ok()) return GlueError(indexes.status());
  json list = json::array();
  for (const lake::PartitionIndex& index : *indexes) {
    json keys = json::array();
    for (const std::string& key : index.keys) {
      std::string type;
      for (const lake::Column& c : t->partition_keys) {
        if (c.name == key) type = c.type;
      }
      keys.push_back({{"Name", key}, {"Type", type}});
    }
    list.push_back({{"IndexName", index.name}, {"Keys", keys}, {"IndexStatus", "ACTIVE"}});
  }
  return GlueOk({{"PartitionIndexDescriptorList", list}});
}

HttpResponse DeletePartitionIndex(Server* server, const json& body) {
  auto database = RequiredAwsString(body, "DatabaseName");
  if (!database.ok()) return GlueError(database.status());
  auto table = RequiredAwsString(body, "TableName");
  if (!table.ok()) return GlueError(table.status());
  auto name = RequiredAwsString(body, "IndexName");
  if (!name.ok()) return GlueError(name.status());
  if (Status st = server->catalog().DeletePartitionIndex(*database, *table, *name); !st.ok())
    return GlueError(st);
  return GlueOk(json::object());
}

}  // namespace

Result<lake::PartitionIndex> GluePartitionIndex(const json& j, const std::string& where) {
  if (!j.is_object()) return GlueFieldError(where, "required: {\"IndexName\", \"Keys\": [...]}");
  for (const auto& [key, value] : j.items()) {
    if (key != "IndexName" && key != "Keys")
      return GlueFieldError(where + "." + key, "unknown field");
  }
  lake::PartitionIndex index;
  auto name = j.find("IndexName");
  if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
    return GlueFieldError(where + ".IndexName", "required: a non-empty string");
  }
  index.name = name->get<std::string>();
  auto keys = j.find("Keys");
  if (keys == j.end() || !keys->is_array())
    return GlueFieldError(where + ".Keys", "required: a list of partition keys");
  for (const json& key : *keys) {
    if (!key.is_string())
      return GlueFieldError(where + ".Keys", "each key is a partition key's name");
    index.keys.push_back(key.get<std::string>());
  }
  return index;
}

std::optional<HttpResponse> HandleGluePartitionIndexOperation(Server* server, std::string_view op,
                                                              const json& body) {
  if (op == "CreatePartitionIndex") return CreatePartitionIndex(server, body);
  if (op == "GetPartitionIndexes") return GetPartitionIndexes(server, body);
  if (op == "DeletePartitionIndex") return DeletePartitionIndex(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
