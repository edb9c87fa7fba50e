#include "cli/flag_checks.h"

namespace tributary::cli {

CLI::Option* OneValueEach(CLI::Option* option) {
  // A vector option allows extra arguments: CLI11 then splits a value written "[a,b]" into
  // a and b (and takes the next word in place of "[]", even an option), and keeps taking
  // words after the value until the next option. Without them it takes one value at a time.
  return option->allow_extra_args(false);
}

}  // namespace tributary::cli
