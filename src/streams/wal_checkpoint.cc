#include "streams/wal_checkpoint.h"

#include <fmt/format.h>

#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "base/deflate.h"
#include "base/files.h"

namespace tributary::streams {
namespace {

// `v` as a whole number (what the file holds are sequence numbers and a CRC); throws
// saying what is wrong otherwise, a number of another kind (-1, 1e30) too.
uint64_t Whole(const nlohmann::json& v, std::string_view what) {
  if (!v.is_number_unsigned()) {
    throw std::invalid_argument(fmt::format("{} is {}, not a whole number", what, v.dump()));
  }
  return v.get<uint64_t>();
}

}  // namespace

Result<WalCheckpoint> WalCheckpoint::Load(const std::string& path) {
  WalCheckpoint c;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return c;
  TRY_ASSIGN(std::string text, ReadFile(path));
  try {
    auto j = nlohmann::json::parse(text);
    // Only the members it writes: a damaged name must not pass for an older build's file.
    for (const auto& [key, value] : j.items()) {
      if (key != "delivered_through" && key != "delivered_ranges" && key != "crc32") {
        return DataLoss(
            fmt::format("WAL checkpoint {} is corrupt: unknown member \"{}\"", path, key));
      }
    }
    c.through_ = Whole(j.at("delivered_through"), "delivered_through");
    for (const auto& r : j.value("delivered_ranges", nlohmann::json::array())) {
      if (!r.is_array() || r.size() != 2) {
        return DataLoss(fmt::format("WAL checkpoint {} is corrupt: a range is {}", path, r.dump()));
      }
      uint64_t first = Whole(r[0], "a range's first"), last = Whole(r[1], "a range's last");
      if (first > last || first <= c.through_ + 1) {
        return DataLoss(fmt::format("WAL checkpoint {} is corrupt: range [{}, {}] after {}",
                                    path, first, last, c.through_));
      }
      c.ranges_[first] = last;
    }
    // A checkpoint an older build saved has no CRC; one that has must match what it says.
    if (j.contains("crc32")) {
      const uint64_t crc = Whole(j.at("crc32"), "crc32");
      if (const uint32_t held = Crc32(c.Body()); crc != held) {
        return DataLoss(fmt::format(
            "WAL checkpoint {} is corrupt: its crc32 {} does not match what it holds ({})", path,
            crc, held));
      }
    }
  } catch (const std::exception& e) {
    return DataLoss(fmt::format("WAL checkpoint {} is corrupt: {}", path, e.what()));
  }
  return c;
}

std::string WalCheckpoint::Body() const {
  fmt::memory_buffer out;
  out.reserve(64 + ranges_.size() * 24);
  fmt::format_to(std::back_inserter(out), "{{\"delivered_through\": {}, \"delivered_ranges\": [",
                 through_);
  bool first_range = true;
  for (const auto& [first, last] : ranges_) {
    fmt::format_to(std::back_inserter(out), "{}[{}, {}]", first_range ? "" : ", ", first, last);
    first_range = false;
  }
  out.push_back(']');
  return fmt::to_string(out);
}

std::string WalCheckpoint::Serialize() const {
  std::string body = Body();
  const uint32_t crc = Crc32(body);
  return fmt::format("{}, \"crc32\": {}}}\n", body, crc);
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
