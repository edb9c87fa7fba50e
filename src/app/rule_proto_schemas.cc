#include "app/rule_proto_schemas.h"

#include <utility>

namespace tributary::app {

Result<std::string> RuleProtoSchemas::Decode(std::string_view bucket, std::string_view key,
                                             std::string_view proto_file,
                                             std::string_view message_type,
                                             std::string_view bytes) const {
  std::string id = std::string(bucket) + "/" + std::string(key);
  TRY_ASSIGN(std::shared_ptr<const expr::ProtoSchema> schema, SchemaAt(id, bucket, key));
  Result<std::string> json = schema->ToJson(proto_file, message_type, bytes);
  if (!json.ok() && json.status().code() == ErrorCode::kNotFound &&
      FirstMiss(id, std::string(proto_file) + "/" + std::string(message_type))) {
    log_->warn("decode(..., 'proto', '{}', '{}', '{}', '{}'): {}", bucket, key, proto_file,
               message_type, json.status().message());
  }
  return json;
}

Result<std::shared_ptr<const expr::ProtoSchema>> RuleProtoSchemas::SchemaAt(
    const std::string& id, std::string_view bucket, std::string_view key) const {
  const int64_t now = clock_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kept_.find(id);
    if (it != kept_.end()) {
      const Entry& e = it->second;
      int64_t age = now - e.read_ms;
      if (age >= 0 && age < (e.schema ? max_age_ms_ : retry_ms_)) {
        if (e.schema) return e.schema;
        return e.error;
      }
    }
  }
  // Read without the lock: an S3 GET must not hold up other threads' kept sets.
  Result<std::shared_ptr<const expr::ProtoSchema>> read = Read(bucket, key);
  if (!read.ok()) {
    log_->warn(
        "decode(..., 'proto', '{}', '{}', ...): {} (its decodes give Undefined; read "
        "again in {} s)",
        bucket, key, read.status().message(), retry_ms_ / 1000);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (kept_.size() >= kMaxKept) kept_.clear();
  Entry& e = kept_[id];
  e = Entry{};
  e.read_ms = now;
  if (read.ok()) {
    e.schema = *read;
  } else {
    e.error = read.status();
  }
  return read;
}

Result<std::shared_ptr<const expr::ProtoSchema>> RuleProtoSchemas::Read(
    std::string_view bucket, std::string_view key) const {
  std::string where = "s3://" + std::string(bucket) + "/" + std::string(key);
  auto store = lake_->Bucket(std::string(bucket));
  if (!store.ok()) return NotFound(where + ": " + store.status().message());
  // One byte past the largest set taken, to tell a set that is too large.
  objstore::ByteRange range;
  range.length = expr::ProtoSchema::kMaxDescriptorBytes + 1;
  Result<std::string> bytes = (*store)->Get(std::string(key), range);
  if (!bytes.ok()) {
    if (bytes.status().code() == ErrorCode::kNotFound) {
      return NotFound(where + ": no such object (upload the FileDescriptorSet there)");
    }
    return Status(bytes.status().code(), where + ": " + bytes.status().message());
  }
  Result<std::shared_ptr<const expr::ProtoSchema>> schema = expr::ProtoSchema::Parse(*bytes);
  if (!schema.ok()) return FailedPrecondition(where + ": " + schema.status().message());
  return schema;
}

bool RuleProtoSchemas::FirstMiss(const std::string& id, const std::string& what) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kept_.find(id);
  return it != kept_.end() && it->second.logged.insert(what).second;
}

}  // namespace tributary::app
