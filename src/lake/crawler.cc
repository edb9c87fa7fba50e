#include "lake/crawler.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/clock.h"
#include "lake/glue_glob.h"
#include "lake/hive_parquet.h"
#include "lake/json_record_parse.h"
#include "lake/json_records.h"
#include "lake/partition_detect.h"
#include "lake/schema_inference.h"
#include "parquet/compression.h"
#include "parquet/file_reader.h"
#include "parquet/io.h"
#include "streams/gzip.h"
#include "streams/snappy_streams.h"
#include "streams/zip_archive.h"

namespace tributary::lake {
namespace {

// The table parameter DeleteBehavior DEPRECATE_IN_DATABASE sets (epoch milliseconds).
constexpr const char* kDeprecatedParameter = "DEPRECATED_BY_CRAWLER";

constexpr size_t kMaxErrors = 100;  // a run keeps the first ones; the count says the rest

// Whether an object is one of a stream's Snappy objects: named .snappy (either kind), or
// starting with snappy-java's header.
bool IsSnappyObject(std::string_view key, std::string_view bytes) {
  return key.ends_with(".snappy") ||
         bytes.substr(0, streams::kXerialSnappyMagic.size()) == streams::kXerialSnappyMagic;
}

bool HasGzipMagic(std::string_view bytes) { return bytes.starts_with("\x1f\x8b"); }

// A .zip object (Firehose's "ZIP": one entry; any entries, in order, of one put by hand),
// told by its name or its first local header.
bool IsZipObject(std::string_view key, std::string_view bytes) {
  return key.ends_with(".zip") || bytes.substr(0, streams::kZipMagic.size()) == streams::kZipMagic;
}

// What decompressing object `key` (`packed` bytes) gave, its errors as a bad object's:
// past the limit, "<past> past <max_text> bytes, ..."; corrupt, "<corrupt><why>".
Result<std::string> ObjectText(const std::string& key, Result<std::string> text, size_t packed,
                               size_t max_text, std::string_view past, std::string_view corrupt) {
  if (!text.ok() && text.status().code() == ErrorCode::kResourceExhausted) {
    return DataLoss("object " + key + ": " + std::string(past) + " past " +
                    std::to_string(max_text) + " bytes, the most an object's text may hold here (" +
                    std::to_string(packed) + " bytes compressed)");
  }
  if (!text.ok()) {
    return DataLoss("object " + key + ": " + std::string(corrupt) + text.status().message());
  }
  return text;
}

struct PartitionDelta {
  int64_t records = 0;
  int64_t objects = 0;
  int64_t bytes = 0;
  std::string prefix;  // relative to the source
};

// A Parquet file starts and ends with "PAR1".
bool IsParquet(std::string_view bytes) {
  return bytes.size() >= 12 && bytes.substr(0, 4) == "PAR1" &&
         bytes.substr(bytes.size() - 4) == "PAR1";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

// The state of one crawl between listing and writing the catalog.
class Crawl {
 public:
  Crawl(const CrawlerDefinition& crawler, CrawlRun run, const CrawlContext& ctx)
      : crawler_(crawler), run_(std::move(run)), ctx_(ctx) {}

  CrawlRun Run() {
    Status st = Go();
    if (!st.ok() && run_.status == RunStatus::kRunning) {
      run_.status = RunStatus::kFailed;
      run_.message = st.message();
    }
    if (run_.status == RunStatus::kRunning) run_.status = RunStatus::kSucceeded;
    run_.finished_ms = WallMillis();
    return std::move(run_);
  }

 private:
  void Error(std::string message) {
    if (run_.errors.size() < kMaxErrors) {
      run_.errors.push_back(std::move(message));
    } else if (run_.errors.size() == kMaxErrors) {
      run_.errors.push_back("... more errors not listed");
    }
  }
  void Progress() {
    if (ctx_.on_progress) ctx_.on_progress(run_);
  }

  Status Go() {
    std::string table_name = crawler_.TableName();
    run_.table = crawler_.database + "." + table_name;
    TRY(ctx_.catalog->CreateDatabase(crawler_.database, "", /*if_not_exists=*/true).status());
    auto existing = ctx_.catalog->GetTable(crawler_.database, table_name);
    if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound)
      return existing.status();
    if (existing.ok()) {
      table_ = *existing;
      if (table_->object_count > 0) format_ = table_->format;
      auto builder = SchemaBuilder::FromColumns(table_->columns);
      if (!builder.ok()) return builder.status().WithContext(run_.table);
      builder_ = std::move(*builder);
      auto pattern = table_->parameters.find("partition_pattern");
      if (pattern != table_->parameters.end()) {
        keys_ = SplitKeys(pattern->second);
      } else {
        keys_.emplace();
        for (const auto& k : table_->partition_keys) keys_->push_back(k.name);
      }
    }

    const std::string& prefix = crawler_.source.prefix;
    auto listing = ctx_.bucket->List(prefix);
    if (!listing.ok()) return listing.status().WithContext("listing " + crawler_.source.ToUri());
    TRY_ASSIGN(auto seen, ctx_.store->SeenObjects(crawler_.name));
    // The objects read before went into a table that is gone (its database or the table
    // deleted): read them all again.
    if (!existing.ok()) seen.clear();
    std::vector<objstore::ObjectInfo> todo;
    const GlueGlobSet excluded(crawler_.exclusions);
    std::set<std::string_view> listed;
    for (const auto& o : listing->objects) listed.insert(o.key);
    for (const auto& [key, previous] : seen) {
      if (!listed.count(key)) Gone(previous);
    }
    const bool deprecating =
        crawler_.delete_behavior == CrawlerDefinition::DeleteBehavior::kDeprecateInDatabase;
    for (const auto& o : listing->objects) {
      std::string_view relative = std::string_view(o.key).substr(prefix.size());
      if (IsHiddenKey(relative) || excluded.AnyMatches(relative)) continue;
      ++run_.objects_listed;
      auto it = seen.find(o.key);
      if (it != seen.end() && it->second.etag == o.etag &&
          it->second.size == static_cast<int64_t>(o.size))
        continue;
      todo.push_back(o);
      run_.bytes_total += static_cast<int64_t>(o.size);
    }
    run_.objects_total = static_cast<int64_t>(todo.size());
    // DeleteBehavior DEPRECATE_IN_DATABASE: a table whose every object is gone is marked,
    // and unmarked when objects come back.
    deprecated_ = deprecating && table_ && !seen.empty() && run_.objects_listed == 0;
    const bool was_deprecated = table_ && table_->parameters.count(kDeprecatedParameter) > 0;
    Progress();

    for (const auto& o : todo) {
      if (ctx_.cancel != nullptr && ctx_.cancel->load()) {
        run_.status = RunStatus::kCancelled;
        run_.message = "cancelled after " + std::to_string(run_.objects_read) + " of " +
                       std::to_string(run_.objects_total) +
                       " objects; nothing was written to the catalog";
        return Status::Ok();
      }
      auto previous = seen.find(o.key);
      ReadObject(o, previous == seen.end() ? nullptr : &previous->second);
      Progress();
    }
    if (updates_.empty() && gone_.empty() && deprecated_ == was_deprecated)
      return Status::Ok();  // nothing new: the catalog stays as it is
    return WriteCatalog(table_name);
  }

  // An object read before that is no longer listed: what it held no longer counts, or
  // under DeleteBehavior LOG and DEPRECATE_IN_DATABASE it is only counted as gone (it
  // stays seen, its records in the table and its partition).
  void Gone(const SeenObject& previous) {
    if (crawler_.delete_behavior != CrawlerDefinition::DeleteBehavior::kDeleteFromDatabase) {
      ++run_.objects_gone;
      run_.gone_kept = true;
      return;
    }
    PartitionDelta& old = deltas_[previous.partition_values];
    old.records -= previous.records;
    old.objects -= 1;
    old.bytes -= previous.size;
    run_.records -= previous.records;
    ++run_.objects_gone;
    gone_.push_back(previous.key);
  }

  static std::vector<std::string> SplitKeys(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size() && !text.empty()) {
      size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      out.push_back(text.substr(start, comma - start));
      start = comma + 1;
    }
    return out;
  }

