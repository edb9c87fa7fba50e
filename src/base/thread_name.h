// Thread names, as tools show them (top -H, ps -L, perf, gdb, /proc/<pid>/task/*/comm):
// each long-lived thread of the server names itself after its job, e.g. "io-0" or
// "wal:telemetry", so a busy or blocked thread can be told apart from the others.
//
//   std::thread([this] { SetThreadName("deliver:" + name_); Loop(); });
//
// Linux keeps 15 bytes of a name: longer names are cut there (never mid-way through a
// UTF-8 character).
#pragma once

#include <string>
#include <string_view>

namespace tributary {

inline constexpr size_t kMaxThreadNameBytes = 15;

// Names the calling thread. A failure is ignored: a name is for people, not for logic.
void SetThreadName(std::string_view name);

// The calling thread's name.
std::string ThreadName();

}  // namespace tributary
