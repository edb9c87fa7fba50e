// Starting a long-lived thread of the server, named (base/thread_name.h) and with a failure
// that is an answer, not an exception. std::thread throws std::system_error when the process
// may not start one more thread: the limits are the kernel's threads-max, the user's
// `ulimit -u`, and a pids cgroup (systemd's TasksMax=, a container's --pids-limit). Each
// delivery stream takes four threads, so a server with hundreds of streams under a tight
// limit meets it at a stream's create or start. There the stream gets the error (and
// starts no thread at all); the server goes on.
//
//   TRY_ASSIGN(writer_, StartThread("wal:" + stream, [this] { WriterLoop(); }));
//
// Tests arm the fault point "thread.start:<name>" (base/fault_points.h) with EAGAIN to
// make a given thread's start fail.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "base/status.h"

namespace tributary {

// Starts `body` on a new thread named `name`. kResourceExhausted, naming the thread and the
// limits to look at, when the system refuses the thread.
Result<std::thread> StartThread(std::string name, std::function<void()> body);

}  // namespace tributary
