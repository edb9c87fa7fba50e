// Test-only: the messages a subscription received and a way to wait for them, a wait for
// a condition and a stopwatch, for tests against a real nats-server.
//
//   testing::Inbox inbox;
//   nc->Subscribe("events.>", inbox.Fn());
//   ASSERT_TRUE(inbox.WaitFor(3));  // up to 5 s
//   std::vector<Message> got = inbox.Take();
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "nats/connection.h"

namespace tributary::nats::testing {

class Inbox {
 public:
  // The subscription callback (it runs on the connection's I/O thread).
  Connection::MessageFn Fn() {
    return [this](Message& m) {
      std::lock_guard lock(mu_);
      messages_.push_back(std::move(m));
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n, int64_t timeout_ms = 5000) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [&] { return messages_.size() >= n; });
  }
  std::vector<Message> Take() {
    std::lock_guard lock(mu_);
    return std::move(messages_);
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return messages_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
};

// Milliseconds from `start` until now.
inline int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Polls `done` every 10 ms until it is true or `timeout_ms` have passed: its last answer.
inline bool WaitUntil(const std::function<bool()>& done, int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace tributary::nats::testing
