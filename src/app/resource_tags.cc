#include "app/resource_tags.h"

#include "metadata/database.h"

namespace tributary::app {
namespace {

using metadata::Value;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE resource_tags(
  arn TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY(arn, tag_key)
);
)sql";

}  // namespace

Status ValidateTags(const Tags& tags) {
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128) {
      return InvalidArgument("tag key '" + key.substr(0, 140) + "': keys are 1..128 characters");
    }
    if (key.rfind("aws:", 0) == 0) return InvalidArgument("tag key '" + key + "': the aws: prefix is AWS's own");
    if (value.size() > 256) return InvalidArgument("tag '" + key + "': values are at most 256 characters");
  }
  if (tags.size() > ResourceTags::kMaxTags) {
    return InvalidArgument(std::to_string(tags.size()) + " tags: a resource has at most " +
                           std::to_string(ResourceTags::kMaxTags));
  }
  return Status::Ok();
}

Result<std::unique_ptr<ResourceTags>> ResourceTags::Open(metadata::Database* db) {
  TRY(db->Migrate("resource_tags", 1, kSchemaV1));
  return std::unique_ptr<ResourceTags>(new ResourceTags(db));
}

Status ResourceTags::Add(const std::string& arn, const Tags& tags) {
  TRY(ValidateTags(tags));
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(Tags current, List(arn));
    size_t total = current.size();
    for (const auto& [key, value] : tags) total += current.count(key) ? 0 : 1;
    if (total > kMaxTags) {
      return ResourceExhausted(arn + " would have " + std::to_string(total) + " tags; a resource has at most " +
                               std::to_string(kMaxTags));
    }
    for (const auto& [key, value] : tags) {
      TRY(db_->Exec("INSERT INTO resource_tags(arn, tag_key, tag_value) VALUES(?, ?, ?) "
                    "ON CONFLICT(arn, tag_key) DO UPDATE SET tag_value=excluded.tag_value",
                    {Value(arn), Value(key), Value(value)})
              .status());
    }
    return Status::Ok();
  });
}

Status ResourceTags::Remove(const std::string& arn, const std::vector<std::string>& keys) {
  return db_->Transaction([&]() -> Status {
    for (const std::string& key : keys) {
      TRY(db_->Exec("DELETE FROM resource_tags WHERE arn=? AND tag_key=?", {Value(arn), Value(key)}).status());
    }
    return Status::Ok();
  });
}

Result<Tags> ResourceTags::List(const std::string& arn) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT tag_key, tag_value FROM resource_tags WHERE arn=? ORDER BY tag_key",
                                   {Value(arn)}));
  Tags tags;
  for (const auto& row : rows) tags[row.Text(0)] = row.Text(1);
  return tags;
}

Status ResourceTags::Forget(const std::string& arn) {
  return db_->Exec("DELETE FROM resource_tags WHERE arn=?", {Value(arn)}).status();
}

}  // namespace tributary::app
