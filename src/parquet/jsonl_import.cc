#include "parquet/jsonl_import.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/json_text.h"
#include "parquet/render.h"

namespace tributary::parquet {
namespace {

using json = nlohmann::json;

}  // namespace

template <typename Json>
Status AppendJsonValue(const Column& col, const Json& v, ColumnBatch* b) {
  auto KindName = [](const Json& j) { return std::string(j.type_name()); };
  auto mismatch = [&]() {
    return InvalidArgument("column '" + col.name + "': expected " + col.TypeText() + ", got " +
                           KindName(v) + " " + v.dump());
  };
  switch (col.type) {
    case ColumnType::kBoolean:
      if (!v.is_boolean()) return mismatch();
      b->AppendBool(v.template get<bool>());
      return Status::Ok();
    case ColumnType::kDate: {
      if (v.is_number_integer()) {
        if (!v.is_number_unsigned() && !DateInTextRange(v.template get<int64_t>())) {
          return InvalidArgument("column '" + col.name + "': " + v.dump() +
                                 " days is outside the years 0000-9999");
        }
        if (v.is_number_unsigned() && v.template get<uint64_t>() > uint64_t{INT32_MAX}) {
          return InvalidArgument("column '" + col.name + "': " + v.dump() +
                                 " days is outside the years 0000-9999");
        }
        b->AppendInt32(static_cast<int32_t>(v.template get<int64_t>()));
        return Status::Ok();
      }
      if (!v.is_string()) return mismatch();
      auto r = ParseDate(v.template get<std::string>());
      if (!r.ok()) return r.status().WithContext("column '" + col.name + "'");
      b->AppendInt32(*r);
      return Status::Ok();
    }
    case ColumnType::kInt32:
    case ColumnType::kInt64:
    case ColumnType::kTimestamp: {
      int64_t x;
      if (v.is_number_unsigned()) {
        uint64_t u = v.template get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return mismatch();
        x = static_cast<int64_t>(u);
      } else if (v.is_number_integer()) {
        x = v.template get<int64_t>();
      } else if (col.type == ColumnType::kTimestamp && v.is_string()) {
        auto r = ParseTimestampMicros(v.template get<std::string>());
        if (!r.ok()) return r.status().WithContext("column '" + col.name + "'");
        x = *r;
      } else {
        return mismatch();
      }
      if (col.type == ColumnType::kTimestamp && !TimestampInTextRange(x)) {
        return InvalidArgument("column '" + col.name + "': " + std::to_string(x) +
                               " microseconds is outside the years 0000-9999");
      }
      if (col.type == ColumnType::kInt32) {
        if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
          return InvalidArgument("column '" + col.name + "': " + std::to_string(x) +
                                 " does not fit int32");
        }
        b->AppendInt32(static_cast<int32_t>(x));
      } else {
        b->AppendInt64(x);
      }
      return Status::Ok();
    }
    case ColumnType::kFloat:
    case ColumnType::kDouble: {
      double d;
      if (v.is_number()) {
        d = v.template get<double>();
      } else if (v.is_string()) {
        const std::string& s = v.template get_ref<const std::string&>();
        if (s == "NaN")
          d = std::numeric_limits<double>::quiet_NaN();
        else if (s == "Infinity")
          d = std::numeric_limits<double>::infinity();
        else if (s == "-Infinity")
          d = -std::numeric_limits<double>::infinity();
        else
          return mismatch();
      } else {
        return mismatch();
      }
      if (col.type == ColumnType::kFloat)
        b->AppendFloat(static_cast<float>(d));
      else
        b->AppendDouble(d);
      return Status::Ok();
    }
    case ColumnType::kString:
      if (col.nested) {  // a struct, list or map: its compact JSON text
        b->AppendString(v.dump());
        return Status::Ok();
      }
      if (!v.is_string()) return mismatch();
      b->AppendString(v.template get_ref<const std::string&>());
      return Status::Ok();
    case ColumnType::kDecimal: {
      // A string is read digit for digit; a JSON number with a fraction or exponent
      // arrives as a double, exact to about 15 significant digits.
      Result<Int128> r = InvalidArgument("");
      if (v.is_string()) {
        r = ParseDecimal(v.template get_ref<const std::string&>(), col.precision, col.scale);
      } else if (v.is_number_unsigned() && v.template get<uint64_t>() > uint64_t{INT64_MAX}) {
        r = ParseDecimal(v.dump(), col.precision, col.scale);
      } else if (v.is_number_integer()) {
        r = DecimalFromInt(v.template get<int64_t>(), col.precision, col.scale);
      } else if (v.is_number()) {
        r = DecimalFromDouble(v.template get<double>(), col.precision, col.scale);
      } else {
        return mismatch();
      }
      if (!r.ok()) return r.status().WithContext("column '" + col.name + "'");
      b->AppendDecimal(*r);
      return Status::Ok();
    }
  }
  return mismatch();
}

template Status AppendJsonValue(const Column&, const nlohmann::json&, ColumnBatch*);
template Status AppendJsonValue(const Column&, const nlohmann::ordered_json&, ColumnBatch*);

Result<JsonLinesStats> JsonLinesToParquet(std::istream& in, const Schema& schema,
                                          const WriterOptions& options, const std::string& out_path,
                                          int64_t batch_rows) {
  TRY_ASSIGN(auto writer, ParquetWriter::Open(out_path, schema, options));
  RecordBatch batch = RecordBatch::Empty(schema);
  JsonLinesStats stats;
  std::string line;
  int64_t line_no = 0;
  auto flush = [&]() -> Status {
    if (batch.num_rows == 0) return Status::Ok();
    TRY(writer->Write(batch));
    batch = RecordBatch::Empty(schema);
    return Status::Ok();
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    TRY_ASSIGN(json obj, ParseJsonText(line, "line " + std::to_string(line_no)));
    if (!obj.is_object()) {
      return InvalidArgument("line " + std::to_string(line_no) + ": not a JSON object");
    }
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      const Column& col = schema.columns[c];
      auto it = obj.find(col.name);
      if (it == obj.end() || it->is_null()) {
        if (!col.optional) {
          return InvalidArgument("line " + std::to_string(line_no) + ": required column '" +
                                 col.name + "' is missing or null");
        }
        batch.columns[c].AppendNull();
        continue;
      }
      Status st = AppendJsonValue(col, *it, &batch.columns[c]);
      if (!st.ok()) return st.WithContext("line " + std::to_string(line_no));
    }
    ++batch.num_rows;
    ++stats.rows;
    if (batch.num_rows >= batch_rows) TRY(flush());
  }
  TRY(flush());
  TRY(writer->Close());
  return stats;
}

}  // namespace tributary::parquet
