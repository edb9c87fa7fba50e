// Helpers shared by the model hosting commands (serving_commands.cc, endpoint_commands.cc,
// transform_commands.cc): resource paths, list answers, number flags and the subcommands
// every resource has.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "cli/api_client.h"
#include "cli/command.h"

namespace tributary::cli::serving {

std::string ModelPath(const std::string& name);
std::string ConfigPath(const std::string& name);
std::string EndpointPath(const std::string& name);
std::string TransformPath(const std::string& name);

// The array of a list answer: `key` if present, else the first array member (or the
// answer itself when it is an array), so that a renamed key still lists.
nlohmann::json Items(const nlohmann::json& answer, const char* key);

// Member `key` of `j` or null, so that Cell() prints "-" for what is missing.
nlohmann::json Get(const nlohmann::json& j, const char* key);

// `text` as a finite number / an integer >= 1; the error names `what`.
Result<double> ParseNumber(const std::string& what, const std::string& text);
Result<int64_t> ParsePositive(const std::string& what, const std::string& text);

// GET `path` and print the answer (JSON with --json); `command` names it in errors.
int Describe(const ClientOptions& opts, const std::string& command, const std::string& path);

struct WaitArgs {
  bool wait = false;
  int timeout_s = 1800;
};

// --wait and --timeout-s.
void AddWaitFlags(CLI::App* cmd, WaitArgs* w);

// `verb NAME` subcommands whose whole work is one call: describe and delete.
void AddNamedCall(CLI::App* group, CommandContext* ctx, std::shared_ptr<ClientOptions> opts,
                  const char* verb, const std::string& help, const std::string& noun,
                  std::string (*path)(const std::string&));

// tributary endpoint ... (endpoint_commands.cc) and tributary transform ...
// (transform_commands.cc).
void AddEndpointCommands(CLI::App* parent, CommandContext* ctx);
void AddTransformCommands(CLI::App* parent, CommandContext* ctx);

}  // namespace tributary::cli::serving
