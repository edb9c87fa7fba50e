#include "serving/store.h"

#include <nlohmann/json.hpp>

namespace tributary::serving {

namespace {

using metadata::Row;
using metadata::Value;
using nlohmann::json;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE serving_models(name TEXT PRIMARY KEY, document TEXT NOT NULL);
CREATE TABLE serving_endpoint_configs(name TEXT PRIMARY KEY, document TEXT NOT NULL);
CREATE TABLE serving_endpoints(name TEXT PRIMARY KEY, document TEXT NOT NULL);
)sql";

json RecordJson(const EndpointRecord& e) {
  return {{"name", e.name},
          {"config", e.config},
          {"deploying_config", e.deploying_config},
          {"status", e.status},
          {"failure_reason", e.failure_reason},
          {"weights", e.weights},
          {"last_deployment", e.last_deployment},
          {"created_ms", e.created_ms},
          {"modified_ms", e.modified_ms}};
}

Result<EndpointRecord> RecordFrom(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("serving_endpoints: a row is not a JSON object");
  EndpointRecord e;
  try {
    e.name = j.at("name").get<std::string>();
    e.config = j.at("config").get<std::string>();
    e.status = j.at("status").get<std::string>();
    e.deploying_config = j.value("deploying_config", "");
    e.failure_reason = j.value("failure_reason", "");
    e.weights = j.value("weights", std::map<std::string, double>{});
    e.last_deployment = j.value("last_deployment", "");
    e.created_ms = j.value("created_ms", int64_t{0});
    e.modified_ms = j.value("modified_ms", int64_t{0});
  } catch (const json::exception& ex) {
    return DataLoss(std::string("serving_endpoints: ") + ex.what());
  }
  return e;
}

Result<Model> ModelFrom(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return DataLoss("serving_models: a row is not JSON");
  Model m;
  m.name = j.value("ModelName", "");
  m.artifact = j.value("Artifact", "");
  if (j.contains("ArtifactCache")) {  // a copy of a lake artifact (resources.h)
    m.artifact_uri = m.artifact;
    m.artifact = j.value("ArtifactCache", "");
  }
  m.command = j.value("Command", "");
  m.multi_model = j.value("MultiModel", false);
  m.created_ms = j.value("CreatedMs", int64_t{0});
  return m;
}

Result<EndpointConfig> ConfigFrom(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return DataLoss("serving_endpoint_configs: a row is not JSON");
  TRY_ASSIGN(EndpointConfig c, ParseEndpointConfig(j));
  c.created_ms = j.value("CreatedMs", int64_t{0});
  return c;
}

template <typename T, typename F>
Result<std::vector<T>> All(metadata::Database* db, const std::string& table, F from) {
  TRY_ASSIGN(auto rows, db->Query("SELECT document FROM " + table + " ORDER BY name"));
  std::vector<T> out;
  for (const Row& r : rows) {
    TRY_ASSIGN(T v, from(r.Text(0)));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ServingStore>> ServingStore::Open(metadata::Database* db) {
  TRY(db->Migrate("serving", 1, kSchemaV1));
  return std::unique_ptr<ServingStore>(new ServingStore(db));
}

Status ServingStore::CreateModel(const Model& m) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows, db_->Query("SELECT 1 FROM serving_models WHERE name=?", {Value(m.name)}));
    if (!rows.empty()) return AlreadyExists("model '" + m.name + "' already exists");
    return db_->Exec("INSERT INTO serving_models(name, document) VALUES(?, ?)",
                     {Value(m.name), Value(ToJson(m).dump())})
        .status();
  });
}

Result<Model> ServingStore::GetModel(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM serving_models WHERE name=?", {Value(name)}));
  if (rows.empty()) return NotFound("model '" + name + "' does not exist (see 'tributary model list')");
  return ModelFrom(rows[0].Text(0));
}

Result<std::vector<Model>> ServingStore::ListModels() const {
  return All<Model>(db_, "serving_models", ModelFrom);
}

