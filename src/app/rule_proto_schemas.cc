#include "app/rule_proto_schemas.h"

#include <utility>

#include "base/start_thread.h"

namespace tributary::app {

Result<std::string> RuleProtoSchemas::Decode(std::string_view bucket, std::string_view key,
                                             std::string_view proto_file,
                                             std::string_view message_type,
                                             std::string_view bytes) const {
  std::string id = std::string(bucket) + "/" + std::string(key);
  TRY_ASSIGN(std::shared_ptr<const expr::ProtoSchema> schema, SchemaAt(id));
  Result<std::string> json = schema->ToJson(proto_file, message_type, bytes);
  if (!json.ok() && json.status().code() == ErrorCode::kNotFound &&
      FirstMiss(id, std::string(proto_file) + "/" + std::string(message_type))) {
    log_->warn("decode(..., 'proto', '{}', '{}', '{}', '{}'): {}", bucket, key, proto_file,
               message_type, json.status().message());
  }
  return json;
}

RuleProtoSchemas::~RuleProtoSchemas() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (reader_.joinable()) reader_.join();
}

Result<std::shared_ptr<const expr::ProtoSchema>> RuleProtoSchemas::SchemaAt(
    const std::string& id) const {
  const int64_t now = clock_();
  std::unique_lock<std::mutex> lock(mu_);
  auto it = kept_.find(id);
  if (it == kept_.end()) {
    Entry& e = EntryLocked(id);
    e.unread = true;
    e.first_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(first_wait_ms_);
    QueueReadLocked(id, &e);
    return AwaitFirstRead(id, lock);
  }
  Entry& e = it->second;
  if (e.unread) return AwaitFirstRead(id, lock);
  int64_t age = now - e.read_ms;
  if (age < 0 || age >= (e.schema ? max_age_ms_ : retry_ms_)) QueueReadLocked(id, &e);
  if (e.schema) return e.schema;
  return e.error;
}

Result<std::shared_ptr<const expr::ProtoSchema>> RuleProtoSchemas::AwaitFirstRead(
    const std::string& id, std::unique_lock<std::mutex>& lock) const {
  auto it = kept_.find(id);
  const auto deadline = it->second.first_deadline;
  // kept_ may be cleared (and `id` made again) while this waits: looked up each time.
  read_.wait_until(lock, deadline, [&] {
    it = kept_.find(id);
    return it == kept_.end() || !it->second.unread;
  });
  if (it != kept_.end() && !it->second.unread) {
    if (it->second.schema) return it->second.schema;
    return it->second.error;
  }
  std::string where = "s3://" + id;
  if (it != kept_.end() && !it->second.logged_slow) {
    it->second.logged_slow = true;
    log_->warn(
        "decode(..., 'proto', ...): {} not read within {} ms (the lake is slow to answer); its "
        "decodes give Undefined until it is",
        where, first_wait_ms_);
  }
  return Unavailable(where + ": not read yet (the lake is slow to answer)");
}

void RuleProtoSchemas::Keep(const std::string& id,
                            const Result<std::shared_ptr<const expr::ProtoSchema>>& read,
                            int64_t now) const {
  Entry& e = EntryLocked(id);
  e.queued = false;
  e.unread = false;
  e.read_ms = now;
  read_.notify_all();
  if (read.ok()) {
    e.schema = *read;
    e.error = Status::Ok();
    e.logged.clear();
    return;
  }
  if (e.schema == nullptr) {
    e.error = read.status();
    log_->warn("decode(..., 'proto', ...): {} (its decodes give Undefined; read again in {} s)",
               read.status().message(), retry_ms_ / 1000);
  } else {
    log_->warn(
        "decode(..., 'proto', ...): {} (the set read before goes on answering; read "
        "again in {} s)",
        read.status().message(), max_age_ms_ / 1000);
  }
}

RuleProtoSchemas::Entry& RuleProtoSchemas::EntryLocked(const std::string& id) const {
  if (kept_.size() >= kMaxKept && kept_.find(id) == kept_.end()) kept_.clear();
  return kept_[id];
}

void RuleProtoSchemas::QueueReadLocked(const std::string& id, Entry* e) const {
  if (e->queued || stop_) return;
  if (!reader_.joinable()) {
    auto reader = StartThread("rules:protos", [this] { ReadLoop(); });
    if (!reader.ok()) {  // read again as a failed read is, once the retry time has passed
      Keep(id, reader.status(), clock_());
      return;
    }
    reader_ = std::move(reader).value();
  }
  e->queued = true;
  due_.push_back(id);
  wake_.notify_one();
}

void RuleProtoSchemas::ReadLoop() const {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !due_.empty(); });
    if (stop_) return;
    std::string id = std::move(due_.front());
    due_.pop_front();
    lock.unlock();
    const size_t slash = id.find('/');
    auto read = Read(std::string_view(id).substr(0, slash), std::string_view(id).substr(slash + 1));
    const int64_t now = clock_();
    lock.lock();
    Keep(id, read, now);
  }
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
