#include "broker/deadline_sweep.h"

#include "base/clock.h"
#include "broker/connection.h"

namespace tributary::broker {

DeadlineSweep::DeadlineSweep(boost::asio::execution_context& context)
    : boost::asio::execution_context::service(context),
      timer_(static_cast<boost::asio::io_context&>(context)) {}

DeadlineSweep& DeadlineSweep::Of(boost::asio::io_context& context) {
  return boost::asio::use_service<DeadlineSweep>(context);
}

void DeadlineSweep::Watch(std::weak_ptr<Connection> c) {
  watched_.push_back(std::move(c));
  Arm();
}

void DeadlineSweep::shutdown() {
  // The io_context is going away: its pending handlers, the timer's wait among them, are
  // destroyed without running.
  watched_.clear();
  armed_ = false;
}

void DeadlineSweep::Arm() {
  if (armed_) return;
  armed_ = true;
  timer_.expires_after(kPeriod);
  // `this` outlives the wait: the timer is a member, and a destroyed timer's wait is
  // cancelled (and a shut-down context's handlers never run).
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    armed_ = false;
    Sweep();
  });
}

void DeadlineSweep::Sweep() {
  const int64_t now = SteadyNanos();
  // The ones to forget are swapped out; indices stay valid if OnSweep watches more.
  size_t i = 0;
  while (i < watched_.size()) {
    std::shared_ptr<Connection> c = watched_[i].lock();
    if (c && c->OnSweep(now)) {
      ++i;
      continue;
    }
    if (i + 1 != watched_.size()) watched_[i] = std::move(watched_.back());
    watched_.pop_back();
  }
  // Give back what a crowd of connections that has gone left behind.
  if (watched_.capacity() > 64 && watched_.size() < watched_.capacity() / 4) {
    watched_.shrink_to_fit();
  }
  if (!watched_.empty()) Arm();
}

}  // namespace tributary::broker
