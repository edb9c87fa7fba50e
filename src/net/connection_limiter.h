// ConnectionLimiter: counts the connections a server holds at once, in all and per peer
// address, and refuses a new one past either cap, so that clients holding connections
// open (idle, or stuck in a handshake) cannot take every file descriptor. A server admits
// each socket it accepts, before any handshake, and keeps the Ticket for as long as the
// connection lives; the HTTP server has one, the MQTT listeners of a broker share one.
//
//   caps: 3 in all, 2 per address     held now                 a new connection from
//                                      10.0.0.1: 2, 10.0.0.2: 1  anywhere: refused (3 in all)
//                                      10.0.0.1: 2               10.0.0.1: refused (its 2)
//                                                                10.0.0.2: admitted
//   loopback_unlimited (default)       127.0.0.1 and ::1 count in all, never per address
//   an address not known ("")          counted in all only
//
// Thread-safety: thread-safe (one mutex). A Ticket may be destroyed on any thread; it
// keeps its limiter alive.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tributary::net {

struct ConnectionCaps {
  size_t max_connections = 0;      // held at once, in all; 0: no cap
  size_t max_per_address = 0;      // held at once from one address; 0: no cap
  bool loopback_unlimited = true;  // false: loopback's counted as any address's (tests)
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // One connection counted in; destroying or resetting it counts it out. An empty
  // ticket (default-made, or a refusal) counts nothing.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Reset(); }
    explicit operator bool() const { return limiter_ != nullptr; }
    void Reset();

   private:
    friend class ConnectionLimiter;
    using PeerEntry = std::pair<const std::string, size_t>;
    Ticket(std::shared_ptr<ConnectionLimiter> limiter, PeerEntry* peer)
        : limiter_(std::move(limiter)), peer_(peer) {}
    std::shared_ptr<ConnectionLimiter> limiter_;
    PeerEntry* peer_ = nullptr;  // its address's count, when counted per address
  };

  static std::shared_ptr<ConnectionLimiter> Create(ConnectionCaps caps);

  // Counts a connection from `ip` (the address without its port, "" when not known) in,
  // or returns an empty ticket when a cap says no.
  Ticket Admit(std::string_view ip);

  size_t connections() const;
  const ConnectionCaps& caps() const { return caps_; }

 private:
  explicit ConnectionLimiter(ConnectionCaps caps) : caps_(caps) {}
  void Leave(Ticket::PeerEntry* peer);

  const ConnectionCaps caps_;
  mutable std::mutex mu_;
  size_t connections_ = 0;  // mu_
  // Per address, while it holds connections; only with a per-address cap. Entries are
  // reached through Tickets by address: an unordered_map never moves its elements.
  std::unordered_map<std::string, size_t> peers_;  // mu_
};

}  // namespace tributary::net
