// The TCP plumbing under Connection: a dial with a deadline that a wake-up descriptor can
// cut short, and the eventfd the I/O thread is woken with, each an owning Fd (base/fd.h).
// Plain POSIX; every descriptor is close-on-exec. Thread-compatible.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "base/fd.h"
#include "base/status.h"

namespace tributary::nats {

using SteadyTime = std::chrono::steady_clock::time_point;

// An eventfd for waking a thread blocked in poll(): Signal from any thread; the woken
// thread Drains it.
class WakeFd {
 public:
  // IoError only when the process is out of descriptors.
  static Result<WakeFd> Open();
  int get() const { return fd_.get(); }
  void Signal() const;
  void Drain() const;

 private:
  explicit WakeFd(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// What may end a wait early: `wake` becoming readable while `*stop` is true (a wake-up
// without stop is drained and the wait goes on). Either may be null.
struct Canceller {
  const WakeFd* wake = nullptr;
  const std::atomic<bool>* stop = nullptr;
};

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT). Unavailable "<what>: timed
// out" at the deadline; Cancelled when the canceller says stop.
Status WaitReady(int fd, short events, SteadyTime deadline, Canceller cancel,
                 const std::string& what);

// A non-blocking TCP socket connected to host:port (each resolved address tried in
// turn) with TCP_NODELAY set. Unavailable naming host:port and the reason (refused,
// timed out, no such host); Cancelled when told to stop first. Name resolution itself
// is not bounded by the deadline (getaddrinfo blocks).
Result<Fd> DialTcp(const std::string& host, uint16_t port, SteadyTime deadline, Canceller cancel);

// Now plus `ms` (a negative `ms` counts as 0, a huge one as some decades).
SteadyTime DeadlineAfterMs(int64_t ms);

// Milliseconds from now to `deadline`, at least 0, at most `cap`: a poll() timeout.
int PollTimeoutMs(SteadyTime deadline, int cap);

// "Connection refused": strerror for messages.
std::string ErrnoText(int err);

}  // namespace tributary::nats
