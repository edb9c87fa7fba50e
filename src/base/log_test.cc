#include "base/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace tributary {
namespace {

TEST(LogCaptureTest, CollectsItsComponentsLinesAtItsLevelWhileItLives) {
  auto log = Logger("log-test");
  log->set_level(spdlog::level::info);
  log->warn("before the capture");
  std::string text;
  {
    LogCapture warnings("log-test", spdlog::level::warn);
    LogCapture everything("log-test");
    log->info("an info line");
    log->warn("a warning n={}", 7);
    Logger("other-component")->error("not ours");
    text = warnings.text();
    EXPECT_NE(everything.text().find("an info line"), std::string::npos) << everything.text();
  }
  log->warn("after the capture");
  EXPECT_NE(text.find("a warning n=7"), std::string::npos) << text;
  EXPECT_EQ(text.find("an info line"), std::string::npos) << text;
  EXPECT_EQ(text.find("before the capture"), std::string::npos) << text;
  EXPECT_EQ(text.find("not ours"), std::string::npos) << text;
  LogCapture later("log-test");
  EXPECT_EQ(later.text(), "");
}

// Text from outside (a client id) cannot end a line and forge the next one: control
// characters are escaped, in the format the server sets up.
TEST(LogFormatTest, ControlCharactersInAMessageAreEscaped) {
  InitLogging("info");
  auto log = Logger("log-test-escapes");
  LogCapture capture("log-test-escapes");
  log->info("client connected client_id={}",
            std::string("x\nts=2026-01-01T00:00:00.000Z level=info client_id=forged\r\t\x01\x7f\0"
                        "caf\xc3\xa9",
                        67));
  const std::string text = capture.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("component=log-test-escapes client connected client_id=x\\nts=2026-01-01"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("forged\\r\\t\\x01\\x7f\\x00caf\xc3\xa9\n"), std::string::npos) << text;
}

// Captures come and go while another thread logs (run under -fsanitize=thread to see
// that nothing races).
TEST(LogCaptureTest, CapturesComeAndGoWhileAnotherThreadLogs) {
  auto log = Logger("log-test-busy");
  log->set_level(spdlog::level::info);
  for (auto& sink : log->sinks()) {  // keep the terminal quiet
    if (std::dynamic_pointer_cast<spdlog::sinks::stderr_color_sink_mt>(sink)) {
      sink->set_level(spdlog::level::off);
    }
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      log->warn("line {}", i);
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  int saw = 0;
  for (int i = 0; i < 200; ++i) {
    LogCapture capture("log-test-busy", spdlog::level::warn);
    // Bounded in time, not in spins: on a loaded machine the writer may wait long for a core.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (capture.text().empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    saw += capture.text().find("line ") != std::string::npos;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(saw, 200);
}

}  // namespace
}  // namespace tributary
