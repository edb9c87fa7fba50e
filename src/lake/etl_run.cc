#include "lake/etl_run.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/files.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "expr/value.h"
#include "lake/crawler.h"
#include "lake/glue_glob.h"
#include "lake/json_record_stream.h"
#include "lake/partition_detect.h"
#include "lake/table_reader.h"
#include "parquet/compression.h"
#include "parquet/file_reader.h"

namespace tributary::lake {
namespace {

constexpr size_t kMaxErrors = 100;
constexpr size_t kUploadChunk = 1 << 20;
// Below glibc's largest mmap threshold (32 MiB), so that chunks are reused memory.
constexpr uint64_t kReadChunk = 16 << 20;

// A worker's counters, added to the run after each object.
struct Counts {
  int64_t objects = 0, bytes = 0, read = 0, written = 0, rejected = 0, filtered = 0, duplicate = 0;
};

class Run {
 public:
  Run(const JobDefinition& job, JobRun run, const JobRunContext& ctx) : job_(job), run_(std::move(run)), ctx_(ctx) {}

  JobRun Go() {
    Status st = Execute();
    if (!st.ok() && run_.status == RunStatus::kRunning) {
      run_.status = RunStatus::kFailed;
      run_.message = st.message();
    }
    if (run_.status != RunStatus::kSucceeded) Rollback();
    if (!scratch_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(scratch_, ec);
    }
    run_.phase = "done";
    if (run_.finished_ms == 0) run_.finished_ms = WallMillis();
    return std::move(run_);
  }

 private:
  const JobSpec& spec() const { return job_.spec; }

  void Error(std::string message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (run_.errors.size() < kMaxErrors) {
      run_.errors.push_back(std::move(message));
    } else if (run_.errors.size() == kMaxErrors) {
      run_.errors.push_back("... more errors not listed");
    }
  }
  void Progress() {
    if (!ctx_.on_progress) return;
    JobRun copy;
    {
      std::lock_guard<std::mutex> lock(mu_);
      copy = run_;
    }
    ctx_.on_progress(copy);
  }
  bool Cancelled() const { return ctx_.cancel != nullptr && ctx_.cancel->load(); }