  void ReadObject(const objstore::ObjectInfo& o, const SeenObject* previous) {
    std::string relative = o.key.substr(crawler_.source.prefix.size());
    DetectedPartition part = DetectPartition(relative);
    if (!keys_) keys_ = part.keys;
    if (part.keys != *keys_) {
      Error("object " + o.key + ": its folders give partition keys " + JoinNames(part.keys) +
            " but the table's are " + JoinNames(*keys_) +
            "; skipped (point the crawler at a prefix whose "
            "objects share one layout)");
      return;
    }
    auto bytes = ctx_.bucket->Get(o.key);
    if (!bytes.ok()) {
      Error("object " + o.key + ": " + bytes.status().message() + " (left for the next run)");
      return;
    }
    run_.bytes_read += static_cast<int64_t>(bytes->size());
    ++run_.objects_read;
    const DataFormat format = IsParquet(*bytes) ? DataFormat::kParquet : DataFormat::kJson;
    if (format_ && *format_ != format) {
      Error("object " + o.key + " is " + std::string(DataFormatName(format)) +
            " but the table's objects are " + std::string(DataFormatName(*format_)) +
            "; skipped (one format per table: point the crawler at a prefix holding one)");
      return;
    }
    format_ = format;
    SeenObject seen{o.key, o.etag, static_cast<int64_t>(o.size), 0, part.values};
    if (format == DataFormat::kParquet) {
      seen.records = ReadParquetSchema(o.key, *bytes);
    } else {
      if (HasGzipMagic(*bytes)) compression_ = "gzip";
      if (IsSnappyObject(o.key, *bytes)) compression_ = "snappy";
      if (IsZipObject(o.key, *bytes)) compression_ = "zip";
      auto text = DecodeObject(o.key, std::move(*bytes));
      if (!text.ok()) {
        Error(text.status().message());
      } else {
        seen.records = ParseRecords(o.key, *text);
      }
    }
    PartitionDelta& delta = deltas_[part.values];
    delta.prefix = part.prefix;
    delta.records += seen.records;
    delta.objects += 1;
    delta.bytes += static_cast<int64_t>(o.size);
    run_.records += seen.records;
    if (previous != nullptr) {  // a changed object: what it held before no longer counts
      PartitionDelta& old = deltas_[previous->partition_values];
      if (old.prefix.empty()) old.prefix = part.prefix;
      old.records -= previous->records;
      old.objects -= 1;
      old.bytes -= previous->size;
      run_.records -= previous->records;
    }
    updates_.push_back(std::move(seen));
  }

