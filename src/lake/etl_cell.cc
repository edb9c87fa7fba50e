#include "lake/etl_cell.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "expr/functions.h"
#include "parquet/render.h"

namespace tributary::lake {
namespace {

std::string Excerpt(std::string_view s) {
  std::string out;
  expr::AppendJsonString(s.size() > 60 ? s.substr(0, 60) : s, &out);
  if (s.size() > 60) out.insert(out.size() - 1, "...");
  return out;
}

bool Fail(std::string* reason, std::string_view what, std::string_view value, EtlType t) {
  *reason = "cannot convert " + std::string(what) + " " + std::string(value) + " to " +
            std::string(EtlTypeName(t));
  return false;
}

// `text()` gives the source value for the reason; called only on failure, as it allocates.
template <typename TextFn>
bool SetInt(int64_t v, EtlType t, Cell* out, std::string* reason, std::string_view what,
            TextFn text) {
  if (t == EtlType::kInt && (v < INT32_MIN || v > INT32_MAX)) {
    *reason = std::string(what) + " " + std::string(text()) + " is out of the range of int";
    return false;
  }
  out->kind = Cell::Kind::kInt;
  out->i = v;
  return true;
}

bool IntFromDouble(double d, int64_t* out) {
  if (!std::isfinite(d) || d != std::floor(d) || d < -9.2233720368547758e18 ||
      d >= 9.2233720368547758e18)
    return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ParseIntText(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return true;
  double d;
  auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
  return rd.ec == std::errc() && rd.ptr == s.data() + s.size() && IntFromDouble(d, out);
}

bool ParseDoubleText(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The UTC day of a time in microseconds since the epoch.
int64_t DayOfMicros(int64_t micros) {
  constexpr int64_t kPerDay = 86'400'000'000;
  return micros / kPerDay - (micros % kPerDay < 0 ? 1 : 0);
}

bool SetDate(int64_t days, Cell* out) {
  out->kind = Cell::Kind::kDate;
  out->i = days;
  return true;
}

// A decimal conversion's result into `out`, or the reason it failed: a value with too
// many digits, or one that is not a number.
bool SetDecimal(const Result<parquet::Int128>& r, DecimalSpec d, Cell* out, std::string* reason,
                std::string_view what, std::string_view value) {
  if (!r.ok()) {
    const std::string type = EtlTypeText(EtlType::kDecimal, d);
    *reason =
        r.status().message().find("does not fit") != std::string::npos
            ? std::string(what) + " " + std::string(value) + " does not fit " + type
            : "cannot convert " + std::string(what) + " " + std::string(value) + " to " + type;
    return false;
  }
  out->kind = Cell::Kind::kDecimal;
  out->scale = static_cast<uint8_t>(d.scale);
  out->dec = *r;
  return true;
}

}  // namespace

// A string to any type (numbers, booleans and timestamps parsed).
bool ConvertString(std::string_view s, EtlType t, Cell* out, std::string* reason, DecimalSpec dec) {
  switch (t) {
    case EtlType::kDecimal:
      return SetDecimal(parquet::ParseDecimal(s, dec.precision, dec.scale), dec, out, reason,
                        "string", Excerpt(s));
    case EtlType::kString:
      out->kind = Cell::Kind::kString;
      out->s.assign(s);
      return true;
    case EtlType::kInt:
    case EtlType::kBigint: {
      int64_t v;
      if (!ParseIntText(s, &v)) return Fail(reason, "string", Excerpt(s), t);
      return SetInt(v, t, out, reason, "string", [&] { return Excerpt(s); });
    }
    case EtlType::kFloat:
    case EtlType::kDouble:
      out->kind = Cell::Kind::kDouble;
      if (!ParseDoubleText(s, &out->d)) return Fail(reason, "string", Excerpt(s), t);
      return true;
    case EtlType::kBoolean:
      out->kind = Cell::Kind::kBool;
      if (s == "true" || s == "TRUE" || s == "True") {
        out->i = 1;
      } else if (s == "false" || s == "FALSE" || s == "False") {
        out->i = 0;
      } else {
        return Fail(reason, "string", Excerpt(s), t);
      }
      return true;
    case EtlType::kTimestamp: {
      auto micros = expr::ParseIso8601Micros(s);
      if (!micros) return Fail(reason, "string", Excerpt(s) + " (not an ISO 8601 date-time)", t);
      out->kind = Cell::Kind::kTimestamp;
      out->i = *micros;
      return true;
    }
    case EtlType::kDate: {
      // YYYY-MM-DD, or a date-time (its UTC day).
      if (auto days = parquet::ParseDate(s); days.ok()) return SetDate(*days, out);
      auto micros = expr::ParseIso8601Micros(s);
      if (!micros)
        return Fail(reason, "string", Excerpt(s) + " (not YYYY-MM-DD or an ISO 8601 date-time)", t);
      return SetDate(DayOfMicros(*micros), out);
    }
  }
  return false;
}

namespace {

bool ConvertInt(int64_t v, EtlType t, Cell* out, std::string* reason, DecimalSpec dec) {
  switch (t) {
    case EtlType::kDecimal:
      return SetDecimal(parquet::DecimalFromInt(v, dec.precision, dec.scale), dec, out, reason,
                        "number", std::to_string(v));
    case EtlType::kString:
      out->kind = Cell::Kind::kString;
      out->s = std::to_string(v);
      return true;
    case EtlType::kInt:
    case EtlType::kBigint:
      return SetInt(v, t, out, reason, "number", [&] { return std::to_string(v); });
    case EtlType::kFloat:
    case EtlType::kDouble:
      out->kind = Cell::Kind::kDouble;
      out->d = static_cast<double>(v);
      return true;
    case EtlType::kBoolean:
      return Fail(reason, "number", std::to_string(v), t);
    case EtlType::kTimestamp:  // Unix milliseconds
    case EtlType::kDate:       // Unix milliseconds, as for timestamps: their UTC day
      if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000 ||
          !parquet::TimestampInTextRange(v * 1000)) {
        return Fail(reason, "number",
                    std::to_string(v) + " (Unix milliseconds outside the years 0000-9999)", t);
      }
      if (t == EtlType::kDate) return SetDate(DayOfMicros(v * 1000), out);
      out->kind = Cell::Kind::kTimestamp;
      out->i = v * 1000;
      return true;
  }
  return false;
}

bool ConvertDouble(double v, EtlType t, Cell* out, std::string* reason, DecimalSpec dec) {
  auto text = [&] {
    std::string s;
    expr::AppendDecimal(v, &s);
    return s;
  };
  int64_t whole;
  switch (t) {
    case EtlType::kDecimal:
      return SetDecimal(parquet::DecimalFromDouble(v, dec.precision, dec.scale), dec, out, reason,
                        "number", text());
    case EtlType::kString:
      out->kind = Cell::Kind::kString;
      out->s = text();
      return true;
    case EtlType::kInt:
    case EtlType::kBigint:
      if (!IntFromDouble(v, &whole))
        return Fail(reason, "number", text() + " (not a whole number)", t);
      return SetInt(whole, t, out, reason, "number", text);
    case EtlType::kFloat:
    case EtlType::kDouble:
      out->kind = Cell::Kind::kDouble;
      out->d = v;
      return true;
    case EtlType::kBoolean:
      return Fail(reason, "number", text(), t);
    case EtlType::kTimestamp:
    case EtlType::kDate:
      if (!std::isfinite(v) || std::fabs(v) > 9e15 ||
          !parquet::TimestampInTextRange(static_cast<int64_t>(std::llround(v * 1000)))) {
        return Fail(reason, "number", text() + " (Unix milliseconds outside the years 0000-9999)",
                    t);
      }
      if (t == EtlType::kDate)
        return SetDate(DayOfMicros(static_cast<int64_t>(std::llround(v * 1000))), out);
      out->kind = Cell::Kind::kTimestamp;
      out->i = static_cast<int64_t>(std::llround(v * 1000));
      return true;
  }
  return false;
}

bool ConvertBool(bool b, EtlType t, Cell* out, std::string* reason) {
  if (t == EtlType::kBoolean) {
    out->kind = Cell::Kind::kBool;
    out->i = b;
    return true;
  }
  if (t == EtlType::kString) {
    out->kind = Cell::Kind::kString;
    out->s = b ? "true" : "false";
    return true;
  }
  return Fail(reason, "boolean", b ? "true" : "false", t);
}

}  // namespace

bool ConvertJson(simdjson::dom::element v, EtlType t, Cell* out, std::string* reason,
                 DecimalSpec dec) {
  using simdjson::dom::element_type;
  switch (v.type()) {
    case element_type::NULL_VALUE:
      out->kind = Cell::Kind::kNull;
      return true;
    case element_type::STRING: {
      std::string_view s = v.get_string().value_unsafe();
      return ConvertString(s, t, out, reason, dec);
    }
    case element_type::INT64:
      return ConvertInt(v.get_int64().value_unsafe(), t, out, reason, dec);
    case element_type::UINT64: {
      uint64_t u = v.get_uint64().value_unsafe();
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        if (t == EtlType::kDecimal) {
          const std::string text = std::to_string(u);
          return SetDecimal(parquet::ParseDecimal(text, dec.precision, dec.scale), dec, out, reason,
                            "number", text);
        }
        return ConvertDouble(static_cast<double>(u), t, out, reason, dec);
      }
      return ConvertInt(static_cast<int64_t>(u), t, out, reason, dec);
    }
    case element_type::DOUBLE:
      return ConvertDouble(v.get_double().value_unsafe(), t, out, reason, dec);
    case element_type::BOOL:
      return ConvertBool(v.get_bool().value_unsafe(), t, out, reason);
    case element_type::OBJECT:
    case element_type::ARRAY: {
      std::string text = simdjson::minify(v);
      if (t != EtlType::kString) {
        return Fail(reason, v.type() == element_type::OBJECT ? "object" : "array", Excerpt(text),
                    t);
      }
      out->kind = Cell::Kind::kString;
      out->s = std::move(text);
      return true;
    }
  }
  return Fail(reason, "value", "?", t);
}

bool ConvertValue(const expr::Value& v, EtlType t, Cell* out, std::string* reason,
                  DecimalSpec dec) {
  switch (v.kind()) {
    case expr::ValueKind::kUndefined:
    case expr::ValueKind::kNull:
      out->kind = Cell::Kind::kNull;
      return true;
    case expr::ValueKind::kBool:
      return ConvertBool(v.as_bool(), t, out, reason);
    case expr::ValueKind::kInt:
      return ConvertInt(v.as_int(), t, out, reason, dec);
    case expr::ValueKind::kDecimal:
      return ConvertDouble(v.as_decimal(), t, out, reason, dec);
    case expr::ValueKind::kString:
      return ConvertString(v.as_string(), t, out, reason, dec);
    default:
      if (t != EtlType::kString) return Fail(reason, "value", Excerpt(v.ToJson()), t);
      out->kind = Cell::Kind::kString;
      out->s = v.ToJson();
      return true;
  }
}

bool ConvertCell(const Cell& c, EtlType t, Cell* out, std::string* reason, DecimalSpec dec) {
  switch (c.kind) {
    case Cell::Kind::kNull:
      out->kind = Cell::Kind::kNull;
      return true;
    case Cell::Kind::kBool:
      return ConvertBool(c.i != 0, t, out, reason);
    case Cell::Kind::kInt:
      return ConvertInt(c.i, t, out, reason, dec);
    case Cell::Kind::kDouble:
      return ConvertDouble(c.d, t, out, reason, dec);
    case Cell::Kind::kString:
      return ConvertString(c.s, t, out, reason, dec);
    case Cell::Kind::kTimestamp:
    case Cell::Kind::kDate:
      if (t == (c.kind == Cell::Kind::kDate ? EtlType::kDate : EtlType::kTimestamp)) {
        *out = c;
        return true;
      }
      break;
    case Cell::Kind::kDecimal:
      break;
  }
  return ConvertString(CellText(c), t, out, reason, dec);
}

std::string FormatTimestampMicros(int64_t micros) {
  using namespace std::chrono;
  int64_t secs = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  int64_t frac = micros - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<int>(rem / 3600),
                        static_cast<int>(rem % 3600 / 60), static_cast<int>(rem % 60));
  std::string out(buf, n);
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(frac));
    out += buf;
  }
  out += 'Z';
  return out;
}

