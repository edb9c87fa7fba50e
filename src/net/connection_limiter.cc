#include "net/connection_limiter.h"

#include <utility>

#include "net/listen_address.h"

namespace tributary::net {

ConnectionLimiter::Ticket::Ticket(Ticket&& other) noexcept
    : limiter_(std::move(other.limiter_)), peer_(std::exchange(other.peer_, nullptr)) {}

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Reset();
    limiter_ = std::move(other.limiter_);
    peer_ = std::exchange(other.peer_, nullptr);
  }
  return *this;
}

void ConnectionLimiter::Ticket::Reset() {
  if (!limiter_) return;
  limiter_->Leave(std::exchange(peer_, nullptr));
  limiter_.reset();
}

std::shared_ptr<ConnectionLimiter> ConnectionLimiter::Create(ConnectionCaps caps) {
  return std::shared_ptr<ConnectionLimiter>(new ConnectionLimiter(caps));
}

ConnectionLimiter::Ticket ConnectionLimiter::Admit(std::string_view ip) {
  const bool per_address = caps_.max_per_address != 0 && !ip.empty() &&
                           !(caps_.loopback_unlimited && IsLoopbackAddress(ip));
  std::lock_guard<std::mutex> lock(mu_);
  if (caps_.max_connections != 0 && connections_ >= caps_.max_connections) return {};
  Ticket::PeerEntry* peer = nullptr;
  if (per_address) {
    auto [it, inserted] = peers_.try_emplace(std::string(ip), 0);
    if (it->second >= caps_.max_per_address) return {};  // never a new entry: the cap is >= 1
    ++it->second;
    peer = &*it;
  }
  ++connections_;
  return Ticket(shared_from_this(), peer);
}

void ConnectionLimiter::Leave(Ticket::PeerEntry* peer) {
  std::lock_guard<std::mutex> lock(mu_);
  --connections_;
  if (peer != nullptr && --peer->second == 0) peers_.erase(peers_.find(peer->first));
}

size_t ConnectionLimiter::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

}  // namespace tributary::net
