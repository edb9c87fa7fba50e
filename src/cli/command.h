// How a group of subcommands plugs into the `tributary` binary. Each group adds its
// CLI11 subcommands and, for the one the user picked, sets `run`; main() calls it
// after parsing. The table of groups is in app/main.cc.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace tributary::cli {

struct CommandContext {
  std::function<int()> run;  // set by the chosen leaf command's callback
};

using AddCommandsFn = void (*)(CLI::App* parent, CommandContext* context);

void AddThingCommands(CLI::App* parent, CommandContext* context);   // thing ...
void AddPolicyCommands(CLI::App* parent, CommandContext* context);  // policy ...
void AddShadowCommands(CLI::App* parent, CommandContext* context);  // shadow ...
void AddParquetCommands(CLI::App* parent, CommandContext* context); // parquet schema|cat
void AddRuleCommands(CLI::App* parent, CommandContext* context);    // rule ...
void AddStreamCommands(CLI::App* parent, CommandContext* context);  // stream ...
void AddCrawlerCommands(CLI::App* parent, CommandContext* context); // crawler ...
void AddCatalogCommands(CLI::App* parent, CommandContext* context); // catalog ...
void AddLakeCommands(CLI::App* parent, CommandContext* context);    // lake buckets|ls|cat|lifecycle
// lake lifecycle get|put|delete|run (lake_lifecycle_commands.cc), under `lake`.
void AddLakeLifecycleCommands(CLI::App* lake, CommandContext* context);
void AddJobCommands(CLI::App* parent, CommandContext* context);     // job ...
// model, endpoint-config, endpoint, transform: model hosting (serving_commands.cc).
void AddServingCommands(CLI::App* parent, CommandContext* context);
// training-job: DeepAR training jobs run by the server (training_commands.cc).
void AddTrainingCommands(CLI::App* parent, CommandContext* context);
// monitor: drift monitors and their retraining loop (monitor_commands.cc).
void AddMonitorCommands(CLI::App* parent, CommandContext* context);
// forecast prepare: DeepAR channels from a catalog table (forecast_prepare_commands.cc; every build).
void AddForecastPrepareCommands(CLI::App* parent, CommandContext* context);
// servers list|forget: the deployment's servers (servers_commands.cc).
void AddServersCommands(CLI::App* parent, CommandContext* context);
// metadata copy: SQLite metadata into PostgreSQL (metadata_commands.cc).
void AddMetadataCommands(CLI::App* parent, CommandContext* context);
// train, predict: exec tributary-forecast (forecast_commands.cc; builds with TRIBUTARY_WITH_TORCH).
void AddForecastCommands(CLI::App* parent, CommandContext* context);

}  // namespace tributary::cli
