#include "cli/run_follow.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/output.h"

namespace tributary::cli {

int StartAndFollowRun(const ClientOptions& opts, const std::string& base_path, const std::string& name,
                      bool no_wait, const RunKind& kind) {
  const std::string command = kind.noun + " run";
  ApiClient client(opts);
  auto started = client.Call("POST", base_path + "/run");
  if (!started.ok()) return Fail(command, started.status());
  int64_t id = (*started)["run_id"].get<int64_t>();
  if (no_wait) {
    if (opts.json) return PrintJson(*started), 0;
    std::printf("started run %lld of %s %s\n", static_cast<long long>(id), kind.noun.c_str(), name.c_str());
    return 0;
  }
  const std::string path = base_path + "/runs/" + std::to_string(id);
  // Progress goes to a terminal only; logs and pipes get the outcome alone.
  const bool show_progress = !opts.json && isatty(STDERR_FILENO) != 0;
  std::string last_line;
  while (true) {
    auto run = client.Call("GET", path);
    if (!run.ok()) return Fail(command, run.status());
    if ((*run)["status"] != "running") {
      if (!last_line.empty()) std::fprintf(stderr, "\n");
      if (opts.json) {
        PrintJson(*run);
      } else {
        kind.print(*run);
      }
      return (*run)["status"] == "succeeded" ? 0 : 1;
    }
    if (show_progress) {
      std::string line = kind.progress(*run);
      if (line != last_line) std::fprintf(stderr, "\r%s", line.c_str());
      last_line = line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace tributary::cli
