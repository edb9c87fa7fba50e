// Starting a lake run (a crawler's, an ETL job's) and following it to its end:
// POST <base>/run, then GET <base>/runs/<id> every 200 ms until it is no longer
// "running", with a progress line on a terminal (stderr) and the outcome on stdout.
//
//   return StartAndFollowRun(opts, "/v1/jobs/daily", "daily", no_wait,
//                            {"job", PrintRun, ProgressLine});
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace tributary::cli {

struct RunKind {
  std::string noun;  // "crawler", "job": in messages ("job run: ...", "started run 3 of job daily")
  std::function<void(const nlohmann::json& run)> print;              // the finished run
  std::function<std::string(const nlohmann::json& run)> progress;    // one line while it runs
};

// Exit status: 0 when the run succeeded (or, with `no_wait`, started), 1 otherwise.
int StartAndFollowRun(const ClientOptions& opts, const std::string& base_path, const std::string& name,
                      bool no_wait, const RunKind& kind);

}  // namespace tributary::cli
