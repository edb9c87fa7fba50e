// An OpenSSL BIO on a non-blocking socket, for running TLS directly on the socket (the
// MQTT listener's TLS transport, the NATS client's). It writes with send(MSG_NOSIGNAL), so
// that a peer that has gone fails the write instead of raising SIGPIPE, and reports
// EAGAIN as a retry, so that SSL_get_error says WANT_READ or WANT_WRITE.
#pragma once

#include <openssl/bio.h>

namespace tributary {

// A new BIO reading and writing `fd` (which it does not own or close), ready for
// SSL_set_bio; null if OpenSSL is out of memory.
BIO* NewSocketBio(int fd);

}  // namespace tributary
