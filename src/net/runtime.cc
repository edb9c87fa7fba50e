#include "net/runtime.h"

#include <string>

#include "base/start_thread.h"

namespace tributary::net {

Runtime::Runtime(int threads) {
  size_t n = threads > 0 ? static_cast<size_t>(threads) : std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < n; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

Runtime::~Runtime() {
  Stop();
  Join();
}

boost::asio::io_context& Runtime::Next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

Status Runtime::Start() {
  for (auto& ctx : contexts_) {
    auto thread =
        StartThread("io-" + std::to_string(threads_.size()), [c = ctx.get()] { c->run(); });
    if (!thread.ok()) {
      Stop();
      Join();
      return thread.status();
    }
    threads_.push_back(std::move(thread).value());
  }
  return Status::Ok();
}

void Runtime::Stop() {
  guards_.clear();
  for (auto& ctx : contexts_) ctx->stop();
}

void Runtime::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace tributary::net
