// What a listener's bind address means to clients on this machine and past it.
//
//   IsLoopbackAddress("127.0.0.1")  // true: only this machine reaches it
//   IsLoopbackAddress("0.0.0.0")    // false: every interface
//   LocalUrlHost("0.0.0.0")         // "127.0.0.1"
//   LocalUrlHost("::")              // "[::1]"
//   LocalUrlHost("fd00::5")         // "[fd00::5]"
#pragma once

#include <string>
#include <string_view>

namespace tributary::net {

// True for an IPv4 or IPv6 address in text form ("0.0.0.0", "::1"); false for a host name.
bool IsIpAddress(std::string_view text);

// True for an address in 127.0.0.0/8 (also as an IPv4-mapped IPv6 address,
// ::ffff:127.0.0.1, as a dual-stack listener sees an IPv4 peer) or ::1; false for anything
// else, and for text that is not an IP address.
bool IsLoopbackAddress(std::string_view address);

// The host, as written in a URL, by which a client on this machine reaches a listener bound
// to `address`: loopback for a wildcard (0.0.0.0, ::), the address itself (an IPv6 one in
// brackets) otherwise.
std::string LocalUrlHost(std::string_view address);

}  // namespace tributary::net
