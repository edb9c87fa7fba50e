#include "base/start_thread.h"

#include <fmt/format.h>

#include "base/fault_points.h"

namespace tributary::start_thread_internal {

int InjectedRefusal(const std::string& name) { return InjectedFault("thread.start:" + name); }

Status Refused(const std::string& name, const std::string& why) {
  return ResourceExhausted(fmt::format(
      "cannot start thread '{}': {} (the server is at the number of threads the system lets "
      "it run: see `ulimit -u`, systemd's TasksMax= or a container's pids limit)",
      name, why));
}

}  // namespace tributary::start_thread_internal
