// How the CLI's flags take their values where CLI11's defaults would lose or change what
// was typed. Called while the commands are added (before parsing), on main()'s thread.
//
// Repeatable free-text flags (a std::vector<std::string>) take each value exactly as typed,
// one per occurrence (OneValueEach):
//
//   --data '[1,2]' --data x      two records, [1,2] and x      (CLI11: three, 1, 2 and x)
//   --data '[]' --json           the record [] and the flag    (CLI11: the record --json)
//   --attribute '[a=x,b=2]'      one, [a = x,b=2]              (CLI11: two, a = x and b = 2)
//   --attribute a=1 b=2          unexpected argument 'b=2'     (CLI11: two attributes)
//
// Whole-number flags are checked as typed, before CLI11 converts them (which reads -1 as
// 18446744073709551615 for an unsigned flag, and 010 as 8), against the range the command
// can act on (WholeNumberIn):
//
//   --days -5                    --days: -5 is not in 1..365000
//   --offset 1e3                 --offset: '1e3' is not a whole number in 0..9223372036854775807
//   --offset 010                 10
//
// Decimal flags are checked the same way (DecimalIn): plain decimal numbers, with a
// fraction and an exponent if need be, and none of the inf, nan and hexadecimal that
// CLI11 reads (nan passed every CLI11 range):
//
//   --canary-percent 200         --canary-percent: 200 is not in 1..99
//   --canary-percent nan         --canary-percent: 'nan' is not a decimal number in 1..99
//   --canary-percent 1.25e1      12.5
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace tributary {

// Makes each occurrence of the repeatable `option` add the one value after it, as typed:
// no "[a,b]" list expansion, and the words after that value are not taken as more values.
CLI::Option* OneValueEach(CLI::Option* option);

// `text` as a decimal whole number in min..max; otherwise InvalidArgument "V is not in
// MIN..MAX" (or "'V' is not a whole number in MIN..MAX"), for the caller to prefix with
// the flag's name.
Result<int64_t> ParseWholeNumberIn(std::string_view text, int64_t min, int64_t max);

// Checks each value of `option` with ParseWholeNumberIn as it is parsed, and gives CLI11 the
// number checked in plain decimal to convert. The parse error's message is
// ParseWholeNumberIn's after the flag's name: "--days: -5 is not in 1..365000".
CLI::Option* WholeNumberIn(CLI::Option* option, int64_t min, int64_t max);

// `text` as a finite decimal number in min..max; otherwise InvalidArgument "V is not in
// MIN..MAX" (or "'V' is not a decimal number in MIN..MAX"), the bounds written as briefly
// as they read back (0.001, 3600000), for the caller to prefix with the flag's name.
Result<double> ParseDecimalIn(std::string_view text, double min, double max);

// WholeNumberIn for a double: "--canary-percent: 200 is not in 1..99".
CLI::Option* DecimalIn(CLI::Option* option, double min, double max);

}  // namespace tributary