  // Feeds a Parquet object's columns to the schema builder (its footer is the schema);
  // returns its row count, 0 if it cannot be read.
  int64_t ReadParquetSchema(const std::string& key, const std::string& bytes) {
    auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(bytes));
    if (!reader.ok()) {
      ++run_.records_bad;
      Error("object " + key + ": not a readable Parquet file: " + reader.status().message());
      return 0;
    }
    std::vector<Column> columns;
    for (const parquet::FileColumn& fc : (*reader)->columns()) {
      columns.push_back({fc.column.name, HiveTypeOfParquet(fc.column), ""});
    }
    if (Status st = builder_.AddColumns(columns, key); !st.ok()) {
      Error(st.message());
      return 0;
    }
    const auto& groups = (*reader)->metadata().row_groups;
    if (!groups.empty() && !groups[0].columns.empty() && groups[0].columns[0].meta_data) {
      std::string codec(parquet::CodecName(groups[0].columns[0].meta_data->codec));
      for (char& ch : codec) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      compression_ = codec == "uncompressed" ? "none" : codec;
    }
    return (*reader)->num_rows();
  }

  // Feeds each record of `text` to the schema builder; returns how many were good.
  int64_t ParseRecords(const std::string& key, std::string_view text) {
    int64_t good = 0;
    Status framing = SplitJsonRecords(text, [&](std::string_view record, RecordPosition pos) {
      std::string where = key + " line " + std::to_string(pos.line);
      simdjson::dom::element doc;
      auto error = ParseJsonRecord(parser_, record, /*padded=*/false).get(doc);
      if (error) {
        ++run_.records_bad;
        Error(where + " (offset " + std::to_string(pos.offset) +
              "): not valid JSON: " + simdjson::error_message(error));
        return true;
      }
      simdjson::dom::object fields;
      if (!doc.get_object().get(fields)) {
        builder_.AddRecord(fields, where);
        ++good;
      } else if (doc.is_array()) {  // a batch written as one JSON array
        simdjson::dom::array items = doc.get_array().value_unsafe();
        for (simdjson::dom::element item : items) {
          simdjson::dom::object fields;
          if (!item.get_object().get(fields)) {
            builder_.AddRecord(fields, where);
            ++good;
          } else {
            ++run_.records_bad;
            Error(where + ": an array element is not a JSON object");
          }
        }
      } else {
        ++run_.records_bad;
        Error(where + " (offset " + std::to_string(pos.offset) +
              "): a record must be a JSON object, found '" + std::string(record.substr(0, 40)) +
              "'");
      }
      return true;
    });
    if (!framing.ok()) {
      ++run_.records_bad;
      Error(key + ": " + framing.message() + "; the rest of the object is skipped");
    }
    return good;
  }

