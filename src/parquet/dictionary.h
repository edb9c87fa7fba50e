// Dictionaries for the column writer: value -> index, open addressing with
// linear probing, no per-entry allocation. Numbers are keyed by their bits, so
// -0.0 and NaN payloads stay distinct and round-trip exactly; every value is
// also appended PLAIN-encoded to one buffer, which becomes the dictionary page.
// Internal to the writer; thread-compatible.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "parquet/plain.h"

namespace tributary::parquet {

template <typename T>
class Dictionary {
 public:
  // Returns the index of v, adding it if new (*inserted = true).
  uint32_t Insert(T v, bool* inserted) {
    if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    const uint64_t tag = TagOf(v);
    for (size_t i = Mix(tag) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == 0) {
        s = {tag, static_cast<uint32_t>(entries_.size() + 1)};
        Add(v);
        *inserted = true;
        return static_cast<uint32_t>(entries_.size() - 1);
      }
      // Numbers compare by tag alone (their bits); strings also by bytes.
      if (s.tag == tag && Matches(s.index - 1, v)) {
        *inserted = false;
        return s.index - 1;
      }
    }
  }

  size_t size() const { return entries_.size(); }
  // The dictionary page body: every value PLAIN-encoded, in index order.
  const std::string& plain() const { return plain_; }
  void Clear() {
    entries_.clear();
    slots_.clear();
    plain_.clear();
  }

 private:
  static constexpr bool kIsString = std::is_same_v<T, std::string_view>;
  using Bits = std::conditional_t<sizeof(T) == 1, uint8_t,
                                  std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
  // Strings: where the bytes sit in plain_. Numbers need nothing beyond the slot.
  struct StringEntry {
    uint64_t offset;
    uint32_t length;
  };
  using Entry = std::conditional_t<kIsString, StringEntry, char>;
  struct Slot {
    uint64_t tag;    // numbers: the value's bits; strings: the hash
    uint32_t index;  // 0 = empty, else entry index + 1
  };

  // Every input bit reaches the low bits the table is indexed by. A multiply alone
  // does not do that: doubles such as 12.5 or 21.25 have all-zero low mantissa bits,
  // and a product's low bits depend only on its inputs' low bits, so such values all
  // landed in a few slots and probing dominated the writer's time.
  static uint64_t Mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
  }
  static uint64_t TagOf(T v) {
    if constexpr (kIsString) {
      return std::hash<std::string_view>{}(v);
    } else {
      return static_cast<uint64_t>(std::bit_cast<Bits>(v));
    }
  }
  bool Matches(uint32_t index, T v) const {
    if constexpr (kIsString) {
      const Entry& e = entries_[index];
      return e.length == v.size() && std::memcmp(plain_.data() + e.offset, v.data(), v.size()) == 0;
    } else {
      return true;
    }
  }
  void Add(T v) {
    if constexpr (kIsString) {
      PlainAppendString(v, &plain_);
      entries_.push_back({plain_.size() - v.size(), static_cast<uint32_t>(v.size())});
    } else {
      PlainAppendOne(v, &plain_);
      entries_.push_back(0);
    }
  }
  void Grow() {
    std::vector<Slot> old(std::max<size_t>(64, slots_.size() * 2), Slot{0, 0});
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.index == 0) continue;
      size_t i = Mix(s.tag) & mask;
      while (slots_[i].index != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Entry> entries_;
  std::vector<Slot> slots_;
  std::string plain_;
};

}  // namespace tributary::parquet
