#include "parquet/decimal.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace tributary::parquet {
namespace {

__extension__ typedef unsigned __int128 UInt128;

std::string TypeText(int precision, int scale) {
  return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
}

Status DoesNotFit(std::string_view what, int precision, int scale) {
  return InvalidArgument(std::string(what) + " does not fit " + TypeText(precision, scale));
}

Int128 Abs(Int128 v) { return v < 0 ? -v : v; }

// v / d rounded half away from zero (d > 0).
Int128 DivideRounded(Int128 v, Int128 d) {
  Int128 q = v / d;
  Int128 r = Abs(v % d);
  if (2 * r >= d) q += v < 0 ? -1 : 1;
  return q;
}

}  // namespace

Status ValidateDecimal(int precision, int scale) {
  if (precision < 1 || precision > kMaxDecimalPrecision) {
    return InvalidArgument("decimal precision " + std::to_string(precision) +
                           " is out of range (1 to 38)");
  }
  if (scale < 0 || scale > precision) {
    return InvalidArgument("decimal scale " + std::to_string(scale) + " is out of range (0 to the precision, " +
                           std::to_string(precision) + ")");
  }
  return Status::Ok();
}

bool IsDecimalType(std::string_view text) {
  return text.starts_with("decimal") && (text.size() == 7 || text[7] == '(');
}

Status ParseDecimalType(std::string_view text, int* precision, int* scale) {
  if (!IsDecimalType(text)) return InvalidArgument("type '" + std::string(text) + "' is not a decimal");
  *precision = 10;
  *scale = 0;
  if (text.size() == 7) return Status::Ok();
  auto bad = [&] {
    return InvalidArgument("type '" + std::string(text) + "' is not decimal(precision,scale)");
  };
  if (text.back() != ')') return bad();
  std::string_view args = text.substr(8, text.size() - 9);
  auto number = [](std::string_view s, int* out) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  const size_t comma = args.find(',');
  if (!number(args.substr(0, comma), precision)) return bad();
  if (comma != std::string_view::npos && !number(args.substr(comma + 1), scale)) return bad();
  return ValidateDecimal(*precision, *scale);
}

Int128 Pow10(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

bool FitsPrecision(Int128 unscaled, int precision) { return Abs(unscaled) < Pow10(precision); }

PhysicalType DecimalPhysicalType(int precision) {
  if (precision <= 9) return PhysicalType::kInt32;
  if (precision <= 18) return PhysicalType::kInt64;
  return PhysicalType::kFixedLenByteArray;
}

int DecimalByteWidth(int precision) {
  const UInt128 largest = static_cast<UInt128>(Pow10(precision) - 1);
  for (int n = 1; n < 16; ++n) {
    if (largest < (UInt128{1} << (8 * n - 1))) return n;
  }
  return 16;
}

std::string FormatDecimal(Int128 unscaled, int scale) {
  char digits[48];
  int n = 0;
  UInt128 mag = static_cast<UInt128>(Abs(unscaled));
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(mag % 10));
    mag /= 10;
  } while (mag != 0);
  while (n <= scale) digits[n++] = '0';  // at least one digit before the point
  std::string out;
  out.reserve(n + 2);
  if (unscaled < 0) out += '-';
  for (int i = n - 1; i >= 0; --i) {
    out += digits[i];
    if (i == scale && scale > 0) out += '.';
  }
  return out;
}

