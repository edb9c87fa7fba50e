#include "base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace tributary {
namespace {
std::mutex g_mu;
}  // namespace

void InitLogging(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l component=%n %v", spdlog::pattern_time_type::utc);
}

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = spdlog::stderr_color_mt(component);
  logger->set_level(spdlog::get_level());
  return logger;
}

}  // namespace tributary
