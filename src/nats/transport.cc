#include "nats/transport.h"

#include <sys/socket.h>

#include <cerrno>

namespace tributary::nats {

Result<IoProgress> PlainTransport::Read(char* buf, size_t len) {
  while (true) {
    ssize_t n = ::recv(fd_.get(), buf, len, 0);
    if (n > 0) return IoProgress{.bytes = static_cast<size_t>(n)};
    if (n == 0) return IoProgress{.closed = true};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoProgress{.want = Want::kRead};
    return Unavailable("read: " + ErrnoText(errno));
  }
}

Result<IoProgress> PlainTransport::Write(const char* data, size_t len) {
  while (true) {
    // MSG_NOSIGNAL: a server that has gone fails the write instead of raising SIGPIPE.
    ssize_t n = ::send(fd_.get(), data, len, MSG_NOSIGNAL);
    if (n >= 0) return IoProgress{.bytes = static_cast<size_t>(n), .want = Want::kWrite};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoProgress{.want = Want::kWrite};
    return Unavailable("write: " + ErrnoText(errno));
  }
}

}  // namespace tributary::nats
