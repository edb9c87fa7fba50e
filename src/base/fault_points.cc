#include "base/fault_points.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace tributary {
namespace {

struct Armed {
  int err = 0;
  int times = 0;
};

std::atomic<int> armed_points{0};  // points with times left: the fast path's only read
std::mutex mu;
std::map<std::string, Armed, std::less<>>& Points() {
  static auto* points = new std::map<std::string, Armed, std::less<>>();
  return *points;
}

}  // namespace

int InjectedFault(std::string_view name) {
  if (armed_points.load(std::memory_order_relaxed) == 0) return 0;
  std::lock_guard<std::mutex> lock(mu);
  auto it = Points().find(name);
  if (it == Points().end()) return 0;
  int err = it->second.err;
  if (--it->second.times == 0) {
    Points().erase(it);
    armed_points.fetch_sub(1, std::memory_order_relaxed);
  }
  return err;
}

namespace testing_support {

void ArmFault(std::string_view name, int err, int times) {
  if (times <= 0 || err == 0) return;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, added] = Points().insert_or_assign(std::string(name), Armed{err, times});
  (void)it;
  if (added) armed_points.fetch_add(1, std::memory_order_relaxed);
}

void DisarmFaults() {
  std::lock_guard<std::mutex> lock(mu);
  armed_points.fetch_sub(static_cast<int>(Points().size()), std::memory_order_relaxed);
  Points().clear();
}

}  // namespace testing_support
}  // namespace tributary