  Status Execute() {
    run_.phase = "listing";
    run_.table = spec().target.database + "." + spec().target.table;
    auto source = ctx_.catalog->GetTable(spec().source_database, spec().source_table);
    if (!source.ok()) {
      return source.status().WithContext("source table " + spec().source_database + "." + spec().source_table +
                                         " (run a crawler over the raw objects first)");
    }
    if (source->format == DataFormat::kParquet) {  // another job's output: rows through the table reader
      auto reader = TableReader::Open(*source, ctx_.lake);
      if (!reader.ok()) return reader.status();
      parquet_source_.emplace(std::move(*reader));
    }
    std::vector<std::string> partition_keys;
    for (const auto& k : source->partition_keys) partition_keys.push_back(k.name);
    auto pipeline = Pipeline::Compile(spec(), source->columns, partition_keys);
    if (!pipeline.ok()) return pipeline.status().WithContext("job '" + job_.name + "'");
    pipeline_.emplace(std::move(*pipeline));

    const LakePath& loc = source->location;
    source_prefix_ = loc.prefix.size();
    TRY_ASSIGN(source_bucket_, ctx_.lake->Bucket(loc.bucket));
    auto listing = source_bucket_->List(loc.prefix);
    if (!listing.ok()) return listing.status().WithContext("listing " + loc.ToUri());
    TRY_ASSIGN(auto bookmark, ctx_.store->Bookmark(job_.name));
    auto under = [](const LakePath& p, const std::string& bucket, const std::string& key) {
      return p.bucket == bucket && key.compare(0, p.prefix.size(), p.prefix) == 0;
    };
    // The table's exclusions (crawler Exclusions) hold for every reader of it.
    const GlueGlobSet excluded(TableExclusions(source->parameters));
    for (const auto& o : listing->objects) {
      std::string_view relative = std::string_view(o.key).substr(loc.prefix.size());
      if (IsHiddenKey(relative) || excluded.AnyMatches(relative)) continue;
      if (under(spec().target.path, loc.bucket, o.key) || under(spec().target.error_path, loc.bucket, o.key)) continue;
      ++run_.objects_listed;
      if (!FitsTableLayout(*source, relative)) {  // as the crawler skipped it
        ++run_.objects_skipped;
        continue;
      }
      std::string id = loc.bucket + "/" + o.key;
      auto it = bookmark.find(id);
      if (it != bookmark.end() && it->second.etag == o.etag && it->second.size == static_cast<int64_t>(o.size)) {
        continue;
      }
      todo_.push_back(o);
      processed_.push_back({id, o.etag, static_cast<int64_t>(o.size)});
      run_.bytes_total += static_cast<int64_t>(o.size);
    }
    run_.objects_total = static_cast<int64_t>(todo_.size());
    if (todo_.empty()) {
      run_.phase = "done";
      run_.status = RunStatus::kSucceeded;
      run_.finished_ms = WallMillis();
      run_.message = "no new objects since the last successful run";
      return ctx_.store->CommitRun(run_, {});
    }

    if (pipeline_->has_dedupe()) {  // keys of earlier runs: re-sent records are duplicates
      TRY_ASSIGN(auto history, ctx_.store->DedupeHistory(job_.name));
      dedupe_.SetHistory(std::move(history));
    }
    int workers = ctx_.workers > 0 ? ctx_.workers : spec().workers;
    if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    workers = std::min<int>(workers, static_cast<int>(todo_.size()));
    run_.workers = workers;
    scratch_ = ctx_.scratch_root + "/" + job_.name + "-" + std::to_string(run_.id);
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
    TRY(MakeDirs(scratch_));

    EtlWriterOptions wo = ctx_.writer;
    std::string codec = spec().target.compression == "none" ? "uncompressed" : spec().target.compression;
    TRY_ASSIGN(wo.parquet.codec, parquet::ParseCodec(codec));
    wo.parquet.key_value_metadata.push_back({"tributary.job", job_.name});
    char prefix[32];
    for (int w = 0; w < workers; ++w) {
      std::snprintf(prefix, sizeof prefix, "part-%05lld-%d", static_cast<long long>(run_.id), w);
      writers_.push_back(std::make_unique<PartitionedWriter>(*pipeline_, scratch_, prefix, wo));
      error_files_.push_back(nullptr);
    }
    run_.phase = "transforming";
    Progress();

    // Worker 0 is this thread. Workers take objects from one queue, so a worker thread the
    // system refuses (the server at its limit of threads) leaves fewer, not a failed run.
    std::vector<std::thread> threads;
    for (int w = 1; w < workers; ++w) {
      auto t = StartThread("etl-worker-" + std::to_string(w), [this, w] { Work(w); });
      if (!t.ok()) {
        Logger("lake")->warn("ETL run {}: {} of {} workers: {}", run_.id, w, workers,
                             t.status().message());
        break;
      }
      threads.push_back(std::move(t).value());
    }
    Work(0);
    for (auto& t : threads) t.join();
    for (auto*& f : error_files_) {
      if (f != nullptr && std::fclose(f) != 0 && failure_.ok()) failure_ = IoError("closing an error file in " + scratch_);
      f = nullptr;
    }
    if (!failure_.ok()) return failure_;
    if (Cancelled()) {
      run_.status = RunStatus::kCancelled;
      run_.message = "cancelled after " + std::to_string(run_.objects_read) + " of " +
                     std::to_string(run_.objects_total) + " objects; nothing was written and the bookmark did not move";
      return Status::Ok();
    }
    for (auto& w : writers_) TRY(w->Finish());
    TRY(DropNullColumns());
    return Commit();
  }

