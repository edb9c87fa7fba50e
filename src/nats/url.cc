#include "nats/url.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "base/ascii.h"

namespace tributary::nats {
namespace {

constexpr std::string_view kSchemeSep = "://";

// The URL as it may be shown: the secret part of the user info (the password, or the
// whole of a token) replaced by ***.
std::string Redact(std::string_view url) {
  size_t start = url.find(kSchemeSep);
  start = start == std::string_view::npos ? 0 : start + kSchemeSep.size();
  size_t at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  std::string_view info = url.substr(start, at - start);
  size_t colon = info.find(':');
  std::string shown(url.substr(0, start));
  if (colon != std::string_view::npos) shown.append(info.substr(0, colon + 1));
  shown.append("***");
  shown.append(url.substr(at));
  return shown;
}

Status Bad(std::string_view url, std::string_view what) {
  return InvalidArgument("NATS URL '" + Redact(url) + "': " + std::string(what) +
                         " (expected nats:// or tls://[user:password@|token@]host[:port])");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "p%40ss" -> "p@ss"; false on a broken escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// "host[:port]" or "[v6][:port]": the address, or nullopt with *why.
std::optional<ServerAddress> SplitHostPort(std::string_view rest, std::string* why) {
  std::string_view host, port;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      *why = "'[' without ']' around an IPv6 address";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *why = "unexpected text after ']'";
        return std::nullopt;
      }
      port = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos) {
      *why = "an IPv6 address must be in brackets";
      return std::nullopt;
    }
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) {
    *why = "empty host";
    return std::nullopt;
  }
  ServerAddress address{std::string(host), 4222};
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      *why = "bad port '" + std::string(port) + "' (1..65535)";
      return std::nullopt;
    }
    address.port = static_cast<uint16_t>(value);
  }
  return address;
}

Result<ConnectOptions> ParseOneUrl(std::string_view url) {
  size_t sep = url.find(kSchemeSep);
  if (sep == std::string_view::npos) return Bad(url, "no scheme");
  std::string_view scheme = url.substr(0, sep);
  bool tls = EqualsIgnoreCase(scheme, "tls");
  if (!tls && !EqualsIgnoreCase(scheme, "nats")) {
    return Bad(url, "scheme '" + std::string(scheme) +
                        "' is not nats or tls (WebSocket is not supported)");
  }
  std::string_view rest = url.substr(sep + kSchemeSep.size());

  ConnectOptions options;
  options.tls = tls;
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = info.find(':');
    if (colon != std::string_view::npos) {
      if (!PercentDecode(info.substr(0, colon), &options.user) ||
          !PercentDecode(info.substr(colon + 1), &options.password)) {
        return Bad(url, "bad percent-escape in the user info");
      }
      if (options.user.empty()) return Bad(url, "empty user name before ':'");
    } else {
      if (!PercentDecode(info, &options.token)) return Bad(url, "bad percent-escape in the token");
      if (options.token.empty()) return Bad(url, "empty token before '@'");
    }
  }

  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) return Bad(url, "a path is not allowed");
    rest = rest.substr(0, slash);
  }

  std::string why;
  std::optional<ServerAddress> address = SplitHostPort(rest, &why);
  if (!address) return Bad(url, why);
  options.host = std::move(address->host);
  options.port = address->port;
  return options;
}

}  // namespace

std::string HostPort(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string HostPort(const ConnectOptions& options) { return HostPort(options.host, options.port); }

std::optional<ServerAddress> ParseHostPort(std::string_view text) {
  std::string why;
  return SplitHostPort(text, &why);
}

Result<ConnectOptions> ParseNatsUrl(std::string_view url) {
  size_t comma = url.find(',');
  TRY_ASSIGN(ConnectOptions options, ParseOneUrl(url.substr(0, comma)));
  size_t n = 1;
  while (comma != std::string_view::npos) {
    size_t start = comma + 1;
    comma = url.find(',', start);
    std::string_view entry =
        url.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    ++n;
    std::string which = "server " + std::to_string(n) + " of the list";
    if (entry.empty()) return Bad(url, which + " is empty");
    // "host:port" alone takes the first URL's scheme and credentials.
    std::string full = entry.find(kSchemeSep) == std::string_view::npos
                           ? std::string(options.tls ? "tls://" : "nats://") + std::string(entry)
                           : std::string(entry);
    Result<ConnectOptions> more = ParseOneUrl(full);
    if (!more.ok()) return Status(more.status().code(), which + ": " + more.status().message());
    if (more->tls != options.tls) return Bad(url, which + " has another scheme than the first");
    bool has_credentials = !more->user.empty() || !more->token.empty();
    if (has_credentials && (more->user != options.user || more->password != options.password ||
                            more->token != options.token)) {
      return Bad(url, which + " has other credentials than the first");
    }
    options.servers.push_back({more->host, more->port});
  }
  return options;
}

std::string RedactedUrl(const ConnectOptions& options) {
  std::string url = options.tls ? "tls://" : "nats://";
  if (!options.user.empty()) {
    url += options.user + (options.password.empty() ? "@" : ":***@");
  } else if (!options.token.empty()) {
    url += "***@";
  }
  url += HostPort(options);
  for (const ServerAddress& more : options.servers) {
    url += std::string(options.tls ? ",tls://" : ",nats://") + HostPort(more.host, more.port);
  }
  return url;
}

Result<ConnectOptions> ParseNatsUrlWithParameters(std::string_view url, const UrlParameterFn& other,
                                                  std::string_view other_names) {
  size_t q = url.find('?');
  TRY_ASSIGN(ConnectOptions options, ParseNatsUrl(url.substr(0, q)));
  std::string_view query = q == std::string_view::npos ? std::string_view() : url.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == "tls_ca" || key == "tls_cert" || key == "tls_key" || key == "creds" ||
        key == "nkey_seed") {
      if (value.empty()) {
        return InvalidArgument("NATS URL parameter " + std::string(key) + " needs a file's path");
      }
      std::string& field = key == "tls_ca"     ? options.tls_ca_file
                           : key == "tls_cert" ? options.tls_cert_file
                           : key == "tls_key"  ? options.tls_key_file
                           : key == "creds"    ? options.creds_file
                                               : options.nkey_seed_file;
      field = std::string(value);
      continue;
    }
    TRY_ASSIGN(bool taken, other(key, value));
    if (!taken) {
      std::string known(other_names);
      if (!known.empty()) known += ", ";
      return InvalidArgument("NATS URL parameter '" + std::string(key) + "' is unknown (known: " +
                             known + "tls_ca, tls_cert, tls_key, creds, nkey_seed)");
    }
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return InvalidArgument("NATS URL parameters tls_cert and tls_key go together");
  }
  return options;
}

}  // namespace tributary::nats
