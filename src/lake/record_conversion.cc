#include "lake/record_conversion.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cctype>
#include <optional>
#include <unordered_map>

#include "base/json_numbers.h"
#include "base/utf8.h"
#include "lake/etl_pipeline.h"
#include "lake/etl_writer.h"
#include "lake/hive_parquet.h"
#include "lake/hive_type.h"
#include "lake/timestamp_format.h"
#include "parquet/file_writer.h"
#include "parquet/io.h"
#include "parquet/nested_shred.h"

namespace tributary::lake {
namespace {

using streams::FormatConversion;

constexpr std::string_view kMalformed = "DataFormatConversion.MalformedData";

// How one table column is filled.
struct ColumnPlan {
  std::string name;
  std::string hive_type;  // as the catalog has it, for messages
  EtlType type = EtlType::kString;
  DecimalSpec decimal;     // type kDecimal
  bool json_text = false;  // struct, array, map: the value's compact JSON
  // json_text: the nested Parquet column it is written as.
  std::shared_ptr<const parquet::NestedType> nested;
};

// What a Convert needs of the table and the settings.
struct Plan {
  std::vector<ColumnPlan> columns;
  std::unordered_map<std::string, int> by_key;  // a record's key (normalised) -> column
  std::vector<TimestampFormat> timestamp_formats;
  parquet::Schema schema;
  std::string version_id;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Result<ColumnPlan> PlanColumn(const Column& c) {
  ColumnPlan p;
  p.name = c.name;
  p.hive_type = c.type;
  auto hive = ParseHiveType(Lower(c.type));
  if (!hive.ok()) {
    return InvalidArgument(fmt::format("column {}: type '{}' is not a Hive type: {}", c.name,
                                       c.type, hive.status().message()));
  }
  switch (hive->kind) {
    case HiveType::Kind::kNull:
    case HiveType::Kind::kString: p.type = EtlType::kString; break;
    case HiveType::Kind::kBoolean: p.type = EtlType::kBoolean; break;
    case HiveType::Kind::kBigint: p.type = EtlType::kBigint; break;
    case HiveType::Kind::kDouble: p.type = EtlType::kDouble; break;
    case HiveType::Kind::kTimestamp: p.type = EtlType::kTimestamp; break;
    case HiveType::Kind::kStruct:
    case HiveType::Kind::kArray: p.json_text = true; break;
    case HiveType::Kind::kOther:
      if (hive->other == "int" || hive->other == "smallint" || hive->other == "tinyint") {
        p.type = EtlType::kInt;
      } else if (hive->other == "float") {
        p.type = EtlType::kFloat;
      } else if (parquet::IsDecimalType(hive->other)) {
        p.type = EtlType::kDecimal;
        Status st = parquet::ParseDecimalType(hive->other, &p.decimal.precision, &p.decimal.scale);
        if (!st.ok()) return st.WithContext("column " + c.name);
      } else if (StartsWith(hive->other, "map<")) {
        p.json_text = true;
      } else if (hive->other == "date") {
        p.type = EtlType::kDate;
      } else {
        p.type = EtlType::kString;  // varchar(n), char(n), binary
      }
      break;
  }
  if (p.json_text) {
    auto nested = NestedTypeOfHive(*hive);
    if (!nested.ok()) {
      return InvalidArgument(fmt::format("column {}: type '{}' has no Parquet form: {}", c.name,
                                         c.type, nested.status().message()));
    }
    p.nested = std::make_shared<const parquet::NestedType>(std::move(*nested));
  }
  return p;
}

// The key a record's field is looked up by (the deserializer's rules), into `out`.
void NormaliseKey(std::string_view key, const FormatConversion& f, std::string* out) {
  const bool dots = f.deserializer == streams::JsonDeserializer::kOpenX && f.convert_dots_to_underscores;
  const bool fold = f.deserializer == streams::JsonDeserializer::kHive || f.case_insensitive;
  out->assign(key);
  for (char& c : *out) {
    if (dots && c == '.') c = '_';
    if (fold && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

std::string NormalisedKey(std::string_view key, const FormatConversion& f) {
  std::string out;
  NormaliseKey(key, f, &out);
  return out;
}

// Finds the column of each field of a record. Records of one source mostly have the same
// fields in the same order, so the key at each position is remembered with its column:
// a key is then matched by one comparison rather than normalised and looked up.
class ColumnFinder {
 public:
  ColumnFinder(const Plan& plan, const FormatConversion& conversion)
      : plan_(plan), conversion_(conversion) {}

  // The column of the field at `position` of a record, or -1.
  int Find(size_t position, std::string_view key) {
    if (position < order_.size() && order_[position].first == key) return order_[position].second;
    NormaliseKey(key, conversion_, &scratch_);
    auto it = plan_.by_key.find(scratch_);
    int column = it == plan_.by_key.end() ? -1 : it->second;
    if (position >= order_.size()) order_.resize(position + 1);
    order_[position] = {std::string(key), column};
    return column;
  }

 private:
  const Plan& plan_;
  const FormatConversion& conversion_;
  std::vector<std::pair<std::string, int>> order_;
  std::string scratch_;
};

Result<Plan> MakePlan(const Catalog& catalog, const FormatConversion& f) {
  Plan plan;
  std::vector<Column> columns;
  if (f.version_id == "LATEST") {
    TRY_ASSIGN(Table table, catalog.GetTable(f.database, f.table));
    columns = std::move(table.columns);
    plan.version_id = std::to_string(table.version);
  } else {
    int64_t version = std::stoll(f.version_id);  // digits (FormatConversion::Validate)
    TRY_ASSIGN(TableVersion v, catalog.GetVersion(f.database, f.table, version));
    columns = std::move(v.columns);
    plan.version_id = f.version_id;
  }
  if (columns.empty()) {
    return InvalidArgument(fmt::format("table {}.{} has no columns", f.database, f.table));
  }
  for (const Column& c : columns) {
    TRY_ASSIGN(ColumnPlan p, PlanColumn(c));
    int index = static_cast<int>(plan.columns.size());
    plan.schema.columns.push_back(
        ParquetColumnOf(p.name, p.json_text ? EtlType::kString : p.type, p.decimal));
    plan.schema.columns.back().nested = p.nested;
    plan.by_key[Lower(p.name)] = index;
    plan.columns.push_back(std::move(p));
  }
  for (const auto& [column, key] : f.column_to_json_key) {
    int index = -1;
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      if (Lower(plan.columns[i].name) == Lower(column)) index = static_cast<int>(i);
    }
    if (index < 0) {
      return InvalidArgument(fmt::format(
          "column_to_json_key: table {}.{} has no column '{}'", f.database, f.table, column));
    }
    // The mapped key replaces the column's own name.
    plan.by_key.erase(Lower(plan.columns[index].name));
    plan.by_key[NormalisedKey(key, f)] = index;
  }
  for (const std::string& pattern : f.timestamp_formats) {
    TRY_ASSIGN(TimestampFormat tf, TimestampFormat::Parse(pattern));
    plan.timestamp_formats.push_back(std::move(tf));
  }
  return plan;
}

// One value into its column's cell; false with `reason` when it does not fit.
// One value into its cell. A struct, array or map is its compact JSON text, or with
// `text` false an empty string (the caller shreds the value itself).
bool Fill(simdjson::dom::element value, const ColumnPlan& column, const Plan& plan, Cell* cell,
          std::string* reason, bool text = true) {
  using simdjson::dom::element_type;
  const element_type kind = value.type();
  if (column.json_text) {
    if (kind == element_type::NULL_VALUE) {
      cell->kind = Cell::Kind::kNull;
      return true;
    }
    if (kind != element_type::OBJECT && kind != element_type::ARRAY) {
      *reason = fmt::format("expected an object or array, found {}",
                            Utf8Prefix(simdjson::minify(value), 64));
      return false;
    }
    cell->kind = Cell::Kind::kString;
    if (text) cell->s = simdjson::minify(value);
    return true;
  }
  if (column.type == EtlType::kTimestamp && kind == element_type::STRING &&
      !plan.timestamp_formats.empty()) {
    std::string_view text = value.get_string().value_unsafe();
    for (const TimestampFormat& f : plan.timestamp_formats) {
      if (auto micros = f.ParseMicros(text)) {
        cell->kind = Cell::Kind::kTimestamp;
        cell->i = *micros;
        return true;
      }
    }
    *reason = fmt::format("\"{}\" matches none of the timestamp formats", Utf8Prefix(text, 64));
    return false;
  }
  return ConvertJson(value, column.type, cell, reason, column.decimal);
}

}  // namespace

Status CatalogRecordConverter::Check(const FormatConversion& conversion) {
  TRY(conversion.Validate());
  return MakePlan(*catalog_, conversion).status();
}

Result<streams::ConvertedObject> CatalogRecordConverter::Convert(
    const FormatConversion& conversion, const std::vector<std::string_view>& records) {
  TRY_ASSIGN(Plan plan, MakePlan(*catalog_, conversion));
  streams::ConvertedObject out;
  out.version_id = plan.version_id;
  parquet::RecordBatch batch = parquet::RecordBatch::Empty(plan.schema);

  simdjson::dom::parser parser;
  ColumnFinder finder(plan, conversion);
  // A struct, array or map column's values are shredded here, from the record as parsed,
  // so that one that does not fit fails its record alone (the writer would fail the whole
  // object); the writer takes the shredded rows (ColumnBatch::shredded), the column's
  // text in the batch left empty.
  std::vector<std::shared_ptr<parquet::NestedShredder>> nested(plan.columns.size());
  std::vector<parquet::NestedShredder::Mark> marks(plan.columns.size());
  std::vector<std::optional<simdjson::dom::element>> pending(plan.columns.size());
  for (size_t c = 0; c < plan.columns.size(); ++c) {
    if (plan.columns[c].nested) {
      nested[c] = std::make_shared<parquet::NestedShredder>(plan.schema.columns[c],
                                                            parquet::JsonTimes::kMillis);
    }
  }
  std::string padded;
  std::vector<Row> rows;  // one record's
  std::string reason;
  // One record's rows into `rows`, or what is wrong with it; `number_error`: simdjson could
  // not read one of its numbers.
  auto read_record = [&](std::string_view text, bool* number_error) {
    std::string problem;
    padded.assign(text);
    padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
    rows.clear();
    *number_error = false;
    simdjson::dom::document_stream docs;
    if (auto err =
            parser.parse_many(padded.data(), text.size(), std::max<size_t>(text.size(), 1 << 16))
                .get(docs)) {
      problem = fmt::format("not JSON: {}", simdjson::error_message(err));
    } else {
      for (auto doc : docs) {
        simdjson::dom::object object;
        if (auto err = doc.get(object)) {
          if (err == simdjson::INCORRECT_TYPE) {
            problem = fmt::format("expected a JSON object, found {}",
                                  Utf8Prefix(simdjson::minify(doc.value_unsafe()), 64));
          } else {
            problem = fmt::format("not JSON: {}", simdjson::error_message(err));
            *number_error = err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE;
          }
          break;
        }
        Row row(plan.columns.size());
        size_t position = 0;
        for (auto& p : pending) p.reset();
        for (auto field : object) {
          int index = finder.Find(position++, field.key);
          if (index < 0) continue;  // not a column: dropped
          const ColumnPlan& column = plan.columns[index];
          Cell& cell = row[index];
          cell = Cell{};
          if (!Fill(field.value, column, plan, &cell, &reason, /*text=*/!nested[index])) {
            problem = fmt::format("column {} ({}): {}", column.name, column.hive_type, reason);
            break;
          }
          if (nested[index]) {
            if (cell.kind == Cell::Kind::kString) {
              pending[index] = field.value;
            } else {
              pending[index].reset();  // null (a key given twice: the last counts)
            }
          }
        }
        // The row's nested values, each column's shredded once (a missing one: null).
        for (size_t c = 0; problem.empty() && c < nested.size(); ++c) {
          if (!nested[c]) continue;
          Status st = nested[c]->AddParsed(pending[c] ? &*pending[c] : nullptr);
          if (!st.ok()) {
            problem = fmt::format("column {} ({}): {}", plan.columns[c].name,
                                  plan.columns[c].hive_type, st.message());
          }
        }
        if (!problem.empty()) break;
        rows.push_back(std::move(row));
      }
      if (problem.empty() && rows.empty()) problem = "not JSON: empty record";
    }
    return problem;
  };
  auto rollback = [&] {
    for (size_t c = 0; c < nested.size(); ++c) {
      if (nested[c]) nested[c]->Rollback(marks[c]);
    }
  };
  for (size_t r = 0; r < records.size(); ++r) {
    std::string_view record = records[r];
    for (size_t c = 0; c < nested.size(); ++c) {
      if (nested[c]) nested[c]->Position(&marks[c]);
    }
    bool number_error = false;
    std::string problem = read_record(record, &number_error);
    if (!problem.empty() && number_error) {
      // A number simdjson cannot read (1e400, an integer beyond 64 bits): read again as the
      // lake's readers take it (json_record_parse.h), as null or the nearest double.
      rollback();
      problem = read_record(ReadableNumbers(record, "null"), &number_error);
    }
    if (!problem.empty()) {
      rollback();
      out.failed.push_back({r, std::string(kMalformed), std::move(problem)});
      continue;
    }
    for (const Row& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) AppendCell(row[c], &batch.columns[c]);
      ++batch.num_rows;
    }
  }
  if (batch.num_rows == 0) return out;
  for (size_t c = 0; c < nested.size(); ++c) batch.columns[c].shredded = std::move(nested[c]);

  parquet::WriterOptions options;
  switch (conversion.compression) {
    case streams::ParquetCompression::kSnappy: options.codec = parquet::Codec::kSnappy; break;
    case streams::ParquetCompression::kGzip: options.codec = parquet::Codec::kGzip; break;
    case streams::ParquetCompression::kUncompressed:
      options.codec = parquet::Codec::kUncompressed;
      break;
  }
  options.dictionary = conversion.dictionary;
  options.page_size = conversion.page_size_bytes;
  options.row_group_bytes = conversion.block_size_bytes;
  options.data_page_v2 = conversion.writer_v2;
  options.nested_json_times = parquet::JsonTimes::kMillis;  // as the flat columns read them
  TRY_ASSIGN(auto writer,
             parquet::ParquetWriter::Open(parquet::MakeStringSink(&out.bytes), plan.schema, options));
  TRY(writer->Write(batch));
  TRY(writer->Close());
  out.rows = batch.num_rows;
  return out;
}

}  // namespace tributary::lake