  void Work(int w) {
    simdjson::dom::parser parser;  // Parquet sources' rows
    JsonRecordStream records;      // raw JSON objects' records
    std::string buffer;            // a raw object's text
    RowScratch scratch;
    Row row;
    std::string reason;
    PartitionedWriter& writer = *writers_[w];
    for (;;) {
      size_t i = next_.fetch_add(1);
      if (Cancelled() || stop_.load()) return;
      if (i >= todo_.size()) {
        // Closing the worker's files here rather than after the join lets the last
        // row groups of every worker be encoded and written at the same time.
        Status st = writer.Finish();
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          if (failure_.ok()) failure_ = st;
        }
        return;
      }
      const objstore::ObjectInfo& o = todo_[i];
      Counts c;
      Status st = ReadObject(w, o, parser, records, &buffer, &scratch, &row, &reason, writer, &c);
      {
        std::lock_guard<std::mutex> lock(mu_);
        run_.objects_read += 1;
        run_.bytes_read += c.bytes;
        run_.rows_read += c.read;
        run_.rows_written += c.written;
        run_.rows_rejected += c.rejected;
        run_.rows_filtered += c.filtered;
        run_.rows_duplicate += c.duplicate;
        if (!st.ok() && failure_.ok()) failure_ = st;
      }
      if (!st.ok()) {
        stop_ = true;
        return;
      }
      Progress();
    }
  }

  Status Reject(int w, const std::string& key, size_t line, std::string_view record, const std::string& reason) {
    std::FILE*& f = error_files_[w];
    if (f == nullptr) {
      std::string path = scratch_ + "/errors-" + std::to_string(w) + ".json";
      f = std::fopen(path.c_str(), "w");
      if (f == nullptr) return IoError("cannot create " + path);
    }
    std::string out = "{\"object\":";
    expr::AppendJsonString(key, &out);
    out += ",\"line\":" + std::to_string(line) + ",\"reason\":";
    expr::AppendJsonString(reason, &out);
    out += ",\"record\":";
    expr::AppendJsonString(record, &out);
    out += "}\n";
    if (std::fwrite(out.data(), 1, out.size(), f) != out.size()) return IoError("writing the error file in " + scratch_);
    return Status::Ok();
  }

  Status ReadObject(int w, const objstore::ObjectInfo& o, simdjson::dom::parser& parser, JsonRecordStream& records,
                    std::string* buffer, RowScratch* scratch, Row* row, std::string* reason,
                    PartitionedWriter& writer, Counts* c) {
    if (parquet_source_) return ReadParquetObject(w, o, parser, scratch, row, reason, writer, c);
    std::string& text = *buffer;
    Status read = ReadRaw(o, &text);
    if (!read.ok()) return read.WithContext("reading source object " + o.key);
    c->bytes = static_cast<int64_t>(text.size());
    auto decoded = DecodeObject(o.key, std::move(text));  // a plain object is moved back as it is
    if (!decoded.ok()) {  // a corrupt object stays corrupt: reported, and bookmarked
      Error(decoded.status().message());
      ++c->rejected;
      return Reject(w, o.key, 0, "", decoded.status().message());
    }
    text = std::move(*decoded);

    const PartitionValues partition = PartitionOf(o.key);
    Status inner;
    auto one = [&](simdjson::dom::element e, std::string_view record, size_t offset) -> bool {
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) {
        ++c->rejected;
        inner = Reject(w, o.key, records.LineOf(offset), record, "a record must be a JSON object");
        return inner.ok();
      }
      inner = ProcessRecord(obj, partition, w, o.key, [&] { return records.LineOf(offset); }, record, scratch, row,
                            reason, writer, c);
      return inner.ok();
    };
    Status framing = records.ForEach(text, [&](const JsonRecord& r) -> bool {
      ++c->read;
      if (!r.error.empty()) {
        ++c->rejected;
        inner = Reject(w, o.key, records.LineOf(r.offset), r.text, "not valid JSON: " + std::string(r.error));
        return inner.ok();
      }
      if (r.value.is_array()) {  // a batch written as one JSON array: each element is a record
        --c->read;
        simdjson::dom::array items = r.value.get_array().value_unsafe();
        for (simdjson::dom::element item : items) {
          ++c->read;
          if (!one(item, r.text, r.offset)) return false;
        }
        return true;
      }
      if (Cancelled()) return false;
      return one(r.value, r.text, r.offset);
    });
    TRY(inner);
    if (!framing.ok()) {
      ++c->read;
      ++c->rejected;
      TRY(Reject(w, o.key, 0, "", framing.message()));
    }
    return Status::Ok();
  }

