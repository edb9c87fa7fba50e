#include "lake/dedupe_keys.h"

#include <algorithm>
#include <cstring>

namespace tributary::lake {
namespace {

// The splitmix64 finalizer: a bijection of 64-bit words with full avalanche.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t LoadLittleEndian(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

// Eight bytes at a time through Mix (each step a bijection of the state for a given
// word, so keys of one length that differ in a single word never collide); the length
// seeds the state and the tail is zero-padded.
uint64_t DedupeKeyHash(std::string_view key) {
  uint64_t h = Mix(0x9e3779b97f4a7c15ULL ^ key.size());
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) h = Mix(h ^ LoadLittleEndian(key.data() + i, 8));
  if (i < key.size()) h = Mix(h ^ LoadLittleEndian(key.data() + i, key.size() - i));
  return Mix(h);
}

std::string EncodeDedupeKeys(const std::vector<uint64_t>& keys) {
  std::string out(keys.size() * 8, '\0');
  for (size_t k = 0; k < keys.size(); ++k) {
    for (size_t b = 0; b < 8; ++b) out[k * 8 + b] = static_cast<char>((keys[k] >> (8 * b)) & 0xff);
  }
  return out;
}

bool DecodeDedupeKeys(std::string_view bytes, std::vector<uint64_t>* out) {
  if (bytes.size() % 8 != 0) return false;
  out->reserve(out->size() + bytes.size() / 8);
  for (size_t i = 0; i < bytes.size(); i += 8) out->push_back(LoadLittleEndian(bytes.data() + i, 8));
  return true;
}

void DedupeSet::SetHistory(std::vector<uint64_t> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  keys.shrink_to_fit();
  history_ = std::move(keys);
}

bool DedupeSet::InsertHash(uint64_t hash) {
  if (std::binary_search(history_.begin(), history_.end(), hash)) return false;
  Shard& s = shards_[hash % kShards];
  std::lock_guard<std::mutex> lock(s.mu);
  return s.keys.insert(hash).second;
}

std::vector<uint64_t> DedupeSet::TakeNewKeys() {
  std::vector<uint64_t> out;
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    out.insert(out.end(), s.keys.begin(), s.keys.end());
    s.keys.clear();
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tributary::lake
