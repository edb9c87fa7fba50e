// The number of descriptors this process may hold: each device connection, HTTP client,
// WAL segment and lake file takes one, and a distribution's default soft limit (1,024)
// is reached by a fleet of a thousand devices, after which accept() fails for devices
// and the API alike. The server raises its soft limit to the hard one at start, as
// nginx and other servers do; past the hard limit only the administrator can go
// (`ulimit -Hn`, systemd's LimitNOFILE=).
#pragma once

#include <cstdint>

#include "base/status.h"

namespace tributary {

struct FileLimit {
  uint64_t before = 0;  // the soft limit found
  uint64_t now = 0;     // the soft limit after raising it (the hard limit, or a cap)
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at `cap`, since some systems
// report an unlimited hard limit that the kernel's nr_open refuses).
Result<FileLimit> RaiseOpenFileLimit(uint64_t cap = 1u << 20);

// The soft limit now (1,024 if it cannot be read; a cap of 1 << 20 for "unlimited").
uint64_t OpenFileLimit();

}  // namespace tributary