void AppendCellJson(const Cell& c, std::string* out) {
  switch (c.kind) {
    case Cell::Kind::kNull:
      out->append("null");
      break;
    case Cell::Kind::kBool:
      out->append(c.i ? "true" : "false");
      break;
    case Cell::Kind::kInt:
      out->append(std::to_string(c.i));
      break;
    case Cell::Kind::kDouble:
      if (std::isfinite(c.d)) {
        expr::AppendDecimal(c.d, out);
      } else {
        out->append("null");
      }
      break;
    case Cell::Kind::kString:
      expr::AppendJsonString(c.s, out);
      break;
    case Cell::Kind::kTimestamp:
      expr::AppendJsonString(FormatTimestampMicros(c.i), out);
      break;
    case Cell::Kind::kDate:
      expr::AppendJsonString(parquet::FormatDate(c.i), out);
      break;
    case Cell::Kind::kDecimal:
      out->append(parquet::FormatDecimal(c.dec, c.scale));
      break;
  }
}

std::string CellText(const Cell& c) {
  std::string text;
  switch (c.kind) {
    case Cell::Kind::kNull:
      break;
    case Cell::Kind::kBool:
      text = c.i ? "true" : "false";
      break;
    case Cell::Kind::kInt:
      text = std::to_string(c.i);
      break;
    case Cell::Kind::kDouble:
      expr::AppendDecimal(c.d, &text);
      break;
    case Cell::Kind::kString:
      text = c.s;
      break;
    case Cell::Kind::kTimestamp:
      text = FormatTimestampMicros(c.i);
      break;
    case Cell::Kind::kDate:
      text = parquet::FormatDate(c.i);
      break;
    case Cell::Kind::kDecimal:
      text = parquet::FormatDecimal(c.dec, c.scale);
      break;
  }
  return text;
}

std::string PartitionValueText(const Cell& c) {
  std::string text = CellText(c);
  if (c.is_null() || text.empty()) return "__HIVE_DEFAULT_PARTITION__";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.') {
      out.push_back(static_cast<char>(ch));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

}  // namespace tributary::lake
