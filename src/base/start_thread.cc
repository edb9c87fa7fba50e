#include "base/start_thread.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "base/fault_points.h"
#include "base/thread_name.h"

namespace tributary {

Result<std::thread> StartThread(std::string name, std::function<void()> body) {
  std::string why;
  if (int err = InjectedFault("thread.start:" + name)) {
    why = std::strerror(err);
  } else {
    try {
      return std::thread([name, body = std::move(body)] {
        SetThreadName(name);
        body();
      });
    } catch (const std::system_error& e) {
      why = e.code().message();
    }
  }
  return ResourceExhausted(fmt::format(
      "cannot start thread '{}': {} (the server is at the number of threads the system lets "
      "it run: see `ulimit -u`, systemd's TasksMax= or a container's pids limit)",
      name, why));
}

}  // namespace tributary
