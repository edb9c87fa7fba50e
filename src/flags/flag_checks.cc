#include "flags/flag_checks.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace tributary {

namespace {

// The shortest text that reads back as `v`: 0.001, 3600000, 1e+300.
std::string DecimalText(double v) {
  char text[32];
  auto [end, error] = std::to_chars(text, text + sizeof text, v);
  return error == std::errc() ? std::string(text, end) : std::to_string(v);
}

}  // namespace

CLI::Option* OneValueEach(CLI::Option* option) {
  // A vector option allows extra arguments: CLI11 then splits a value written "[a,b]" into
  // a and b (and takes the next word in place of "[]", even an option), and keeps taking
  // words after the value until the next option. Without them it takes one value at a time.
  return option->allow_extra_args(false);
}

Result<int64_t> ParseWholeNumberIn(std::string_view text, int64_t min, int64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  std::string_view digits = text.substr(!text.empty() && text[0] == '-' ? 1 : 0);
  bool all_digits =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!all_digits)
    return InvalidArgument("'" + std::string(text) + "' is not a whole number in " + range);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return InvalidArgument(std::string(text) + " is not in " + range);
  return value;
}

CLI::Option* WholeNumberIn(CLI::Option* option, int64_t min, int64_t max) {
  // A transform, not a check: CLI11 gives checks a copy of the value, and would then read
  // "010" as octal and "0x10" as hexadecimal.
  return option->transform(CLI::Validator(
      [min, max](std::string& text) -> std::string {
        Result<int64_t> value = ParseWholeNumberIn(text, min, max);
        if (!value.ok()) return value.status().message();
        text = std::to_string(*value);
        return "";
      },
      std::to_string(min) + ".." + std::to_string(max)));
}

Result<double> ParseDecimalIn(std::string_view text, double min, double max) {
  const std::string range = DecimalText(min) + ".." + DecimalText(max);
  // Only what a decimal number is written with: from_chars would also read inf and nan.
  bool decimal = text.find_first_of("0123456789") != std::string_view::npos &&
                 text.find_first_not_of("0123456789.eE+-") == std::string_view::npos &&
                 text[0] != '+';
  double value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (!decimal || end != text.data() + text.size() ||
      (error != std::errc() && error != std::errc::result_out_of_range)) {
    return InvalidArgument("'" + std::string(text) + "' is not a decimal number in " + range);
  }
  if (error != std::errc() || !std::isfinite(value) || value < min || value > max)
    return InvalidArgument(std::string(text) + " is not in " + range);
  return value;
}

CLI::Option* DecimalIn(CLI::Option* option, double min, double max) {
  // A transform, as WholeNumberIn's: CLI11 then converts the number checked, written so
  // that it reads back the same.
  return option->transform(CLI::Validator(
      [min, max](std::string& text) -> std::string {
        Result<double> value = ParseDecimalIn(text, min, max);
        if (!value.ok()) return value.status().message();
        text = DecimalText(*value);
        return "";
      },
      DecimalText(min) + ".." + DecimalText(max)));
}

}  // namespace tributary
