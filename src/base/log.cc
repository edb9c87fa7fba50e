#include "base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace tributary {

// A logger's second sink: off (the logger skips it) until a LogCapture attaches.
class LogTap : public spdlog::sinks::base_sink<std::mutex> {
 public:
  LogTap() { set_level(spdlog::level::off); }

  void Attach(LogCapture* c) {
    std::lock_guard<std::mutex> lock(mutex_);
    captures_.push_back(c);
    UpdateLevelLocked();
  }
  void Detach(LogCapture* c) {
    std::lock_guard<std::mutex> lock(mutex_);
    captures_.erase(std::find(captures_.begin(), captures_.end(), c));
    UpdateLevelLocked();
  }
  std::string Text(const LogCapture* c) {
    std::lock_guard<std::mutex> lock(mutex_);
    return c->text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {  // mutex_ held
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    for (LogCapture* c : captures_) {
      if (msg.level >= c->level_) c->text_.append(line.data(), line.size());
    }
  }
  void flush_() override {}

 private:
  void UpdateLevelLocked() {
    auto lowest = spdlog::level::off;
    for (const LogCapture* c : captures_) lowest = std::min(lowest, c->level_);
    set_level(lowest);
  }

  std::vector<LogCapture*> captures_;  // mutex_
};

namespace {
std::mutex g_mu;

// The message with its control characters escaped (a newline as \n, others as \xHH), so
// that text from outside (a client id, a topic, a key) cannot end a line and forge the
// next one. The pattern's %* flag.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : msg.payload) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u != 0x7f) {
        dest.push_back(c);
      } else if (c == '\n' || c == '\r' || c == '\t') {
        dest.push_back('\\');
        dest.push_back(c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
      } else {
        const char escaped[] = {'\\', 'x', kHex[u >> 4], kHex[u & 15]};
        dest.append(escaped, escaped + sizeof escaped);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

std::shared_ptr<LogTap> TapOf(const std::shared_ptr<spdlog::logger>& logger) {
  for (const auto& sink : logger->sinks()) {
    if (auto tap = std::dynamic_pointer_cast<LogTap>(sink)) return tap;
  }
  return nullptr;
}
}  // namespace

void InitLogging(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<EscapedMessage>('*').set_pattern(
      "ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l component=%n %*");
  spdlog::set_formatter(std::move(formatter));
}

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(
      component, spdlog::sinks_init_list{std::make_shared<spdlog::sinks::stderr_color_sink_mt>(),
                                         std::make_shared<LogTap>()});
  spdlog::initialize_logger(logger);
  logger->set_level(spdlog::get_level());
  return logger;
}

LogCapture::LogCapture(const std::string& component, spdlog::level::level_enum level)
    : level_(level), tap_(TapOf(Logger(component))) {
  if (tap_) tap_->Attach(this);
}

LogCapture::~LogCapture() {
  if (tap_) tap_->Detach(this);
}

std::string LogCapture::text() const { return tap_ ? tap_->Text(this) : std::string(); }

}  // namespace tributary
