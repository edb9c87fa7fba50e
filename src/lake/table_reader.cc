#include "lake/table_reader.h"

#include <algorithm>

#include "lake/crawler.h"
#include "lake/glue_glob.h"
#include "lake/json_record_parse.h"
#include "lake/json_records.h"
#include "lake/partition_detect.h"
#include "parquet/file_reader.h"
#include "parquet/io.h"
#include "parquet/render.h"

namespace tributary::lake {
namespace {

bool Under(const LakePath& path, const std::string& bucket, const std::string& key) {
  return path.bucket == bucket && key.compare(0, path.prefix.size(), path.prefix) == 0;
}

std::string ColumnList(const Table& table) {
  std::string out;
  for (const auto& c : table.columns) out += (out.empty() ? "" : ", ") + c.name;
  for (const auto& k : table.partition_keys) out += (out.empty() ? "" : ", ") + k.name + " (partition key)";
  return out;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    out.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

bool FitsTableLayout(const Table& table, std::string_view relative_key) {
  auto pattern = table.parameters.find("partition_pattern");
  if (pattern != table.parameters.end()) {
    return DetectPartition(relative_key).keys == SplitCommas(pattern->second);
  }
  if (table.partition_keys.empty()) return true;
  size_t level = 0, start = 0;
  for (size_t slash; (slash = relative_key.find('/', start)) != std::string_view::npos;
       start = slash + 1) {
    // Folders below the keys' are the table's too (Hive and Athena read them), as the
    // hour folder under a table keyed by year, month and day.
    if (level == table.partition_keys.size()) return true;
    std::string_view segment = relative_key.substr(start, slash - start);
    size_t eq = segment.find('=');
    if (eq != std::string_view::npos && eq > 0 &&
        segment.substr(0, eq) != table.partition_keys[level].name) {
      return false;
    }
    ++level;
  }
  return level == table.partition_keys.size();
}

Result<TableReader> TableReader::Open(const Table& table, objstore::ObjectStoreProvider* lake,
                                      std::vector<std::string> columns) {
  std::vector<std::string> projection;
  for (const std::string& name : columns) {
    auto is = [&](const Column& c) { return c.name == name; };
    if (std::any_of(table.partition_keys.begin(), table.partition_keys.end(), is)) continue;
    if (std::none_of(table.columns.begin(), table.columns.end(), is)) {
      return NotFound("table " + table.database + "." + table.name + " has no column '" + name +
                      "' (its columns: " + ColumnList(table) + ")");
    }
    if (std::find(projection.begin(), projection.end(), name) == projection.end()) projection.push_back(name);
  }
  auto bucket = lake->Bucket(table.location.bucket);
  if (!bucket.ok()) return bucket.status().WithContext("table " + table.database + "." + table.name);
  return TableReader(table, std::move(*bucket), std::move(projection));
}

Result<std::vector<TableObject>> TableReader::List(const TableScanOptions& options) const {
  const LakePath& loc = table_.location;
  auto listing = bucket_->List(loc.prefix);
  if (!listing.ok()) return listing.status().WithContext("listing " + loc.ToUri() + " (table " + table_name() + ")");
  std::vector<TableObject> out;
  const GlueGlobSet excluded(TableExclusions(table_.parameters));
  for (auto& o : listing->objects) {
    std::string_view relative = std::string_view(o.key).substr(loc.prefix.size());
    if (IsHiddenKey(relative) || excluded.AnyMatches(relative)) continue;
    if (std::any_of(options.exclude.begin(), options.exclude.end(),
                    [&](const LakePath& p) { return Under(p, loc.bucket, o.key); })) {
      continue;
    }
    if (!FitsTableLayout(table_, relative)) {
      if (options.off_layout != nullptr) options.off_layout->Add(loc.bucket + "/" + o.key);
      continue;
    }
    if (options.modified_after_ms > 0 && o.modified_ms <= options.modified_after_ms) continue;
    TableObject t;
    t.id = loc.bucket + "/" + o.key;
    if (options.bookmark != nullptr) {
      auto it = options.bookmark->find(t.id);
      if (it != options.bookmark->end() && it->second.etag == o.etag &&
          it->second.size == static_cast<int64_t>(o.size)) {
        continue;
      }
    }
    DetectedPartition part = DetectPartition(relative);
    for (size_t k = 0; k < part.keys.size() && k < part.values.size(); ++k) {
      t.partition.emplace_back(part.keys[k], part.values[k]);
    }
    if (!options.partitions.empty()) {
      bool match = std::any_of(options.partitions.begin(), options.partitions.end(), [&](const auto& values) {
        return values == part.values;
      });
      if (!match) continue;
    }
    t.info = std::move(o);
    out.push_back(std::move(t));
  }
  return out;
}

Status TableReader::Read(const TableObject& object, simdjson::dom::parser* parser, const RecordFn& on_record,
                         const BadRecordFn& on_bad) const {
  auto bytes = bucket_->Get(object.info.key);
  if (!bytes.ok()) return bytes.status().WithContext("reading " + object.id + " of table " + table_name());
  if (table_.format == DataFormat::kParquet) return ReadParquet(object, *bytes, parser, on_record);
  return ReadJson(object, std::move(*bytes), parser, on_record, on_bad);
}

Status TableReader::ReadJson(const TableObject& object, std::string bytes, simdjson::dom::parser* parser,
                             const RecordFn& on_record, const BadRecordFn& on_bad) const {
  auto decoded = DecodeObject(object.id, std::move(bytes));
  if (!decoded.ok()) return decoded.status();
  std::string text = std::move(*decoded);
  const size_t length = text.size();
  text.append(simdjson::SIMDJSON_PADDING, ' ');  // records are parsed in place
  bool go = true;
  Status framing = SplitJsonRecords(std::string_view(text.data(), length), [&](std::string_view record,
                                                                              RecordPosition pos) {
    TableRecord r;
    r.text = record;
    r.line = pos.line;
    simdjson::dom::element doc;
    if (auto error = ParseJsonRecord(*parser, record, /*padded=*/true).get(doc)) {
      return go = on_bad(r, std::string("not valid JSON: ") + simdjson::error_message(error));
    }
    auto one = [&](simdjson::dom::element e) {
      if (!e.is_object()) return go = on_bad(r, "a record must be a JSON object");
      r.value = e;
      return go = on_record(r);
    };
    if (doc.is_array()) {  // a batch written as one JSON array: each element is a record
      simdjson::dom::array items = doc.get_array().value_unsafe();  // held: a range-for would dangle
      for (simdjson::dom::element item : items) {
        if (!one(item)) return false;
      }
      return true;
    }
    return one(doc);
  });
  if (!framing.ok() && go) {
    TableRecord r;
    on_bad(r, framing.message());
  }
  return Status::Ok();
}

Status TableReader::ReadParquet(const TableObject& object, const std::string& bytes, simdjson::dom::parser* parser,
                                const RecordFn& on_record) const {
  auto corrupt = [&](const Status& st) {
    return DataLoss(object.id + " of table " + table_name() + " is not a readable Parquet file: " + st.message());
  };
  auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(bytes));
  if (!reader.ok()) return corrupt(reader.status());
  // A projected column an older file lacks is left out of its rows.
  std::vector<std::string> names;
  for (const std::string& c : columns_) {
    if ((*reader)->schema().Find(c) >= 0) names.push_back(c);
  }
  if (!columns_.empty() && names.empty()) return Status::Ok();  // none of the wanted columns here
  auto indices = (*reader)->Resolve(names);
  if (!indices.ok()) return corrupt(indices.status());
  std::string json;
  int64_t row_base = 0;
  for (int rg = 0; rg < (*reader)->num_row_groups(); ++rg) {
    auto batch = (*reader)->ReadRowGroup(rg, *indices);
    if (!batch.ok()) return corrupt(batch.status().WithContext("row group " + std::to_string(rg)));
    for (int64_t i = 0; i < batch->num_rows; ++i) {
      json.clear();
      parquet::AppendJsonRow(*batch, i, &json);
      simdjson::dom::element doc;
      if (auto error = parser->parse(json).get(doc)) {
        return corrupt(InvalidArgument("row " + std::to_string(row_base + i + 1) + " renders as bad JSON: " +
                                       simdjson::error_message(error)));
      }
      TableRecord r;
      r.value = doc;
      r.text = json;
      r.line = static_cast<size_t>(row_base + i + 1);
      if (!on_record(r)) return Status::Ok();
    }
    row_base += batch->num_rows;
  }
  return Status::Ok();
}

}  // namespace tributary::lake
