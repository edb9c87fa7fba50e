#include "serving/worker_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/log.h"
#include "base/process.h"
#include "base/start_thread.h"

namespace tributary::serving {
namespace {

constexpr size_t kMaxStderrLine = 4096;   // longer lines are split, so one line cannot eat memory
constexpr int kExitWaitAfterEofMs = 200;  // a worker that closed stdout is usually mid-exit

std::shared_ptr<spdlog::logger> Log() {
  static auto log = Logger("serving");
  return log;
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return IoError(fmt::format("fcntl(O_NONBLOCK): {}", std::strerror(errno)));
  }
  return Status::Ok();
}

// Writing to a worker that has exited raises SIGPIPE. The server may not ignore it
// process-wide, so block it in this thread for the duration of a write and discard
// one we caused; the write itself then fails with EPIPE, which is handled.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&set_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_;
  sigset_t old_;
  bool was_pending_ = false;
};

uint64_t ReadVmRss(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;  // " 1234 kB"
  }
  return 0;  // gone, or a zombie (no VmRSS line)
}

void AddTreeRss(pid_t pid, int depth, uint64_t& total) {
  total += ReadVmRss(pid);
  if (depth > 16) return;  // a fork bomb should not make us recurse forever
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    std::ifstream children(task.path() / "children");
    pid_t child;
    while (children >> child) AddTreeRss(child, depth + 1, total);
  }
}

}  // namespace

uint64_t ProcessTreeRssBytes(pid_t pid) {
  if (pid <= 0) return 0;
  uint64_t total = 0;
  AddTreeRss(pid, 0, total);
  return total;
}

WorkerProcess::WorkerProcess(WorkerOptions options) : options_(std::move(options)) {}

WorkerProcess::~WorkerProcess() { Stop(0); }

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::Spawn(WorkerOptions options) {
  if (options.command.empty()) {
    return InvalidArgument(fmt::format("worker {}: empty command", options.name));
  }
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess(std::move(options)));
  const std::string& name = worker->options_.name;
  SpawnOptions spawn;
  spawn.command = worker->options_.command;
  spawn.env = worker->options_.env;
  Result<SpawnedProcess> child = SpawnProcessGroup(spawn);
  if (!child.ok()) {
    worker->reaped_ = true;  // nothing to reap
    return Status(child.status().code(), fmt::format("worker {}: {}", name, child.status().message()));
  }
  worker->pid_ = child->pid;
  worker->stdin_fd_ = child->stdin_fd;
  worker->stdout_fd_ = child->stdout_fd;
  worker->stderr_fd_ = child->stderr_fd;
  worker->running_ = true;
  worker->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  for (int fd : {worker->stdin_fd_, worker->stdout_fd_, worker->stderr_fd_}) {
    if (Status st = SetNonBlocking(fd); !st.ok()) return st.WithContext("worker " + name);
  }
  if (worker->wake_fd_ < 0)
    return IoError(fmt::format("worker {}: eventfd: {}", name, std::strerror(errno)));
  WorkerProcess* w = worker.get();
  TRY_ASSIGN(worker->stderr_thread_, StartThread("worker-stderr", [w] { w->ReadStderr(); }));
  Log()->info("worker {} started pid={} command=\"{}\"", name, worker->pid_,
              fmt::join(worker->options_.command, " "));
  return worker;
}

std::vector<std::string> WorkerProcess::StderrTail() const {
  std::lock_guard<std::mutex> lock(tail_mu_);
  return {tail_.begin(), tail_.end()};
}

uint64_t WorkerProcess::RssBytes() const { return running_ ? ProcessTreeRssBytes(pid_) : 0; }

std::string WorkerProcess::WithTail(const std::string& message) const {
  std::vector<std::string> tail = StderrTail();
  if (tail.empty()) return message + " (it wrote nothing to stderr)";
  return fmt::format("{}; its last stderr lines: {}", message, fmt::join(tail, " | "));
}

void WorkerProcess::ReadStderr() {
  std::string line;
  auto emit = [&] {
    Log()->info("{}: {}", options_.name, line);
    std::lock_guard<std::mutex> lock(tail_mu_);
    tail_.push_back(std::move(line));
    while (tail_.size() > options_.stderr_lines_kept) tail_.pop_front();
    line.clear();
  };
  char buf[4096];
  bool woken = false;
  for (;;) {
    if (!woken) {
      pollfd fds[2] = {{stderr_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
      // Woken after the worker was reaped: read what is left, then stop even if a
      // grandchild that escaped the process group still holds the pipe open.
      woken = (fds[1].revents & POLLIN) != 0;
    }
    ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (woken) break;
      continue;
    }
    if (n <= 0) break;  // EOF: every writer is gone
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        emit();
      } else {
        line.push_back(buf[i]);
        if (line.size() >= kMaxStderrLine) emit();
      }
    }
  }
  if (!line.empty()) emit();
  std::lock_guard<std::mutex> lock(tail_mu_);
  stderr_done_ = true;
  stderr_done_cv_.notify_all();
}