Result<Int128> ParseDecimal(std::string_view text, int precision, int scale) {
  auto not_number = [&] {
    return InvalidArgument("'" + std::string(text.substr(0, 64)) + "' is not a decimal number");
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  // The significant digits (leading zeros dropped) and how many came after the point.
  std::string digits;
  int64_t fraction = 0;
  bool any_digit = false, point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      if (point) ++fraction;
      if (c != '0' || !digits.empty()) digits += c;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any_digit) return not_number();
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i == text.size()) return not_number();
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (exponent < 100000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return not_number();
  // value = digits × 10^(exponent - fraction); unscaled = digits × 10^shift.
  const int64_t shift = exponent - fraction + scale;
  if (shift < 0) {
    const int64_t drop = -shift;
    if (drop > static_cast<int64_t>(digits.size())) {
      digits.clear();  // below half a unit of the last place: zero
    } else {
      const bool round_up = drop > 0 && digits[digits.size() - drop] >= '5';
      digits.resize(digits.size() - drop);
      if (round_up) {
        int k = static_cast<int>(digits.size()) - 1;
        for (; k >= 0 && digits[k] == '9'; --k) digits[k] = '0';
        if (k >= 0) {
          ++digits[k];
        } else {
          digits.insert(digits.begin(), '1');
        }
      }
    }
  } else if (!digits.empty()) {
    if (static_cast<int64_t>(digits.size()) + shift > precision) {
      return DoesNotFit("'" + std::string(text.substr(0, 64)) + "'", precision, scale);
    }
    digits.append(static_cast<size_t>(shift), '0');
  }
  if (static_cast<int>(digits.size()) > precision) {
    return DoesNotFit("'" + std::string(text.substr(0, 64)) + "'", precision, scale);
  }
  Int128 v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return negative ? -v : v;
}

Result<Int128> DecimalFromDouble(double v, int precision, int scale) {
  if (!std::isfinite(v)) {
    return InvalidArgument(std::string(std::isnan(v) ? "NaN" : "an infinite number") +
                           " does not fit " + TypeText(precision, scale));
  }
  // The shortest text that reads back as v: 0.1 is "0.1", not 0.1000000000000000055...
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return InvalidArgument("cannot format a double");
  return ParseDecimal(std::string_view(buf, end - buf), precision, scale);
}

Result<Int128> DecimalFromInt(int64_t v, int precision, int scale) {
  int digits = 0;
  for (UInt128 mag = static_cast<UInt128>(Abs(v)); mag != 0; mag /= 10) ++digits;
  if (digits + scale > precision && v != 0) return DoesNotFit(std::to_string(v), precision, scale);
  return static_cast<Int128>(v) * Pow10(scale);
}

Result<Int128> RescaleDecimal(Int128 unscaled, int from, int precision, int to) {
  Int128 v = unscaled;
  if (to < from) {
    v = DivideRounded(v, Pow10(from - to));
  } else if (to > from) {
    const Int128 factor = Pow10(to - from);
    if (Abs(v) > (Pow10(kMaxDecimalPrecision) - 1) / factor) {
      return DoesNotFit(FormatDecimal(unscaled, from), precision, to);
    }
    v *= factor;
  }
  if (!FitsPrecision(v, precision)) return DoesNotFit(FormatDecimal(unscaled, from), precision, to);
  return v;
}

double DecimalToDouble(Int128 unscaled, int scale) {
  // Both operands exact (2^53 and 10^22 are), so the one division rounds correctly.
  if (Abs(unscaled) < (Int128{1} << 53) && scale <= 22) {
    return static_cast<double>(unscaled) / static_cast<double>(Pow10(scale));
  }
  return std::strtod(FormatDecimal(unscaled, scale).c_str(), nullptr);
}

bool DecimalToInt(Int128 unscaled, int scale, int64_t* out) {
  const Int128 v = unscaled / Pow10(scale);
  if (v > INT64_MAX || v < INT64_MIN) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

void AppendBigEndian(Int128 v, int width, std::string* out) {
  const UInt128 bits = static_cast<UInt128>(v);
  for (int i = width - 1; i >= 0; --i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

Result<Int128> FromBigEndian(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > 16) {
    return DataLoss("a decimal of " + std::to_string(bytes.size()) +
                    " bytes (expected 1 to 16)");
  }
  UInt128 bits = (static_cast<uint8_t>(bytes[0]) & 0x80) ? ~UInt128{0} : 0;
  for (char c : bytes) bits = (bits << 8) | static_cast<uint8_t>(c);
  return static_cast<Int128>(bits);
}

}  // namespace tributary::parquet
