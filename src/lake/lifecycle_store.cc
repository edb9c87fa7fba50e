#include "lake/lifecycle_store.h"

#include "base/clock.h"
#include "base/json_text.h"
#include "metadata/database.h"

namespace tributary::lake {

namespace {

using metadata::Value;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE lake_lifecycle(
  bucket TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
)sql";

Result<LifecycleConfiguration> Decode(const std::string& bucket, const std::string& text) {
  Result<nlohmann::json> doc =
      ParseJsonText(text, "the stored lifecycle configuration of bucket '" + bucket + "'");
  if (!doc.ok()) return DataLoss(doc.status().message());
  Result<LifecycleConfiguration> config = LifecycleFromJson(*doc);
  if (!config.ok())
    return DataLoss("bucket '" + bucket +
                    "': stored lifecycle configuration: " + config.status().message());
  return config;
}

}  // namespace

Result<std::unique_ptr<LifecycleStore>> LifecycleStore::Open(metadata::Database* db) {
  TRY(db->Migrate("lake_lifecycle", 1, kSchemaV1));
  return std::unique_ptr<LifecycleStore>(new LifecycleStore(db));
}

Status LifecycleStore::Put(const std::string& bucket, const LifecycleConfiguration& config) {
  return db_
      ->Exec(
          "INSERT INTO lake_lifecycle(bucket, config, updated_ms) VALUES(?, ?, ?) "
          "ON CONFLICT(bucket) DO UPDATE SET config=excluded.config, "
          "updated_ms=excluded.updated_ms",
          {Value(bucket), Value(LifecycleToJson(config).dump()), Value(WallMillis())})
      .status();
}

Result<LifecycleConfiguration> LifecycleStore::Get(const std::string& bucket) const {
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT config FROM lake_lifecycle WHERE bucket=?", {Value(bucket)}));
  if (rows.empty()) return NotFound("bucket '" + bucket + "' has no lifecycle configuration");
  return Decode(bucket, rows[0].Text(0));
}

Status LifecycleStore::Delete(const std::string& bucket) {
  TRY_ASSIGN(int64_t changed,
             db_->Exec("DELETE FROM lake_lifecycle WHERE bucket=?", {Value(bucket)}));
  if (changed == 0) return NotFound("bucket '" + bucket + "' has no lifecycle configuration");
  return Status::Ok();
}

Result<std::map<std::string, LifecycleConfiguration>> LifecycleStore::List() const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT bucket, config FROM lake_lifecycle ORDER BY bucket"));
  std::map<std::string, LifecycleConfiguration> out;
  for (const auto& row : rows) {
    TRY_ASSIGN(out[row.Text(0)], Decode(row.Text(0), row.Text(1)));
  }
  return out;
}

}  // namespace tributary::lake