Result<WorkerMessage> WorkerProcess::Exchange(std::string_view header, std::string_view body,
                                              int64_t deadline_ns, int timeout_ms,
                                              bool* fully_written) {
  SigpipeGuard sigpipe;
  size_t total = header.size() + body.size();
  size_t written = 0;
  bool can_write = true;
  std::optional<WorkerMessage> message;
  char buf[65536];
  for (;;) {
    if (!message) {
      TRY_ASSIGN(message, decoder_.Next());
    }
    if (message && (written == total || !can_write)) break;
    int64_t left_ns = deadline_ns - SteadyNanos();
    if (left_ns <= 0) {
      return Status(ErrorCode::kDeadlineExceeded,
                    fmt::format("model server did not answer within {} ms", timeout_ms));
    }
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stdin_fd_, POLLOUT, 0}};
    int nfds = can_write && written < total ? 2 : 1;
    int rc = ::poll(fds, nfds, static_cast<int>((left_ns + 999999) / 1000000));
    if (rc < 0 && errno != EINTR) return IoError(fmt::format("poll: {}", std::strerror(errno)));
    if (rc <= 0) continue;
    if (nfds == 2 && fds[1].revents != 0) {
      std::string_view piece =
          written < header.size() ? header.substr(written) : body.substr(written - header.size());
      ssize_t n = ::write(stdin_fd_, piece.data(), piece.size());
      if (n > 0) {
        written += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        can_write = false;  // EPIPE: it stopped reading; its exit shows on stdout next
      }
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n > 0) {
        decoder_.Feed(std::string_view(buf, static_cast<size_t>(n)));
      } else if (n == 0) {
        return Unavailable("model server exited (its stdout closed)");
      } else if (errno != EAGAIN && errno != EINTR) {
        return IoError(fmt::format("reading the worker's stdout: {}", std::strerror(errno)));
      }
    }
  }
  if (fully_written != nullptr) *fully_written = written == total;
  return std::move(*message);
}

Status WorkerProcess::WaitReady(int timeout_ms) {
  if (!running_) return Unavailable(fmt::format("worker {} is not running", options_.name));
  Result<WorkerMessage> message =
      Exchange("", "", SteadyNanos() + int64_t{timeout_ms} * 1000000, timeout_ms, nullptr);
  if (!message.ok()) {
    std::string what = message.status().code() == ErrorCode::kDeadlineExceeded
                           ? fmt::format("model server was not ready within {} ms", timeout_ms)
                           : message.status().message();
    return Status(message.status().code(), Fail(what));
  }
  switch (message->type) {
    case WorkerMessage::Type::kReady:
      info_ = std::move(message->info);
      Log()->info("worker {} ready pid={} info={}", options_.name, pid_, info_.dump());
      return Status::Ok();
    case WorkerMessage::Type::kNotReady:
      return FailedPrecondition(Fail("model server could not load the model: " + message->error));
    case WorkerMessage::Type::kAnswer:
      break;
  }
  return ProtocolError(
      Fail(fmt::format("model server answered id {} before saying it was ready", message->id)));
}

WorkerAnswer WorkerProcess::Call(WorkerRequest request, int timeout_ms) {
  WorkerAnswer answer;
  if (!running_) {
    answer.error = fmt::format("worker {} is not running", options_.name);
    return answer;
  }
  request.id = ++next_id_;
  std::string header = EncodeRequestHeader(request);
  bool fully_written = false;
  Result<WorkerMessage> message =
      Exchange(header, request.body, SteadyNanos() + int64_t{timeout_ms} * 1000000, timeout_ms,
               &fully_written);
  Status status = message.ok() ? CheckAnswerTo(request.id, *message) : message.status();
  if (!status.ok()) {
    // The answer goes to the client, the stderr tail only to the log: it may hold what
    // the worker logged about other callers' requests.
    answer.error = Fail(status.message(), /*tail_in_result=*/false);
    return answer;
  }
  answer.status = message->status;
  answer.content_type = std::move(message->content_type);
  answer.body = std::move(message->body);
  answer.error = std::move(message->error);
  if (answer.status >= 400 && answer.error.empty()) {
    answer.error = fmt::format("model server answered status {} without a reason", answer.status);
  }
  if (!fully_written) {
    // The rest of the request would be read as the next one: end this worker.
    (void)Fail("model server answered before reading the whole request");  // logs it
  }
  return answer;
}

std::string WorkerProcess::Fail(const std::string& what, bool tail_in_result) {
  std::string ending = KillAndReap(kExitWaitAfterEofMs);
  std::string message =
      fmt::format("worker {} (pid {}): {}; it {}", options_.name, pid_, what, ending);
  std::string with_tail = WithTail(message);
  Log()->warn("{}", with_tail);
  return tail_in_result ? with_tail : message;
}

void WorkerProcess::Stop(int grace_ms) {
  if (reaped_) {
    CloseFd(stdin_fd_), CloseFd(stdout_fd_), CloseFd(stderr_fd_), CloseFd(wake_fd_);
    return;
  }
  CloseFd(stdin_fd_);  // EOF on its stdin: a well-behaved worker exits now
  std::string ending = KillAndReap(grace_ms);
  Log()->info("worker {} stopped pid={}: it {}", options_.name, pid_, ending);
}

std::string WorkerProcess::KillAndReap(int grace_ms) {
  if (reaped_) return "had already ended";
  // Wait without reaping (WNOWAIT): while the leader is an unreaped zombie its pid,
  // and so the process group id, cannot be reused, and the group kill below is safe.
  int64_t deadline = SteadyNanos() + int64_t{grace_ms} * 1000000;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid_)
      break;
    if (SteadyNanos() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(-pid_, SIGKILL);  // the group: children of the worker too
  ::kill(pid_, SIGKILL);   // in case it moved itself to another group
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  running_ = false;
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  // The stderr thread reads until EOF, which the group kill makes immediate; the
  // wake is for a descendant that left the group and still holds the pipe.
  if (stderr_thread_.joinable()) {
    {
      std::unique_lock<std::mutex> lock(tail_mu_);
      stderr_done_cv_.wait_for(lock, std::chrono::milliseconds(100),
                               [this] { return stderr_done_; });
    }
    uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) < 0) {
      // eventfd writes cannot fail short of a bad fd; the thread then ends at EOF
    }
    stderr_thread_.join();
  }
  CloseFd(stderr_fd_);
  CloseFd(wake_fd_);
  return DescribeWaitStatus(status);
}

}  // namespace tributary::serving
