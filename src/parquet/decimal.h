// Fixed-point decimals, as Parquet's DECIMAL and Hive's decimal(p,s) define them: an
// unscaled signed integer of at most `precision` decimal digits, read as
// unscaled × 10^-scale (decimal(5,2): 123.45 is 12345; -0.5 is -50).
//
// In memory every decimal is a 128-bit unscaled value (38 digits fit). On disk the
// physical type follows the precision, as Parquet recommends and Spark, Hive and DuckDB
// write it: INT32 up to 9 digits, INT64 up to 18, FIXED_LEN_BYTE_ARRAY (big-endian two's
// complement, the fewest bytes that hold 10^p - 1) above. A reader also takes
// BYTE_ARRAY and any of these at any precision.
//
//   ParseDecimal("12.345", 5, 2)  -> 1235 (rounded half away from zero)
//   FormatDecimal(-50, 2)         -> "-0.50"
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "parquet/format.h"

namespace tributary::parquet {

__extension__ typedef __int128 Int128;

inline constexpr int kMaxDecimalPrecision = 38;

// Ok for 1 <= precision <= 38 and 0 <= scale <= precision.
Status ValidateDecimal(int precision, int scale);

// Whether `text` names a decimal type: "decimal", or "decimal(" and more.
bool IsDecimalType(std::string_view text);
// "decimal(p,s)", "decimal(p)" (scale 0) or "decimal" (Hive's default, decimal(10,0));
// spaces are allowed around the numbers. Errors say what is wrong.
Status ParseDecimalType(std::string_view text, int* precision, int* scale);

// 10^n for 0 <= n <= 38.
Int128 Pow10(int n);
// Whether |unscaled| < 10^precision.
bool FitsPrecision(Int128 unscaled, int precision);

// The physical type a decimal of this precision is written as, and for
// FIXED_LEN_BYTE_ARRAY its width in bytes.
PhysicalType DecimalPhysicalType(int precision);
int DecimalByteWidth(int precision);

// "-12.30": every scale digit, a leading "0." below one.
std::string FormatDecimal(Int128 unscaled, int scale);
// Plain decimal text with optional sign, digits, fraction and exponent ("1.5", "-2e3",
// ".25"). Digits past `scale` are rounded half away from zero; a value of more than
// precision - scale integer digits is refused, as is anything that is not a number.
Result<Int128> ParseDecimal(std::string_view text, int precision, int scale);
// A finite double rounded half away from zero to `scale` digits; refused when it does
// not fit the precision.
Result<Int128> DecimalFromDouble(double v, int precision, int scale);
// An integer times 10^scale; refused when it does not fit the precision.
Result<Int128> DecimalFromInt(int64_t v, int precision, int scale);
// A decimal of scale `from` at scale `to` (rounded half away from zero when `to` is
// smaller); refused when it does not fit the precision.
Result<Int128> RescaleDecimal(Int128 unscaled, int from, int precision, int to);
double DecimalToDouble(Int128 unscaled, int scale);
// Truncated toward zero, as a cast to an integer type truncates; false when it does not
// fit 64 bits.
bool DecimalToInt(Int128 unscaled, int scale, int64_t* out);

// Big-endian two's complement in `width` bytes (1..16); the value must fit.
void AppendBigEndian(Int128 v, int width, std::string* out);
// 1..16 bytes of big-endian two's complement, sign-extended.
Result<Int128> FromBigEndian(std::string_view bytes);

}  // namespace tributary::parquet
