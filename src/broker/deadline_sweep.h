// The connections' deadlines (no CONNECT yet, keep alive, the last write before
// closing), checked by one timer per I/O thread instead of one per connection: a
// connection's own Asio timer and its pending wait took about 340 bytes of heap, a
// connection watched here takes 16. Every kPeriod the sweep asks each connection it
// watches whether a deadline has passed (Connection::OnSweep), and forgets those that
// are closed or gone; a deadline is acted on up to kPeriod late.
//
// One sweep per io_context, made on first use (boost::asio::use_service). Thread-safety:
// Watch() only on the io_context's own thread (the Runtime runs each on one thread).
#pragma once

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace tributary::broker {

class Connection;

class DeadlineSweep : public boost::asio::execution_context::service {
 public:
  using key_type = DeadlineSweep;
  static inline boost::asio::execution_context::id id;
  static constexpr std::chrono::milliseconds kPeriod{250};

  explicit DeadlineSweep(boost::asio::execution_context& context);

  // The sweep of `context`, made if there is none yet.
  static DeadlineSweep& Of(boost::asio::io_context& context);

  // Checks `c` every kPeriod until OnSweep returns false or `c` is gone.
  void Watch(std::weak_ptr<Connection> c);

  size_t watched() const { return watched_.size(); }

 private:
  void shutdown() override;
  void Arm();
  void Sweep();

  boost::asio::steady_timer timer_;
  std::vector<std::weak_ptr<Connection>> watched_;
  bool armed_ = false;
};

}  // namespace tributary::broker
