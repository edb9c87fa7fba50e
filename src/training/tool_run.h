// One run of the trainer as a child process (base/process.h: its own process group,
// stdin /dev/null, stdout and stderr on one pipe), read line by line until it ends.
// Ending it early is the caller's choice: Terminate() sends SIGTERM to the group,
// Kill() SIGKILL, so that the trainer's own children go too.
//
//   TRY_ASSIGN(auto run, ToolRun::Start({"tributary-forecast", "train", ...}));
//   while (run->Pump(100, [&](std::string line) { log.Append(line); })) {
//     if (cancelled) run->Terminate();
//   }
//   int status = run->Wait();  // waitpid status; DescribeWaitStatus(status)
//
// Thread-compatible: one thread drives a run.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary::training {

class ToolRun {
 public:
  static Result<std::unique_ptr<ToolRun>> Start(const std::vector<std::string>& command);
  ~ToolRun();  // kills the group and reaps when the run was not waited for
  ToolRun(const ToolRun&) = delete;
  ToolRun& operator=(const ToolRun&) = delete;

  // Waits up to `timeout_ms` for output and hands every complete line to `on_line`
  // (without its '\n'; a line over 64 KiB comes in pieces). Returns false once the
  // output is finished and the child has exited (a child that exited while a
  // descendant holds the pipe gets its group killed, which closes it).
  bool Pump(int timeout_ms, const std::function<void(std::string)>& on_line);

  void Terminate();  // SIGTERM to the process group
  void Kill();       // SIGKILL to the process group

  // After Pump returned false: reaps the child and returns its wait status.
  int Wait();

  pid_t pid() const { return pid_; }

 private:
  ToolRun() = default;
  bool Exited() const;  // without reaping

  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  std::string partial_;
};

}  // namespace tributary::training