Status ServingStore::DeleteModel(const std::string& name) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto configs, ListConfigs());
    for (const auto& c : configs) {
      for (const auto& v : c.variants) {
        if (v.model == name) {
          return FailedPrecondition("model '" + name + "' is used by endpoint config '" + c.name +
                                    "' (variant '" + v.name + "'); delete the config first");
        }
      }
    }
    TRY_ASSIGN(int64_t n, db_->Exec("DELETE FROM serving_models WHERE name=?", {Value(name)}));
    if (n == 0) return NotFound("model '" + name + "' does not exist");
    return Status::Ok();
  });
}

Status ServingStore::CreateConfig(const EndpointConfig& c) {
  return db_->Transaction([&]() -> Status {
    for (const auto& v : c.variants) {
      TRY(GetModel(v.model).status().WithContext("variant '" + v.name + "'"));
    }
    TRY_ASSIGN(auto rows, db_->Query("SELECT 1 FROM serving_endpoint_configs WHERE name=?", {Value(c.name)}));
    if (!rows.empty()) {
      return AlreadyExists("endpoint config '" + c.name + "' already exists (configs are immutable: "
                           "create one with another name)");
    }
    return db_->Exec("INSERT INTO serving_endpoint_configs(name, document) VALUES(?, ?)",
                     {Value(c.name), Value(ToJson(c).dump())})
        .status();
  });
}

Result<EndpointConfig> ServingStore::GetConfig(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM serving_endpoint_configs WHERE name=?", {Value(name)}));
  if (rows.empty()) {
    return NotFound("endpoint config '" + name + "' does not exist (see 'tributary endpoint-config list')");
  }
  return ConfigFrom(rows[0].Text(0));
}

Result<std::vector<EndpointConfig>> ServingStore::ListConfigs() const {
  return All<EndpointConfig>(db_, "serving_endpoint_configs", ConfigFrom);
}

Status ServingStore::DeleteConfig(const std::string& name) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto endpoints, ListEndpoints());
    for (const auto& e : endpoints) {
      if (e.config == name) {
        return FailedPrecondition("endpoint config '" + name + "' is in use by endpoint '" + e.name + "'");
      }
      if (e.deploying_config == name) {
        return FailedPrecondition("endpoint config '" + name +
                                  "' is being rolled out to endpoint '" + e.name +
                                  "'; wait until its update ends");
      }
    }
    TRY_ASSIGN(int64_t n, db_->Exec("DELETE FROM serving_endpoint_configs WHERE name=?", {Value(name)}));
    if (n == 0) return NotFound("endpoint config '" + name + "' does not exist");
    return Status::Ok();
  });
}

Status ServingStore::PutEndpoint(const EndpointRecord& e) {
  return db_->Transaction([&]() -> Status {
    if (!e.deploying_config.empty()) TRY(GetConfig(e.deploying_config).status());
    auto put = db_->Exec(
        "INSERT INTO serving_endpoints(name, document) VALUES(?, ?) "
        "ON CONFLICT(name) DO UPDATE SET document=excluded.document",
        {Value(e.name), Value(RecordJson(e).dump())});
    return put.status();
  });
}

Result<std::optional<EndpointRecord>> ServingStore::FindEndpoint(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM serving_endpoints WHERE name=?", {Value(name)}));
  if (rows.empty()) return std::optional<EndpointRecord>();
  TRY_ASSIGN(EndpointRecord e, RecordFrom(rows[0].Text(0)));
  return std::optional<EndpointRecord>(std::move(e));
}

Result<std::vector<EndpointRecord>> ServingStore::ListEndpoints() const {
  return All<EndpointRecord>(db_, "serving_endpoints", RecordFrom);
}

Status ServingStore::DeleteEndpoint(const std::string& name) {
  return db_->Exec("DELETE FROM serving_endpoints WHERE name=?", {Value(name)}).status();
}

}  // namespace tributary::serving
