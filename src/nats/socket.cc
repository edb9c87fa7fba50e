#include "nats/socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace tributary::nats {

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message (maybe not in buf).
  return ::strerror_r(err, buf, sizeof(buf));
}

SteadyTime DeadlineAfterMs(int64_t ms) {
  // Capped at ~34 years, so that "forever" does not overflow the clock.
  constexpr int64_t kMaxMs = int64_t{1} << 40;
  return std::chrono::steady_clock::now() +
         std::chrono::milliseconds(std::clamp<int64_t>(ms, 0, kMaxMs));
}

int PollTimeoutMs(SteadyTime deadline, int cap) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  // Round up, so that a wait never ends just before its deadline and spins.
  int64_t ms = left.count() + 1;
  if (ms < 0) return 0;
  return ms > cap ? cap : static_cast<int>(ms);
}

Status WaitReady(int fd, short events, SteadyTime deadline, Canceller cancel,
                 const std::string& what) {
  int wake_fd = cancel.wake ? cancel.wake->get() : -1;
  while (true) {
    if (cancel.stop && cancel.stop->load())
      return Status(ErrorCode::kCancelled, what + ": cancelled");
    if (std::chrono::steady_clock::now() >= deadline) return Unavailable(what + ": timed out");
    pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, PollTimeoutMs(deadline, 1000));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(what + ": poll: " + ErrnoText(errno));
    }
    if (wake_fd >= 0 && (fds[1].revents & POLLIN)) {
      cancel.wake->Drain();
      continue;  // stop is checked at the top
    }
    if (fds[0].revents != 0) return Status::Ok();
  }
}

Result<Fd> DialTcp(const std::string& host, uint16_t port, SteadyTime deadline, Canceller cancel) {
  bool v6 = host.find(':') != std::string::npos;
  std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) return Unavailable("cannot reach NATS at " + where + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);

  std::string why = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      why = "socket: " + ErrnoText(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = ErrnoText(errno);
      continue;
    }
    Status ready = WaitReady(fd.get(), POLLOUT, deadline, cancel, "connect");
    if (ready.code() == ErrorCode::kCancelled) return ready;
    if (!ready.ok()) {
      why = "timed out";
      continue;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      why = ErrnoText(err);
      continue;
    }
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
  }
  return Unavailable("cannot reach NATS at " + where + ": " + why);
}

Result<WakeFd> WakeFd::Open() {
  Fd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!fd.valid()) return IoError("eventfd: " + ErrnoText(errno));
  return WakeFd(std::move(fd));
}

void WakeFd::Signal() const {
  uint64_t one = 1;
  // EAGAIN means the counter is full, i.e. a wake-up is pending anyway.
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof(one));
}

void WakeFd::Drain() const {
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(fd_.get(), &count, sizeof(count));
}

}  // namespace tributary::nats
