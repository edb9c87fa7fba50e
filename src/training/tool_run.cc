#include "training/tool_run.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/process.h"

namespace tributary::training {

namespace {
constexpr size_t kMaxLineBytes = 65536;
}  // namespace

Result<std::unique_ptr<ToolRun>> ToolRun::Start(const std::vector<std::string>& command) {
  SpawnOptions options;
  options.command = command;
  options.stdin_pipe = false;
  options.stderr_to_stdout = true;
  TRY_ASSIGN(SpawnedProcess child, SpawnProcessGroup(options));
  std::unique_ptr<ToolRun> run(new ToolRun());
  run->pid_ = child.pid;
  run->out_fd_ = child.stdout_fd;
  return run;
}

ToolRun::~ToolRun() {
  if (!reaped_ && pid_ > 0) {
    Kill();
    Wait();
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool ToolRun::Exited() const {
  // WNOWAIT: while the leader is an unreaped zombie its pid, and so the group id,
  // cannot be reused, and a later kill(-pid) is safe.
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
}

bool ToolRun::Pump(int timeout_ms, const std::function<void(std::string)>& on_line) {
  if (out_fd_ < 0) {
    // Output closed, but the child may still run: keep the caller's loop (and its
    // cancel and deadline checks) going until it exits.
    if (reaped_ || Exited()) return false;
    ::poll(nullptr, 0, timeout_ms);
    return !Exited();
  }
  pollfd fd{out_fd_, POLLIN, 0};
  int rc = ::poll(&fd, 1, timeout_ms);
  if (rc < 0 && errno != EINTR) return false;
  if (rc <= 0) {
    // Quiet: a child that exited while a descendant still holds the pipe would keep
    // us waiting forever; end the group so that the pipe closes.
    if (Exited()) Kill();
    return true;
  }
  char buf[8192];
  ssize_t n = ::read(out_fd_, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    if (!partial_.empty()) on_line(std::move(partial_));
    partial_.clear();
    ::close(out_fd_);
    out_fd_ = -1;
    return !Exited();
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == '\n') {
      if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
      on_line(std::move(partial_));
      partial_.clear();
    } else {
      partial_.push_back(buf[i]);
      if (partial_.size() >= kMaxLineBytes) {  // a line without end cannot eat memory
        on_line(std::move(partial_));
        partial_.clear();
      }
    }
  }
  return true;
}

void ToolRun::Terminate() {
  if (!reaped_) ::kill(-pid_, SIGTERM);
}

void ToolRun::Kill() {
  if (reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it moved itself to another group
}

int ToolRun::Wait() {
  if (reaped_) return wait_status_;
  while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return wait_status_;
}

}  // namespace tributary::training
