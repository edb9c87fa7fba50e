#include "net/listen_address.h"

#include <boost/asio/ip/address.hpp>

namespace tributary::net {

namespace ip = boost::asio::ip;

bool IsIpAddress(std::string_view text) {
  boost::system::error_code ec;
  ip::make_address(std::string(text), ec);
  return !ec;
}

bool IsLoopbackAddress(std::string_view address) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, a.to_v6()).is_loopback();
  return a.is_loopback();
}

std::string LocalUrlHost(std::string_view address) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(address), ec);
  if (ec) return std::string(address);
  if (a.is_unspecified()) return a.is_v6() ? "[::1]" : "127.0.0.1";
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

}  // namespace tributary::net