  // The bytes of source object `o` into `out`, which keeps its capacity from object to
  // object. A get of a whole object returns a new string: for objects of tens of MB
  // that is fresh memory from the kernel, zeroed and faulted in page by page every
  // time (about 15 % of a worker's time). Ranged gets of kReadChunk bytes reuse the
  // allocator's memory instead.
  Status ReadRaw(const objstore::ObjectInfo& o, std::string* out) {
    out->clear();
    if (o.size <= kReadChunk) {
      TRY_ASSIGN(*out, source_bucket_->Get(o.key));
      return Status::Ok();
    }
    // The pieces name the ETag the object has now, so that they all come from one
    // version of it even if it is replaced while they are read.
    TRY_ASSIGN(objstore::ObjectInfo now, source_bucket_->Head(o.key));
    out->reserve(now.size);
    for (uint64_t offset = 0; offset < now.size;) {
      const uint64_t want = std::min<uint64_t>(kReadChunk, now.size - offset);
      auto part = source_bucket_->Get(o.key, objstore::ByteRange{offset, want, now.etag});
      if (!part.ok()) {
        if (offset == 0 && part.status().code() != ErrorCode::kFailedPrecondition)
          return part.status();
        TRY_ASSIGN(*out, source_bucket_->Get(o.key));  // replaced meanwhile: as it is now, whole
        return Status::Ok();
      }
      out->append(*part);
      offset += part->size();
      if (part->size() < want) break;  // it shrank since the listing
    }
    return Status::Ok();
  }

  // The partition values a source object's key gives (relative to the table's location).
  PartitionValues PartitionOf(const std::string& key) const {
    DetectedPartition part = DetectPartition(key.substr(std::min(key.size(), source_prefix_)));
    PartitionValues partition;
    for (size_t k = 0; k < part.keys.size() && k < part.values.size(); ++k) {
      partition.emplace_back(part.keys[k], part.values[k]);
    }
    return partition;
  }

  // One source record through the pipeline, counted; a kept row goes to `writer`, a
  // rejected record to the error prefix with its reason and line (`line()`, asked only
  // then: counting lines is not free).
  template <typename LineFn>
  Status ProcessRecord(simdjson::dom::object record, const PartitionValues& partition, int w,
                       const std::string& key, LineFn line, std::string_view text, RowScratch* scratch,
                       Row* row, std::string* reason, PartitionedWriter& writer, Counts* c) {
    if (!pipeline_->explode())
      return ProcessOne(record, partition, w, key, line, text, scratch, row, reason, writer, c);
    // Explode (etl_explode.h): each record it makes goes through the pipeline; a record
    // that makes none is counted as filtered.
    size_t made = 0;
    TRY(ExplodeRecord(*pipeline_->explode(), record, &scratch->explode_rest, &scratch->exploded,
                      [&](const std::string& json) -> Status {
                        ++made;
                        simdjson::dom::object exploded;
                        if (scratch->exploded_parser.parse(json).get_object().get(exploded) !=
                            simdjson::SUCCESS) {
                          return Internal("explode made a record that does not parse: " +
                                          json.substr(0, 200));
                        }
                        return ProcessOne(exploded, partition, w, key, line, text, scratch, row,
                                          reason, writer, c);
                      }));
    if (made == 0) ++c->filtered;
    return Status::Ok();
  }

  template <typename LineFn>
  Status ProcessOne(simdjson::dom::object record, const PartitionValues& partition, int w,
                    const std::string& key, LineFn line, std::string_view text, RowScratch* scratch,
                    Row* row, std::string* reason, PartitionedWriter& writer, Counts* c) {
    switch (pipeline_->Process(record, partition, &dedupe_, scratch, row, reason)) {
      case Outcome::kKept: {
        Status st = writer.Append(*row);
        if (st.ok()) ++c->written;
        return st;
      }
      case Outcome::kFiltered: ++c->filtered; break;
      case Outcome::kDuplicate: ++c->duplicate; break;
      case Outcome::kRejected:
        ++c->rejected;
        return Reject(w, key, line(), text, *reason);
    }
    return Status::Ok();
  }