  Status WriteCatalog(const std::string& table_name) {
    std::vector<Column> columns = builder_.Columns();
    if (columns.empty()) {
      // No record in any object yet: mark them seen only if they held nothing at all.
      run_.message =
          "no records found under " + crawler_.source.ToUri() + "; no table written";
      TRY(ctx_.store->ForgetSeen(crawler_.name, gone_));
      return ctx_.store->MarkSeen(crawler_.name, updates_);
    }
    run_.conflicts = builder_.conflicts();
    std::set<std::string> column_names;
    for (const auto& c : columns) column_names.insert(c.name);
    TableInput in;
    in.columns = columns;
    for (size_t i = 0; i < keys_->size(); ++i) {
      std::string name = (*keys_)[i];
      // Columns and partition keys share one namespace: a key named like a field of
      // the records (a "year" field under year=2026/) gets Glue's positional name.
      if (column_names.count(name)) name = "partition_" + std::to_string(i);
      in.partition_keys.push_back({name, "string", ""});
    }
    in.location = crawler_.source;
    in.format = format_.value_or(DataFormat::kJson);
    in.compression = !compression_.empty() ? compression_ : (table_ ? table_->compression : "none");
    int64_t delta_records = 0, delta_objects = 0, delta_bytes = 0;
    for (const auto& [values, d] : deltas_) {
      delta_records += d.records;
      delta_objects += d.objects;
      delta_bytes += d.bytes;
    }
    in.record_count = (table_ ? table_->record_count : 0) + delta_records;
    in.object_count = (table_ ? table_->object_count : 0) + delta_objects;
    in.size_bytes = (table_ ? table_->size_bytes : 0) + delta_bytes;
    in.last_crawl_ms = WallMillis();
    if (table_) in.parameters = table_->parameters;
    in.parameters["classification"] = std::string(DataFormatName(in.format));
    in.parameters["crawler"] = crawler_.name;
    in.parameters["compressionType"] = in.compression;
    std::string pattern;
    for (size_t i = 0; i < keys_->size(); ++i) pattern += (i ? "," : "") + (*keys_)[i];
    in.parameters["partition_pattern"] = pattern;
    if (crawler_.exclusions.empty()) {
      in.parameters.erase("exclusions");
    } else {
      in.parameters["exclusions"] = nlohmann::json(crawler_.exclusions).dump();
    }
    in.updated_by = "crawler:" + crawler_.name;

    if (deprecated_) {
      in.parameters[kDeprecatedParameter] = std::to_string(WallMillis());
    } else {
      in.parameters.erase(kDeprecatedParameter);
    }
    if (table_ && crawler_.update_behavior == CrawlerDefinition::UpdateBehavior::kLog) {
      // UpdateBehavior LOG: the table keeps its schema; the run says how the records differ.
      run_.schema_changes_logged = SchemaDifferences(*table_, in);
      in.columns = table_->columns;
      in.partition_keys = table_->partition_keys;
      in.format = table_->format;
    } else if (table_ &&
               crawler_.update_behavior == CrawlerDefinition::UpdateBehavior::kMergeNewColumns) {
      // New columns only: the existing ones keep their types (the run names the changes
      // not made), the partition keys and format stay.
      std::vector<Column> merged = table_->columns;
      for (const Column& c : in.columns) {
        auto old = std::find_if(merged.begin(), merged.end(),
                                [&](const Column& o) { return o.name == c.name; });
        if (old != merged.end()) continue;
        merged.push_back(c);
        run_.columns_added.push_back(c.name);
      }
      for (std::string& change : SchemaDifferences(*table_, in)) {
        if (!change.starts_with("column added: "))
          run_.schema_changes_logged.push_back(std::move(change));
      }
      in.columns = std::move(merged);
      in.partition_keys = table_->partition_keys;
      in.format = table_->format;
    } else if (table_) {
      std::set<std::string> old;
      for (const auto& c : table_->columns) old.insert(c.name);
      for (const auto& c : columns) {
        if (!old.count(c.name)) run_.columns_added.push_back(c.name);
      }
    }
    auto upserted = ctx_.catalog->UpsertTable(crawler_.database, table_name, in);
    if (!upserted.ok())
      return upserted.status().WithContext("writing " + run_.table + " to the catalog");
    run_.table_version = upserted->table.version;
    run_.schema_changed = upserted->new_version;

    if (!keys_->empty()) {
      TRY_ASSIGN(auto existing, ctx_.catalog->ListPartitions(crawler_.database, table_name));
      std::map<std::vector<std::string>, int64_t> known;  // values -> objects it counts
      for (const auto& p : existing) known[p.values] = p.object_count;
      std::vector<Partition> partitions;
      for (const auto& [values, d] : deltas_) {
        auto it = known.find(values);
        if (it == known.end()) {
          if (d.objects <= 0) continue;  // gone from a partition no longer listed
          ++run_.partitions_added;
        } else if (d.objects < 0 &&
                   it->second + d.objects <= 0) {  // its objects are all gone: it goes too
          TRY(ctx_.catalog->DeletePartition(crawler_.database, table_name, values));
          ++run_.partitions_removed;
          continue;
        }
        Partition p;
        p.values = values;
        p.location = crawler_.source.Child(d.prefix);
        p.record_count = d.records;
        p.object_count = d.objects;
        p.size_bytes = d.bytes;
        partitions.push_back(std::move(p));
      }
      TRY(ctx_.catalog->AddPartitions(crawler_.database, table_name, partitions,
                                      PartitionMerge::kAddCounts));
    }
    TRY(ctx_.store->ForgetSeen(crawler_.name, gone_));
    return ctx_.store->MarkSeen(crawler_.name, updates_);
  }

