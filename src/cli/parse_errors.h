// CLI11's parse errors as every other error of the CLI: one line on stderr,
// "tributary <command>: <message>", naming the word at fault and what would do.
//
//   tributary thing creat x      tributary thing: unknown command 'creat' (did you mean 'create'?
//                                commands: create, list, ...; see tributary thing --help)
//   tributary server --http-prot 5
//                                tributary server: unknown option '--http-prot' (did you mean
//                                '--http-port'? see tributary server --help)
//   tributary thing              tributary thing: name a command: create, list, ... (see ...)
//   anything else                tributary <command>: CLI11's message, on one line
//
// Called from main() only, on the thread that parsed.
#pragma once

#include <CLI/CLI.hpp>

namespace tributary::cli {

// Prints the error (help and --version as CLI11 does) and returns the exit code: 2 for
// a usage error, 0 for help.
int ReportParseError(CLI::App& app, const CLI::ParseError& error);

}  // namespace tributary::cli
