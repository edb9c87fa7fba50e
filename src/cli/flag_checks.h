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
#pragma once

#include <CLI/CLI.hpp>

namespace tributary::cli {

// Makes each occurrence of the repeatable `option` add the one value after it, as typed:
// no "[a,b]" list expansion, and the words after that value are not taken as more values.
CLI::Option* OneValueEach(CLI::Option* option);

}  // namespace tributary::cli
