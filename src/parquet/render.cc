#include "parquet/render.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "parquet/compression.h"
#include "parquet/file_reader.h"

namespace tributary::parquet {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8Len(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
      ++i;
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++i;
    } else {
      size_t n = Utf8Len(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
    }
  }
  out->push_back('"');
}

namespace {

template <typename F>
void AppendFloating(F v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, r.ptr);
  }
}

template <typename I>
void AppendInt(I v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::string FormatTimestampMicros(int64_t micros) {
  constexpr int64_t kPerDay = 86400LL * 1000000;
  int64_t days = micros / kPerDay, rem = micros % kPerDay;
  if (rem < 0) {
    rem += kPerDay;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t secs = rem / 1000000, frac = rem % 1000000;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                static_cast<long long>(frac));
  return buf;
}

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

Result<int32_t> ParseDate(std::string_view t) {
  int64_t y = 0, mo = 0, d = 0;
  auto num = [&](size_t at, size_t len, int64_t* v) {
    auto r = std::from_chars(t.data() + at, t.data() + at + len, *v);
    return r.ec == std::errc() && r.ptr == t.data() + at + len;
  };
  bool ok = t.size() == 10 && t[4] == '-' && t[7] == '-' && num(0, 4, &y) && num(5, 2, &mo) &&
            num(8, 2, &d) && y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
  const int64_t days = ok ? DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) : 0;
  // A day past the month's end (2026-02-30) would land in the next month: refused.
  if (ok) {
    unsigned m2, d2;
    int64_t y2;
    CivilFromDays(days, &y2, &m2, &d2);
    ok = d2 == static_cast<unsigned>(d);
  }
  if (!ok) return InvalidArgument("date '" + std::string(t.substr(0, 64)) + "' is not YYYY-MM-DD");
  return static_cast<int32_t>(days);
}

Result<int64_t> ParseTimestampMicros(std::string_view t) {
  auto bad = [&]() {
    return InvalidArgument("timestamp '" + std::string(t) +
                           "' is not YYYY-MM-DDTHH:MM:SS[.ffffff]Z");
  };
  auto num = [&](size_t at, size_t len, int64_t* v) {
    if (at + len > t.size()) return false;
    auto r = std::from_chars(t.data() + at, t.data() + at + len, *v);
    return r.ec == std::errc() && r.ptr == t.data() + at + len;
  };
  int64_t y, mo, d, h, mi, s;
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':' || !num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) ||
      !num(11, 2, &h) || !num(14, 2, &mi) || !num(17, 2, &s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  size_t i = 19;
  int64_t frac = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (digits < 6) frac = frac * 10 + (t[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return bad();
    for (int k = digits; k < 6; ++k) frac *= 10;
  }
  std::string_view zone = t.substr(i);
  if (!(zone.empty() || zone == "Z" || zone == "+00:00" || zone == "+00")) return bad();
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + s) * 1000000) + frac;
}

bool TimestampInTextRange(int64_t micros) {
  static const int64_t kMin = ParseTimestampMicros("0000-01-01T00:00:00Z").value();
  static const int64_t kMax = ParseTimestampMicros("9999-12-31T23:59:59.999999Z").value();
  return micros >= kMin && micros <= kMax;
}

bool DateInTextRange(int64_t days) {
  static const int64_t kMin = ParseDate("0000-01-01").value();
  static const int64_t kMax = ParseDate("9999-12-31").value();
  return days >= kMin && days <= kMax;
}

void AppendValueAsJson(const Column& column, const ColumnBatch& b, int64_t row, std::string* out) {
  if (!b.IsValid(row)) {
    out->append("null");
    return;
  }
  switch (b.type) {
    case ColumnType::kBoolean:
      out->append(b.bools[row] ? "true" : "false");
      break;
    case ColumnType::kInt32:
      AppendInt(b.i32[row], out);
      break;
    case ColumnType::kInt64:
      AppendInt(b.i64[row], out);
      break;
    case ColumnType::kFloat:
      AppendFloating(b.f32[row], out);
      break;
    case ColumnType::kDouble:
      AppendFloating(b.f64[row], out);
      break;
    case ColumnType::kString:
      if (column.nested) {
        out->append(b.StringAt(row));  // already JSON
      } else {
        AppendJsonString(b.StringAt(row), out);
      }
      break;
    case ColumnType::kTimestamp:
      out->push_back('"');
      out->append(FormatTimestampMicros(b.i64[row]));
      out->push_back('"');
      break;
    case ColumnType::kDate:
      out->push_back('"');
      out->append(FormatDate(b.i32[row]));
      out->push_back('"');
      break;
    case ColumnType::kDecimal:  // a JSON number with every digit of the scale
      out->append(FormatDecimal(b.i128[row], column.scale));
      break;
  }
}

