// Starting a long-lived thread of the server, named (base/thread_name.h) and with a failure
// that is an answer, not an exception. std::thread throws std::system_error when the process
// may not start one more thread: the limits are the kernel's threads-max, the user's
// `ulimit -u`, and a pids cgroup (systemd's TasksMax=, a container's --pids-limit). Each
// delivery stream takes two threads, so a server with hundreds of streams under a tight
// limit meets it at a stream's create or start. There the stream gets the error (and
// starts no thread at all); the server goes on.
//
//   TRY_ASSIGN(writer_, StartThread("wal:" + stream, [this] { WriterLoop(); }));
//
// Tests arm the fault point "thread.start:<name>" (base/fault_points.h) with EAGAIN to
// make a given thread's start fail.
#pragma once

#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "base/status.h"
#include "base/thread_name.h"

namespace tributary {

namespace start_thread_internal {
// The errno armed at "thread.start:<name>", or 0.
int InjectedRefusal(const std::string& name);
// The kResourceExhausted answer for a refused thread.
Status Refused(const std::string& name, const std::string& why);
}  // namespace start_thread_internal

// Starts `body` (any callable std::thread takes, move-only ones too) on a new thread named
// `name`. kResourceExhausted, naming the thread and the limits to look at, when the system
// refuses the thread; `body` is then destroyed without running.
template <typename Body>
Result<std::thread> StartThread(std::string name, Body&& body) {
  if (int err = start_thread_internal::InjectedRefusal(name)) {
    return start_thread_internal::Refused(name,
                                          std::error_code(err, std::generic_category()).message());
  }
  try {
    return std::thread([name, body = std::forward<Body>(body)]() mutable {
      SetThreadName(name);
      body();
    });
  } catch (const std::system_error& e) {
    return start_thread_internal::Refused(name, e.code().message());
  }
}

}  // namespace tributary
