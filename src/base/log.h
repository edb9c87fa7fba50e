// Structured logging on spdlog. Lines are logfmt: `ts=... level=info component=broker
// msg="..."`, so they read well in a terminal and parse with any logfmt tool.
// Loggers are thread-safe; get one per component once and keep it.
//
//   auto log = tributary::Logger("broker");
//   log->info("client connected client_id={} addr={}", id, addr);
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace tributary {

// Sets the global level ("trace", "debug", "info", "warn", "error") and format.
// Call once at start-up, before other threads log.
void InitLogging(const std::string& level);

// The logger for a component, created on first use.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

}  // namespace tributary