void AppendJsonRow(const RecordBatch& batch, int64_t row, std::string* out) {
  out->push_back('{');
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    if (c > 0) out->push_back(',');
    AppendJsonString(batch.schema.columns[c].name, out);
    out->push_back(':');
    AppendValueAsJson(batch.schema.columns[c], batch.columns[c], row, out);
  }
  out->push_back('}');
}

Status PrintSchema(const std::string& path, std::ostream& os) {
  TRY_ASSIGN(auto reader, ParquetReader::Open(path));
  const FileMetaData& m = reader->metadata();
  os << "file: " << path << "\n";
  os << "created_by: " << m.created_by.value_or("(unknown)") << "\n";
  os << "rows: " << m.num_rows << "\n";
  os << "row_groups: " << m.row_groups.size() << "\n";
  if (!m.row_groups.empty() && !m.row_groups[0].columns.empty() &&
      m.row_groups[0].columns[0].meta_data) {
    os << "codec: " << CodecName(m.row_groups[0].columns[0].meta_data->codec) << "\n";
  }
  os << "columns:\n";
  static constexpr const char* kPhysical[] = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  for (const FileColumn& fc : reader->columns()) {
    const SchemaElement& e = m.schema[fc.schema_index];
    int p = static_cast<int>(fc.physical);
    os << "  " << fc.column.name << ": " << fc.column.TypeText()
       << (fc.column.optional ? " optional" : " required") << " (";
    if (!e.type) {
      os << "group of " << fc.leaves.size() << (fc.leaves.size() == 1 ? " leaf" : " leaves");
    } else {
      os << (p >= 0 && p < 8 ? kPhysical[p] : "?");
    }
    switch (e.logical_type.kind) {
      case LogicalType::Kind::kList:
        os << " LIST";
        break;
      case LogicalType::Kind::kMap:
        os << " MAP";
        break;
      case LogicalType::Kind::kString:
        os << " STRING";
        break;
      case LogicalType::Kind::kDate:
        os << " DATE";
        break;
      case LogicalType::Kind::kJson:
        os << " JSON";
        break;
      case LogicalType::Kind::kDecimal:
        os << " DECIMAL(" << e.logical_type.precision << "," << e.logical_type.scale << ")";
        break;
      case LogicalType::Kind::kInteger:
        os << " INTEGER(" << int{e.logical_type.bit_width}
           << (e.logical_type.is_signed ? ",signed)" : ",unsigned)");
        break;
      case LogicalType::Kind::kTimestamp:
        os << " TIMESTAMP("
           << (e.logical_type.unit == TimeUnit::kMillis  ? "MILLIS"
               : e.logical_type.unit == TimeUnit::kNanos ? "NANOS"
                                                         : "MICROS")
           << (e.logical_type.is_adjusted_to_utc ? ",UTC)" : ",local)");
        break;
      default:
        break;
    }
    os << ")";
    if (!fc.unsupported.empty()) os << " unsupported: " << fc.unsupported;
    os << "\n";
  }
  if (!m.key_value_metadata.empty()) {
    os << "key_value_metadata:\n";
    for (const KeyValue& kv : m.key_value_metadata) {
      std::string v = kv.value.value_or("");
      if (v.size() > 200) v = v.substr(0, 200) + "...";
      os << "  " << kv.key << " = " << v << "\n";
    }
  }
  return Status::Ok();
}

Status Cat(const std::string& path, int64_t limit, std::ostream& os) {
  return Cat(path, limit, {}, {}, os);
}

Status Cat(const std::string& path, int64_t limit, const std::vector<std::string>& columns,
           const std::optional<Predicate>& predicate, std::ostream& os) {
  TRY_ASSIGN(auto reader, ParquetReader::Open(path));
  ReadOptions options;
  options.columns = columns;
  options.predicate = predicate;
  int64_t printed = 0;
  std::string line;
  Status st = reader->Scan(options, [&](const RecordBatch& b) -> Status {
    for (int64_t r = 0; r < b.num_rows && (limit < 0 || printed < limit); ++r, ++printed) {
      line.clear();
      AppendJsonRow(b, r, &line);
      line.push_back('\n');
      os << line;
    }
    if (limit >= 0 && printed >= limit) return Status(ErrorCode::kCancelled, "limit reached");
    return Status::Ok();
  });
  if (st.code() == ErrorCode::kCancelled) return Status::Ok();
  if (!st.ok()) return st.WithContext(path);
  return Status::Ok();
}

}  // namespace tributary::parquet
