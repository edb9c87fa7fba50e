#include "streams/wal_checkpoint.h"

#include <fmt/format.h>

#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>

#include "base/files.h"

namespace tributary::streams {

Result<WalCheckpoint> WalCheckpoint::Load(const std::string& path) {
  WalCheckpoint c;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return c;
  TRY_ASSIGN(std::string text, ReadFile(path));
  try {
    auto j = nlohmann::json::parse(text);
    c.through_ = j.at("delivered_through").get<uint64_t>();
    for (const auto& r : j.value("delivered_ranges", nlohmann::json::array())) {
      uint64_t first = r.at(0).get<uint64_t>(), last = r.at(1).get<uint64_t>();
      if (first > last || first <= c.through_ + 1) {
        return DataLoss(fmt::format("WAL checkpoint {} is corrupt: range [{}, {}] after {}",
                                    path, first, last, c.through_));
      }
      c.ranges_[first] = last;
    }
  } catch (const std::exception& e) {
    return DataLoss(fmt::format("WAL checkpoint {} is corrupt: {}", path, e.what()));
  }
  return c;
}

std::string WalCheckpoint::Serialize() const {
  fmt::memory_buffer out;
  out.reserve(64 + ranges_.size() * 24);
  fmt::format_to(std::back_inserter(out), "{{\"delivered_through\": {}, \"delivered_ranges\": [",
                 through_);
  bool first_range = true;
  for (const auto& [first, last] : ranges_) {
    fmt::format_to(std::back_inserter(out), "{}[{}, {}]", first_range ? "" : ", ", first, last);
    first_range = false;
  }
  fmt::format_to(std::back_inserter(out), "]}}\n");
  return fmt::to_string(out);
}

Status WalCheckpoint::Save(const std::string& path) const {
  return WriteFileAtomic(path, Serialize());
}

bool WalCheckpoint::IsDelivered(uint64_t seq) const {
  if (seq <= through_) return true;
  auto it = ranges_.upper_bound(seq);
  if (it == ranges_.begin()) return false;
  --it;
  return seq <= it->second;
}

void WalCheckpoint::MarkDeliveredRange(uint64_t first, uint64_t last) {
  if (first > last || last <= through_) return;
  first = std::max(first, through_ + 1);
  // Absorb the ranges that overlap [first, last] or touch it.
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second + 1 >= first) {
      first = prev->first;
      last = std::max(last, prev->second);
      it = ranges_.erase(prev);
    }
  }
  while (it != ranges_.end() && it->first <= last + 1) {
    last = std::max(last, it->second);
    it = ranges_.erase(it);
  }
  if (first == through_ + 1) {
    through_ = last;
  } else {
    ranges_[first] = last;
  }
}

}  // namespace tributary::streams
