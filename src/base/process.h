// Child processes in a process group of their own, with pipes on the standard streams
// the caller asks for. The group lets one kill(-pid, ...) reach whatever the child
// started (`/bin/sh -c CMD` and CMD's children). Serving's worker processes
// (serving/worker_process.h) and training jobs' tool runs (training/tool_run.h) start
// their children here; each owns the reading, signalling and reaping of its own.
//
//   SpawnOptions o;
//   o.command = {"tributary-forecast", "train", ...};
//   o.stderr_to_stdout = true;  // one pipe carries the whole log
//   TRY_ASSIGN(SpawnedProcess child, SpawnProcessGroup(o));
//   ... read child.stdout_fd ...; ::kill(-child.pid, SIGTERM); ::waitpid(child.pid, ...);
//
// Thread-safety: may be called from any thread (posix_spawn; the child starts with
// default signal dispositions and an empty signal mask whatever the caller's thread has).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary {

struct SpawnOptions {
  std::vector<std::string> command;        // argv; argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  // added to (or replacing in) this process's environment
  bool stdin_pipe = true;                  // false: stdin is /dev/null
  bool stderr_to_stdout = false;           // true: one pipe for both, stderr_fd stays -1
};

// The child and the parent's ends of its pipes (-1 for streams not piped). The
// descriptors are O_CLOEXEC and blocking; the caller closes them and reaps the child.
struct SpawnedProcess {
  pid_t pid = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Starts the command as the leader of a new process group. Unavailable naming the
// program when it cannot be started (not found, not executable); no descriptor is
// left open then.
Result<SpawnedProcess> SpawnProcessGroup(const SpawnOptions& options);

// A waitpid status in words: "exited with status 3", "was killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int status);

}  // namespace tributary
