// nats:// and tls:// URLs, as users write them in configuration and on the command line:
//
//   nats://127.0.0.1                       host 127.0.0.1, port 4222
//   tls://127.0.0.1                        the same, TLS required (ConnectOptions::tls)
//   nats://nats.internal:4333              host nats.internal, port 4333
//   nats://[::1]:4222                      IPv6 address in brackets
//   nats://alice:s3cret@127.0.0.1:4222     CONNECT user "alice", pass "s3cret"
//   nats://T0KEN@127.0.0.1                 CONNECT auth_token "T0KEN"
//
//   nats://10.0.0.1:4222,nats://10.0.0.2:4222   a cluster: more servers to try in turn
//                                              (ConnectOptions::servers); the scheme and
//                                              credentials are the first URL's, and a later
//                                              one may repeat them or leave them out
//
// User, password and token may be percent-encoded ("p%40ss" is "p@ss"; "%2C" for a comma). Nothing may
// follow the port but an optional "/" (a query string is the caller's to strip). A
// password or token never appears in an error message or in RedactedUrl's output: "***"
// stands in for it. A nats:// URL still speaks TLS to a server that requires it; the CA
// file, client certificate and server name are not in the URL: set them on the
// ConnectOptions. Pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "nats/connect_options.h"

namespace tributary::nats {

// The address and credentials of `url` (a comma-separated list: the others in
// `servers`), other fields at their defaults. InvalidArgument naming the (redacted) URL
// and what is wrong: a scheme other than nats or tls, an empty host, a port that is not
// 1..65535, a path; in a list, an empty entry, or one whose scheme or credentials differ
// from the first's.
Result<ConnectOptions> ParseNatsUrl(std::string_view url);

// A URL as above followed by "?key=value&...". The connection's own parameters, files'
// paths, go into the options: tls_ca, tls_cert and tls_key (together), creds, nkey_seed.
// Every other one is handed to `other`, which returns true if it took it (or an error
// naming it); one nobody takes is InvalidArgument listing `other_names` and the
// connection's.
using UrlParameterFn = std::function<Result<bool>(std::string_view key, std::string_view value)>;
Result<ConnectOptions> ParseNatsUrlWithParameters(std::string_view url, const UrlParameterFn& other,
                                                  std::string_view other_names);

// "host:port" or "[v6]:port" (INFO's connect_urls), port 4222 if left out; nullopt if
// malformed.
std::optional<ServerAddress> ParseHostPort(std::string_view text);

// "nats://alice:***@127.0.0.1:4222", "nats://***@[::1]:4222", "tls://host:4222" (when
// options.tls), "nats://a:4222,nats://b:4222" (with `servers`): for logs.
std::string RedactedUrl(const ConnectOptions& options);

}  // namespace tributary::nats
