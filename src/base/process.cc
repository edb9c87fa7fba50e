#include "base/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace tributary {
namespace {

// This process's environment with `extra` added; a name in both takes extra's value.
std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (!extra.contains(name)) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

// Both ends of the pipes made so far; closed unless released.
struct Pipes {
  int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};  // stdin, stdout, stderr
  ~Pipes() {
    for (auto& p : fds) {
      for (int fd : p) {
        if (fd >= 0) ::close(fd);
      }
    }
  }
  Status Make(int which) {
    // pipe2(O_CLOEXEC): only the dup2'd copies survive exec, in the child alone.
    if (::pipe2(fds[which], O_CLOEXEC) != 0) return IoError(fmt::format("pipe: {}", std::strerror(errno)));
    return Status::Ok();
  }
  int Release(int which, int end) {
    int fd = fds[which][end];
    fds[which][end] = -1;
    return fd;
  }
};

}  // namespace

Result<SpawnedProcess> SpawnProcessGroup(const SpawnOptions& options) {
  if (options.command.empty()) return InvalidArgument("cannot start a process: empty command");
  Pipes pipes;
  if (options.stdin_pipe) TRY(pipes.Make(0));
  TRY(pipes.Make(1));
  if (!options.stderr_to_stdout) TRY(pipes.Make(2));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_pipe) {
    posix_spawn_file_actions_adddup2(&actions, pipes.fds[0][0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, pipes.fds[1][1], 1);
  posix_spawn_file_actions_adddup2(&actions, options.stderr_to_stdout ? pipes.fds[1][1] : pipes.fds[2][1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors other libraries opened without O_CLOEXEC must not leak either.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that a kill of -pid reaches the child's children;
  // default signal dispositions and an empty mask, whatever this thread has.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attr, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&attr, &signals);

  std::vector<std::string> env = MergedEnvironment(options.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  SpawnedProcess child;
  int rc = ::posix_spawnp(&child.pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Unavailable(fmt::format("cannot start '{}': {}", args[0], std::strerror(rc)));
  child.stdin_fd = pipes.Release(0, 1);
  child.stdout_fd = pipes.Release(1, 0);
  child.stderr_fd = pipes.Release(2, 0);
  return child;  // the child's ends close with `pipes`
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* what = strsignal(WTERMSIG(status));
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), what ? what : "?");
  }
  return fmt::format("ended with wait status {}", status);
}

}  // namespace tributary
