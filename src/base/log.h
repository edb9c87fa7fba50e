// Structured logging on spdlog. Lines are logfmt: `ts=... level=info component=broker
// msg="..."`, so they read well in a terminal and parse with any logfmt tool.
// Loggers are thread-safe; get one per component once and keep it.
//
//   auto log = tributary::Logger("broker");
//   log->info("client connected client_id={} addr={}", id, addr);
//
// A LogCapture collects what one component logs while it lives (for tests that check a
// log line): each logger has a tap that captures attach to under its own lock, so a
// capture may come and go while other threads log (a logger's sink list may not change
// then).
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

class LogTap;

// The lines `component` logs at `level` or above from construction to destruction (as
// far as the logger's own level lets them through). Thread-safe.
class LogCapture {
 public:
  explicit LogCapture(const std::string& component,
                      spdlog::level::level_enum level = spdlog::level::trace);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const;

 private:
  friend class LogTap;
  const spdlog::level::level_enum level_;
  std::shared_ptr<LogTap> tap_;
  std::string text_;  // tap_'s lock
};

}  // namespace tributary
