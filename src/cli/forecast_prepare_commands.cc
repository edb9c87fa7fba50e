// tributary forecast prepare: DeepAR's train/test channels from a catalog table, through
// POST /v1/forecast/prepare (forecast/prepare.h). Torch-free, so it is there in every
// build, with or without the forecasting tool (train/predict are forecast_commands.cc).
//
// A local --out is made absolute here and written by the server: the CLI and the server
// run on one machine (as they share the data directory and its admin token). An --out
// of s3://bucket/prefix/ puts the files in the lake instead.
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "flags/flag_checks.h"

namespace tributary::cli {
namespace {

using nlohmann::json;

constexpr int kTimeoutSeconds = 3600;  // the server reads the whole table in the request

// The request's API fields and the flags that set them.
constexpr FieldFlag kPrepareFlags[] = {
    {"out", "--out"},
    {"start", "--start"},
    {"end", "--end"},
};

struct PrepareFlags {
  std::string database, table, target, timestamp, group_by = "device", freq = "H", agg = "mean";
  std::string start, end, out;
  int64_t prediction_length = 0;
  int64_t min_train_points = 1;
  bool no_group = false, cat = false, overwrite = false;
  std::vector<std::string> dynamic_feat;
};

void PrintSummary(const json& s) {
  std::printf("prepared %s series from %s (%s, %s rows in %s objects) into %s\n", Cell(s["series"]).c_str(),
              Cell(s["table"]).c_str(), Cell(s["format"]).c_str(), Cell(s["rows"]).c_str(),
              Cell(s["objects"]).c_str(), Cell(s["out"]).c_str());
  std::printf("  time:   %s .. %s, freq %s, agg %s; test window from %s (%s periods)\n",
              Cell(s["first_start"]).c_str(), Cell(s["end"]).c_str(), Cell(s["freq"]).c_str(),
              Cell(s["agg"]).c_str(), Cell(s["split"]).c_str(), Cell(s["prediction_length"]).c_str());
  std::printf("  points: train %s (%.1f %% NaN), test %s (%.1f %% NaN)\n", Cell(s["train_points"]).c_str(),
              100 * s.value("train_nan_share", 0.0), Cell(s["test_points"]).c_str(),
              100 * s.value("test_nan_share", 0.0));
  std::printf("  rows left out: %s without a timestamp, %s without a group, %s out of range, %s bad records\n",
              Cell(s["rows_without_timestamp"]).c_str(), Cell(s["rows_without_group"]).c_str(),
              Cell(s["rows_out_of_range"]).c_str(), Cell(s["bad_records"]).c_str());
  if (s.value("objects_skipped", 0) > 0) {
    const json listed = s.value("skipped_objects", json::array());
    std::string names;
    for (const auto& o : listed) names += (names.empty() ? "" : ", ") + o.get<std::string>();
    if (s.value("objects_skipped", int64_t{0}) > static_cast<int64_t>(listed.size()))
      names += ", ...";
    std::printf(
        "  skipped %s objects whose folders do not fit the table's partition keys (as its crawler "
        "did): %s\n",
        Cell(s["objects_skipped"]).c_str(), names.c_str());
  }
  if (s.value("skipped_groups", 0) > 0) {
    std::string names;
    for (const auto& g : s["skipped"]) names += (names.empty() ? "" : ", ") + g.get<std::string>();
    std::printf("  skipped %s groups with too few training values: %s\n", Cell(s["skipped_groups"]).c_str(),
                names.c_str());
  }
  for (const auto& f : s["files"]) std::printf("  wrote %s\n", f.get<std::string>().c_str());
}

int Prepare(const ClientOptions& opts, const PrepareFlags& f) {
  const std::string command = "forecast prepare";
  std::string out = f.out;
  if (out.rfind("s3://", 0) != 0 && out.rfind("s3a://", 0) != 0) {
    std::error_code ec;
    out = std::filesystem::absolute(out, ec).lexically_normal().string();
    if (ec) return Fail(command, InvalidArgument("--out " + f.out + ": " + ec.message()));
  }
  json body = {{"table", f.table},
               {"target", f.target},
               {"freq", f.freq},
               {"agg", f.agg},
               {"prediction_length", f.prediction_length},
               {"min_train_points", f.min_train_points},
               {"cat", f.cat},
               {"overwrite", f.overwrite},
               {"dynamic_feat", f.dynamic_feat},
               {"out", out}};
  body["group_by"] = f.no_group ? json(nullptr) : json(f.group_by);
  if (!f.database.empty()) body["database"] = f.database;
  if (!f.timestamp.empty()) body["timestamp"] = f.timestamp;
  if (!f.start.empty()) body["start"] = f.start;
  if (!f.end.empty()) body["end"] = f.end;
  auto res = ApiClient(opts).Send("POST", "/v1/forecast/prepare", body.dump(),
                                  {{"Content-Type", "application/json"}}, kTimeoutSeconds);
  if (!res.ok()) return Fail(command, res.status());
  json answer = json::parse(res->body, nullptr, false);
  if (res->status < 200 || res->status >= 300) {
    std::string message = "HTTP " + std::to_string(res->status);
    if (!answer.is_discarded() && answer.contains("error")) message = answer["error"].value("message", message);
    return Fail(command, WithFlagName(InvalidArgument(message), kPrepareFlags));
  }
  if (opts.json) return PrintJson(answer), 0;
  PrintSummary(answer);
  return 0;
}

}  // namespace

void AddForecastPrepareCommands(CLI::App* parent, CommandContext* ctx) {
  auto* forecast = parent->add_subcommand("forecast", "Forecasting data (DeepAR channels from catalog tables)");
  forecast->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto f = std::make_shared<PrepareFlags>();
  auto* cmd = forecast->add_subcommand(
      "prepare", "Build DeepAR train/test channels from a catalog table: a series per group, resampled, split in time");
  cmd->add_option("--table", f->table, "catalog table (crawled raw JSON or an ETL job's Parquet)")->required();
  cmd->add_option("--database", f->database, "its database (default: the one database holding --table)");
  cmd->add_option("--target", f->target, "the column to forecast")->required();
  cmd->add_option("--timestamp", f->timestamp, "time column (default: the table's single timestamp column)");
  cmd->add_option("--group-by", f->group_by, "one series per value of this column or partition key")->capture_default_str();
  cmd->add_flag("--no-group", f->no_group, "one series for the whole table");
  cmd->add_option("--freq", f->freq, "time_freq: 5min, H, 2H, D, W, M ...")->capture_default_str();
  cmd->add_option("--agg", f->agg, "how the points of one period combine: mean, sum, last or max")->capture_default_str();
  WholeNumberIn(
      cmd->add_option("--prediction-length", f->prediction_length, "periods in the test window"), 1,
      std::numeric_limits<int32_t>::max())
      ->required();
  cmd->add_option("--start", f->start, "ISO 8601: rows before it are left out");
  cmd->add_option("--end", f->end, "ISO 8601, exclusive: rows from it on are left out; the test window ends before it");
  cmd->add_flag("--cat", f->cat, "write each series' group index as cat (series.json maps it back)");
  cmd->add_option("--dynamic-feat", f->dynamic_feat, "columns resampled as dynamic_feat (comma-separated)")->delimiter(',');
  WholeNumberIn(
      cmd->add_option("--min-train-points", f->min_train_points,
                      "groups with fewer target values before the test window are skipped"),
      1, std::numeric_limits<int32_t>::max())
      ->capture_default_str();
  cmd->add_option("--out", f->out,
                  "local directory, or s3://bucket/ or s3://bucket/prefix/ in the lake")
      ->required();
  cmd->add_flag("--overwrite", f->overwrite, "replace channel files that exist already");
  AddClientFlags(cmd, opts.get());
  cmd->callback([=] { ctx->run = [=] { return Prepare(*opts, *f); }; });
}

}  // namespace tributary::cli
