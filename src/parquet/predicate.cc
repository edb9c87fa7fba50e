#include "parquet/predicate.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace tributary::parquet {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<Literal> ParseLiteral(std::string_view t) {
  if (t.size() >= 2 && t.front() == '\'' && t.back() == '\'') {
    return Literal(std::string(t.substr(1, t.size() - 2)));
  }
  if (t == "true") return Literal(true);
  if (t == "false") return Literal(false);
  int64_t i;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
  if (ec == std::errc() && p == t.data() + t.size()) return Literal(i);
  double d;
  auto [p2, ec2] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec2 == std::errc() && p2 == t.data() + t.size()) return Literal(d);
  return InvalidArgument("predicate literal '" + std::string(t) +
                         "' is not a number, true/false or a 'quoted string'");
}

// A statistic or literal in the column's comparison domain.
using Value = std::variant<bool, int64_t, double, std::string>;

std::optional<Value> DecodeStat(ColumnType type, const std::string& bytes) {
  auto fixed = [&](auto zero) -> std::optional<decltype(zero)> {
    if (bytes.size() != sizeof(zero)) return std::nullopt;
    std::memcpy(&zero, bytes.data(), sizeof(zero));
    return zero;
  };
  switch (type) {
    case ColumnType::kBoolean:
      if (bytes.size() != 1) return std::nullopt;
      return Value(bytes[0] != 0);
    case ColumnType::kInt32:
    case ColumnType::kDate:
      if (auto v = fixed(int32_t{})) return Value(static_cast<int64_t>(*v));
      return std::nullopt;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      if (auto v = fixed(int64_t{})) return Value(*v);
      return std::nullopt;
    case ColumnType::kFloat:
      if (auto v = fixed(float{}); v && !std::isnan(*v)) return Value(static_cast<double>(*v));
      return std::nullopt;
    case ColumnType::kDouble:
      if (auto v = fixed(double{}); v && !std::isnan(*v)) return Value(*v);
      return std::nullopt;
    case ColumnType::kString:
      return Value(bytes);
    case ColumnType::kDecimal:
      return std::nullopt;  // bytes depend on the physical type: no row group is skipped
  }
  return std::nullopt;
}

// Three-way comparison a <=> b for values of compatible kinds; nullopt if not comparable.
std::optional<int> Compare(const Value& a, const Literal& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (auto* s = std::get_if<std::string>(&a)) {
    if (auto* t = std::get_if<std::string>(&b)) {
      int c = s->compare(*t);  // char_traits<char>: unsigned bytes
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    return std::nullopt;
  }
  if (auto* x = std::get_if<bool>(&a)) {
    if (auto* y = std::get_if<bool>(&b)) return sign(*x, *y);
    return std::nullopt;
  }
  if (std::holds_alternative<std::string>(b) || std::holds_alternative<bool>(b))
    return std::nullopt;
  if (auto* x = std::get_if<int64_t>(&a)) {
    if (auto* y = std::get_if<int64_t>(&b)) return sign(*x, *y);
    double d = std::get<double>(b);
    if (std::isnan(d)) return std::nullopt;
    return sign(static_cast<long double>(*x), static_cast<long double>(d));
  }
  double x = std::get<double>(a);
  if (auto* y = std::get_if<int64_t>(&b))
    return sign(static_cast<long double>(x), static_cast<long double>(*y));
  double d = std::get<double>(b);
  if (std::isnan(d)) return std::nullopt;
  return sign(x, d);
}

bool LiteralFits(ColumnType type, const Literal& lit) {
  switch (type) {
    case ColumnType::kBoolean:
      return std::holds_alternative<bool>(lit);
    case ColumnType::kString:
      return std::holds_alternative<std::string>(lit);
    default:
      return std::holds_alternative<int64_t>(lit) || std::holds_alternative<double>(lit);
  }
}

}  // namespace

Result<Predicate> Predicate::Parse(std::string_view text) {
  // The operator is the first run of = ! < > characters (column names hold none).
  size_t at = text.find_first_of("=!<>");
  if (at == std::string_view::npos) {
    return InvalidArgument("predicate '" + std::string(text) +
                           "' is not 'column op literal' with op one of = != < <= > >=");
  }
  size_t len = (at + 1 < text.size() && text[at + 1] == '=') ? 2 : 1;
  std::string_view tok = text.substr(at, len);
  Predicate p;
  if (tok == "=" || tok == "==")
    p.op = CompareOp::kEq;
  else if (tok == "!=")
    p.op = CompareOp::kNe;
  else if (tok == "<")
    p.op = CompareOp::kLt;
  else if (tok == "<=")
    p.op = CompareOp::kLe;
  else if (tok == ">")
    p.op = CompareOp::kGt;
  else if (tok == ">=")
    p.op = CompareOp::kGe;
  else
    return InvalidArgument("predicate '" + std::string(text) + "': unknown operator '" +
                           std::string(tok) + "'");
  p.column = std::string(Trim(text.substr(0, at)));
  if (p.column.empty())
    return InvalidArgument("predicate '" + std::string(text) + "' has no column");
  TRY_ASSIGN(p.value, ParseLiteral(Trim(text.substr(at + len))));
  return p;
}

Result<bool> MayMatch(const Predicate& p, ColumnType type, const std::optional<Statistics>& stats,
                      int64_t num_values) {
  if (!LiteralFits(type, p.value)) {
    return InvalidArgument("predicate on '" + p.column + "': literal does not fit a " +
                           std::string(ColumnTypeName(type)) + " column");
  }
  if (!stats) return true;
  if (stats->null_count && *stats->null_count >= num_values && num_values > 0) return false;
  const std::string* lo = stats->min_value ? &*stats->min_value : nullptr;
  const std::string* hi = stats->max_value ? &*stats->max_value : nullptr;
  if ((!lo || !hi) && type != ColumnType::kString && stats->min && stats->max) {
    lo = &*stats->min;  // deprecated fields use signed order: right for numbers, not strings
    hi = &*stats->max;
  }
  if (!lo || !hi) return true;
  std::optional<Value> min = DecodeStat(type, *lo), max = DecodeStat(type, *hi);
  if (!min || !max) return true;
  std::optional<int> cmin = Compare(*min, p.value), cmax = Compare(*max, p.value);
  if (!cmin || !cmax) return true;
  switch (p.op) {
    case CompareOp::kEq:
      return *cmin <= 0 && *cmax >= 0;
    case CompareOp::kNe:
      return !(*cmin == 0 && *cmax == 0);
    case CompareOp::kLt:
      return *cmin < 0;
    case CompareOp::kLe:
      return *cmin <= 0;
    case CompareOp::kGt:
      return *cmax > 0;
    case CompareOp::kGe:
      return *cmax >= 0;
  }
  return true;
}

}  // namespace tributary::parquet
