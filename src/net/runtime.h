// The Asio runtime: one io_context per worker thread ("one loop per core"). Objects
// that belong to a connection live on one io_context for their whole life, so their
// handlers never run concurrently and need no locks; work for another connection is
// posted to that connection's io_context.
//
// Thread-safety: Next() and At() may be called from any thread; Start/Stop/Join from
// the owning thread only.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "base/status.h"

namespace tributary::net {

class Runtime {
 public:
  // threads <= 0 means one per core.
  explicit Runtime(int threads);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& At(size_t i) { return *contexts_[i]; }
  // Round-robin choice for a new connection.
  boost::asio::io_context& Next();

  // Starts one thread per io_context ("io-<n>"). kResourceExhausted, naming the thread,
  // when the system refuses one (base/start_thread.h); those started are stopped again.
  Status Start();
  void Stop();   // stops every io_context; pending handlers are dropped
  void Join();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace tributary::net