  // A Parquet source object: each row, as a JSON object, through the pipeline. A file
  // that does not read is rejected whole (and bookmarked), as a corrupt raw object is.
  Status ReadParquetObject(int w, const objstore::ObjectInfo& o, simdjson::dom::parser& parser, RowScratch* scratch,
                           Row* row, std::string* reason, PartitionedWriter& writer, Counts* c) {
    TableObject object;
    object.info = o;
    object.id = parquet_source_->table().location.bucket + "/" + o.key;
    const PartitionValues partition = PartitionOf(o.key);
    c->bytes = static_cast<int64_t>(o.size);
    Status inner;
    auto one = [&](const TableRecord& r) -> bool {
      ++c->read;
      inner = ProcessRecord(r.value.get_object().value_unsafe(), partition, w, o.key, [&] { return r.line; }, r.text,
                            scratch, row, reason, writer, c);
      return inner.ok() && !Cancelled();
    };
    Status st = parquet_source_->Read(object, &parser, one, [](const TableRecord&, const std::string&) { return true; });
    TRY(inner);
    if (st.code() == ErrorCode::kDataLoss) {
      Error(st.message());
      ++c->rejected;
      return Reject(w, o.key, 0, "", st.message());
    }
    return st;
  }

  // drop_null_fields: rewrites the staged files without the columns no row had a value in.
  Status DropNullColumns() {
    if (pipeline_->drop_null_candidates().empty()) return Status::Ok();
    std::vector<uint8_t> any(pipeline_->columns().size(), 0);
    for (auto& w : writers_) {
      for (size_t i = 0; i < any.size(); ++i) any[i] |= w->has_value()[i];
    }
    std::set<std::string> drop;
    for (int idx : pipeline_->drop_null_candidates()) {
      if (!any[idx]) drop.insert(pipeline_->columns()[idx].name);
    }
    if (drop.empty()) return Status::Ok();
    run_.dropped_columns.assign(drop.begin(), drop.end());
    for (auto& w : writers_) {
      for (const StagedFile& f : w->files()) {
        TRY_ASSIGN(auto reader, parquet::ParquetReader::Open(f.local_path));
        std::vector<std::string> keep;
        parquet::Schema schema;
        for (const auto& col : reader->schema().columns) {
          if (drop.count(col.name)) continue;
          keep.push_back(col.name);
          schema.columns.push_back(col);
        }
        if (keep.empty()) {
          return FailedPrecondition("drop_null_fields would leave no data column (every column was null in every row)");
        }
        TRY_ASSIGN(auto idx, reader->Resolve(keep));
        parquet::WriterOptions wo = ctx_.writer.parquet;
        std::string codec = spec().target.compression == "none" ? "uncompressed" : spec().target.compression;
        TRY_ASSIGN(wo.codec, parquet::ParseCodec(codec));
        std::string tmp = f.local_path + ".narrow";
        TRY_ASSIGN(auto writer, parquet::ParquetWriter::Open(tmp, schema, wo));
        for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
          TRY_ASSIGN(auto batch, reader->ReadRowGroup(rg, idx));
          batch.schema = schema;
          TRY(writer->Write(batch));
        }
        TRY(writer->Close());
        if (::rename(tmp.c_str(), f.local_path.c_str()) != 0) return IoError("cannot rename " + tmp);
      }
    }
    return Status::Ok();
  }

  Status Upload(const std::shared_ptr<objstore::ObjectStore>& bucket, const std::string& bucket_name,
                const std::string& key,
                const std::string& local_path, const std::string& content_type) {
    std::FILE* f = std::fopen(local_path.c_str(), "rb");
    if (f == nullptr) return IoError("cannot open staged file " + local_path);
    objstore::PutOptions po;
    po.content_type = content_type;
    auto writer = bucket->NewWriter(key, po);
    if (!writer.ok()) {
      std::fclose(f);
      return writer.status().WithContext("writing " + bucket_name + "/" + key);
    }
    std::string buf(kUploadChunk, '\0');
    Status st;
    for (;;) {
      size_t n = std::fread(buf.data(), 1, buf.size(), f);
      if (n > 0) st = (*writer)->Write(std::string_view(buf.data(), n));
      if (!st.ok() || n < buf.size()) break;
    }
    bool read_error = std::ferror(f) != 0;
    std::fclose(f);
    if (st.ok() && read_error) st = IoError("reading staged file " + local_path);
    if (st.ok()) st = (*writer)->Commit();
    if (!st.ok()) {
      (*writer)->Abort();
      return st.WithContext("writing " + bucket_name + "/" + key);
    }
    uploaded_.push_back({bucket, key});
    return Status::Ok();
  }

  Status Commit() {
    const TargetSpec& t = spec().target;
    struct Item {
      std::string local, key;
      bool parquet;
    };
    std::vector<Item> items;
    std::map<std::vector<std::string>, Partition> partitions;
    for (auto& w : writers_) {
      for (const StagedFile& f : w->files()) {
        items.push_back({f.local_path, t.path.prefix + f.relative_key, true});
        Partition& p = partitions[f.partition_values];
        p.values = f.partition_values;
        p.location = t.path.Child(f.partition_path);
        p.record_count += f.rows;
        p.object_count += 1;
        p.size_bytes += f.bytes;
        run_.files_written += 1;
        run_.bytes_written += f.bytes;
      }
    }
    std::string error_prefix = t.error_path.prefix + "run=" + std::to_string(run_.id) + "/";
    for (size_t w = 0; w < writers_.size(); ++w) {
      std::string path = scratch_ + "/errors-" + std::to_string(w) + ".json";
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) {
        items.push_back({path, error_prefix + "errors-" + std::to_string(w) + ".json", false});
        run_.error_prefix = t.error_path.bucket + "/" + error_prefix;
      }
    }
    run_.partitions = static_cast<int64_t>(partitions.size());
    run_.phase = "committing";
    for (const auto& it : items) {
      run_.committing.push_back((it.parquet ? t.path.bucket : t.error_path.bucket) + "/" + it.key);
    }
    TRY(ctx_.store->UpdateRun(run_));  // a crash from here on is undone by RecoverAbandonedRuns
    Progress();
    TRY_ASSIGN(auto target_bucket, ctx_.lake->Bucket(t.path.bucket));
    std::shared_ptr<objstore::ObjectStore> error_bucket = target_bucket;
    if (t.error_path.bucket != t.path.bucket) {
      TRY_ASSIGN(error_bucket, ctx_.lake->Bucket(t.error_path.bucket));
    }
    for (const auto& it : items) {
      if (Cancelled()) {
        run_.status = RunStatus::kCancelled;
        run_.message = "cancelled while committing; what was uploaded was removed and the bookmark did not move";
        return Status::Ok();
      }
      if (it.parquet) {
        TRY(Upload(target_bucket, t.path.bucket, it.key, it.local, "application/vnd.apache.parquet"));
      } else {
        TRY(Upload(error_bucket, t.error_path.bucket, it.key, it.local, "application/x-ndjson"));
      }
    }
    if (run_.files_written > 0) TRY(RegisterTable(partitions));
    run_.status = RunStatus::kSucceeded;
    run_.phase = "done";
    run_.finished_ms = WallMillis();
    run_.committing.clear();
    Status st = ctx_.store->CommitRun(run_, processed_, dedupe_.TakeNewKeys(), ctx_.dedupe_history_keys);
    if (!st.ok()) {
      run_.status = RunStatus::kRunning;  // Go() fails it and rolls back
      return st.WithContext("recording the run");
    }
    return Status::Ok();
  }

  Status RegisterTable(const std::map<std::vector<std::string>, Partition>& partitions) {
    const TargetSpec& t = spec().target;
    TRY(ctx_.catalog->CreateDatabase(t.database, "", /*if_not_exists=*/true).status());
    TableInput in;
    std::set<std::string> dropped(run_.dropped_columns.begin(), run_.dropped_columns.end());
    const auto& cols = pipeline_->columns();
    std::vector<bool> is_part(cols.size(), false);
    for (int p : pipeline_->partition_columns()) is_part[p] = true;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!is_part[i] && !dropped.count(cols[i].name))
        in.columns.push_back({cols[i].name, HiveTypeOf(cols[i]), ""});
    }
    for (int p : pipeline_->partition_columns())
      in.partition_keys.push_back({cols[p].name, HiveTypeOf(cols[p]), ""});
    in.location = t.path;
    in.format = DataFormat::kParquet;
    in.compression = t.compression;
    in.record_count = run_.rows_written;
    in.object_count = run_.files_written;
    in.size_bytes = run_.bytes_written;
    in.last_crawl_ms = WallMillis();
    in.parameters = {{"classification", "parquet"}, {"job", job_.name}};
    in.updated_by = "job:" + job_.name;
    auto existing = ctx_.catalog->GetTable(t.database, t.table);
    if (existing.ok() && existing->location == t.path) {
      in.record_count += existing->record_count;
      in.object_count += existing->object_count;
      in.size_bytes += existing->size_bytes;
    }
    auto up = ctx_.catalog->UpsertTable(t.database, t.table, in);
    if (!up.ok()) return up.status().WithContext("registering " + run_.table + " in the catalog");
    run_.table_version = up->table.version;
    std::vector<Partition> parts;
    for (const auto& [values, p] : partitions) parts.push_back(p);
    if (!in.partition_keys.empty()) {
      TRY(ctx_.catalog->AddPartitions(t.database, t.table, parts, PartitionMerge::kAddCounts));
    }
    return Status::Ok();
  }

  void Rollback() {
    for (auto& w : writers_) w->Abort();
    for (auto& [bucket, key] : uploaded_) {
      Status st = bucket->Delete(key);
      if (!st.ok()) Error("could not remove " + key + " after the failure: " + st.message());
    }
    uploaded_.clear();
    run_.committing.clear();
  }

  const JobDefinition& job_;
  JobRun run_;
  const JobRunContext& ctx_;
  std::optional<Pipeline> pipeline_;
  std::optional<TableReader> parquet_source_;  // set when the source table is Parquet
  std::shared_ptr<objstore::ObjectStore> source_bucket_;
  std::vector<objstore::ObjectInfo> todo_;
  std::vector<BookmarkEntry> processed_;
  size_t source_prefix_ = 0;
  std::string scratch_;
  std::vector<std::unique_ptr<PartitionedWriter>> writers_;
  std::vector<std::FILE*> error_files_;
  // The buckets are held so that Rollback can still delete after Commit let go of them.
  std::vector<std::pair<std::shared_ptr<objstore::ObjectStore>, std::string>> uploaded_;
  DedupeSet dedupe_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Status failure_;
};

}  // namespace

JobRun RunJob(const JobDefinition& job, JobRun run, const JobRunContext& context) {
  Run r(job, std::move(run), context);
  return r.Go();
}

Status RecoverAbandonedRuns(JobStore* store, objstore::ObjectStoreProvider* lake) {
  TRY_ASSIGN(auto runs, store->AbandonedRuns());
  for (JobRun& run : runs) {
    size_t removed = 0;
    for (const std::string& id : run.committing) {
      size_t slash = id.find('/');
      if (slash == std::string::npos) continue;
      auto bucket = lake->Bucket(id.substr(0, slash));
      if (bucket.ok() && (*bucket)->Delete(id.substr(slash + 1)).ok()) ++removed;
    }
    run.status = RunStatus::kFailed;
    run.phase = "done";
    run.finished_ms = WallMillis();
    run.message = "the server stopped while this run was going; " +
                  (run.committing.empty() ? std::string("nothing had been written")
                                          : std::to_string(removed) + " partly committed objects were removed") +
                  "; the bookmark did not move: run the job again";
    run.committing.clear();
    TRY(store->UpdateRun(run));
  }
  return Status::Ok();
}

}  // namespace tributary::lake
