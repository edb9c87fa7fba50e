// The client ids of the sessions that changed since persistence last took them, so that
// a flush writes those and looks at no other session: a broker holding a hundred thousand
// idle sessions does no work for them.
//
// A Session adds its id at its first change after its mark was cleared
// (Session::ClearChangedMark), not at every change. A removed session's id is added
// too, so that its saved row is deleted.
//
// Thread-safe; the lock is a leaf (taken under a session's lock, never the other way).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tributary::broker {

class ChangedSessions {
 public:
  void Add(std::string_view client_id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.emplace(client_id);
  }
  // The ids added since the last Take, each once, in no particular order; at most `max`
  // of them, the others left for the next call.
  std::vector<std::string> Take(size_t max = SIZE_MAX) {
    std::unordered_set<std::string> taken;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (max >= ids_.size()) {
        taken.swap(ids_);
      } else {
        std::vector<std::string> out;
        out.reserve(max);
        while (out.size() < max) out.push_back(std::move(ids_.extract(ids_.begin()).value()));
        return out;
      }
    }
    std::vector<std::string> out;
    out.reserve(taken.size());
    for (auto it = taken.begin(); it != taken.end();) {
      auto node = taken.extract(it++);
      out.push_back(std::move(node.value()));
    }
    return out;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.size();
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> ids_;
};

}  // namespace tributary::broker