  // How `found` (what the records say) differs from `table`'s schema, one line a change.
  static std::vector<std::string> SchemaDifferences(const Table& table, const TableInput& found) {
    std::vector<std::string> out;
    for (const Column& c : found.columns) {
      auto old = std::find_if(table.columns.begin(), table.columns.end(),
                              [&](const Column& o) { return o.name == c.name; });
      if (old == table.columns.end()) {
        out.push_back("column added: " + c.name + " " + c.type);
      } else if (old->type != c.type) {
        out.push_back("column " + c.name + ": " + old->type + " -> " + c.type);
      }
    }
    auto names = [](const std::vector<Column>& keys) {
      std::string s;
      for (const Column& k : keys) s += (s.empty() ? "" : ",") + k.name;
      return s;
    };
    if (names(table.partition_keys) != names(found.partition_keys)) {
      out.push_back("partition keys: " + names(table.partition_keys) + " -> " +
                    names(found.partition_keys));
    }
    if (table.object_count > 0 && table.format != found.format) {
      out.push_back("format: " + std::string(DataFormatName(table.format)) + " -> " +
                    std::string(DataFormatName(found.format)));
    }
    return out;
  }

  const CrawlerDefinition& crawler_;
  CrawlRun run_;
  const CrawlContext& ctx_;
  std::optional<Table> table_;
  std::optional<std::vector<std::string>> keys_;  // partition keys as detected (before renames)
  SchemaBuilder builder_;
  simdjson::dom::parser parser_;
  std::map<std::vector<std::string>, PartitionDelta> deltas_;
  std::vector<SeenObject> updates_;
  std::vector<std::string> gone_;  // keys read before and no longer listed
  // The objects' format: the table's once it holds objects, else the first object's.
  std::optional<DataFormat> format_;
  std::string compression_;  // "gzip", "zip", "snappy", a Parquet codec, or "" when none seen
  bool deprecated_ = false;  // DEPRECATE_IN_DATABASE and every object gone
};

}  // namespace

Result<std::string> DecodeObject(const std::string& key, std::string bytes, size_t max_text) {
  if (IsSnappyObject(key, bytes)) {
    // snappy-java's stream (Firehose's "Snappy"), told by its header, else Hadoop's (its
    // "HADOOP_SNAPPY", which has none).
    const bool java = bytes.starts_with(streams::kXerialSnappyMagic);
    return ObjectText(key,
                      java ? streams::XerialSnappyDecompress(bytes, max_text)
                           : streams::HadoopSnappyDecompress(bytes, max_text),
                      bytes.size(), max_text, "its Snappy data uncompresses",
                      java ? "corrupt snappy-java data: " : "corrupt Hadoop Snappy data: ");
  }
  if (IsZipObject(key, bytes)) {
    return ObjectText(key, streams::ZipExtract(bytes, max_text), bytes.size(), max_text,
                      "its ZIP entries inflate", "");
  }
  const bool magic = HasGzipMagic(bytes);
  if (!magic && !(key.size() > 3 && key.ends_with(".gz"))) return bytes;
  if (!magic)
    return DataLoss("object " + key + ": named .gz but does not start with the gzip magic bytes");
  return ObjectText(key, streams::GzipDecompress(bytes, max_text), bytes.size(), max_text,
                    "its gzip data inflates", "corrupt gzip data: ");
}

CrawlRun RunCrawl(const CrawlerDefinition& crawler, CrawlRun run, const CrawlContext& context) {
  return Crawl(crawler, std::move(run), context).Run();
}

}  // namespace tributary::lake
