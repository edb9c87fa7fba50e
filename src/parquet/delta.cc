#include "parquet/delta.h"

#include <algorithm>

namespace tributary::parquet {
namespace {

class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  Status Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= size_) return Error("varint runs past the end");
      uint8_t b = data_[pos_++];
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return Status::Ok();
      }
    }
    return Error("varint longer than 10 bytes");
  }
  Status ZigZag(int64_t* v) {
    uint64_t u;
    TRY(Varint(&u));
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return Status::Ok();
  }
  Status Error(const std::string& what) const {
    return DataLoss("DELTA_BINARY_PACKED at byte " + std::to_string(pos_) + ": " + what);
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Value j (width w <= 64 bits) of a bit-packed run starting at p.
uint64_t Unpack(const uint8_t* p, uint64_t j, int w) {
  if (w == 0) return 0;
  uint64_t bit = j * static_cast<uint64_t>(w);
  const uint8_t* b = p + bit / 8;
  int shift = static_cast<int>(bit % 8);
  unsigned __int128 acc = 0;
  int need = (shift + w + 7) / 8;
  for (int k = 0; k < need; ++k) acc |= static_cast<unsigned __int128>(b[k]) << (8 * k);
  acc >>= shift;
  return w == 64 ? static_cast<uint64_t>(acc)
                 : static_cast<uint64_t>(acc) & ((uint64_t{1} << w) - 1);
}

}  // namespace

Status DeltaBinaryPackedDecode(const uint8_t* data, size_t size, size_t n,
                               std::vector<int64_t>* out, size_t* consumed) {
  Cursor c(data, size);
  uint64_t block_size, miniblocks, total;
  int64_t first;
  TRY(c.Varint(&block_size));
  TRY(c.Varint(&miniblocks));
  TRY(c.Varint(&total));
  TRY(c.ZigZag(&first));
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1 << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    return c.Error("bad header: block size " + std::to_string(block_size) + ", " +
                   std::to_string(miniblocks) + " miniblocks");
  }
  if (total < n)
    return c.Error("holds " + std::to_string(total) + " values, page needs " + std::to_string(n));
  const uint64_t per_mb = block_size / miniblocks;
  out->resize(n);
  if (n == 0) {
    *consumed = c.pos_;
    return Status::Ok();
  }
  uint64_t last = static_cast<uint64_t>(first);
  (*out)[0] = first;
  size_t count = 1;
  std::vector<uint8_t> widths(miniblocks);
  while (count < n) {
    int64_t min_delta;
    TRY(c.ZigZag(&min_delta));
    if (size - c.pos_ < miniblocks) return c.Error("miniblock bit widths run past the end");
    for (uint64_t m = 0; m < miniblocks; ++m) {
      widths[m] = data[c.pos_++];
      if (widths[m] > 64) return c.Error("miniblock bit width " + std::to_string(widths[m]));
    }
    for (uint64_t m = 0; m < miniblocks && count < n; ++m) {
      const int w = widths[m];
      const uint64_t take = std::min<uint64_t>(per_mb, n - count);
      const uint64_t full = per_mb * w / 8;
      const uint64_t need = (take * w + 7) / 8;
      if (size - c.pos_ < need)
        return c.Error("miniblock of " + std::to_string(full) + " bytes runs past the end");
      const uint8_t* p = data + c.pos_;
      for (uint64_t j = 0; j < take; ++j) {
        last += static_cast<uint64_t>(min_delta) + Unpack(p, j, w);
        (*out)[count++] = static_cast<int64_t>(last);
      }
      c.pos_ += std::min<uint64_t>(full, size - c.pos_);
    }
  }
  *consumed = c.pos_;
  return Status::Ok();
}

Status DeltaLengthByteArrayDecode(const uint8_t* data, size_t size, size_t n,
                                  std::vector<std::string_view>* out, size_t* consumed) {
  std::vector<int64_t> lengths;
  size_t pos = 0;
  TRY(DeltaBinaryPackedDecode(data, size, n, &lengths, &pos));
  out->clear();
  out->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t len = static_cast<int32_t>(lengths[i]);
    if (len < 0 || static_cast<uint64_t>(len) > size - pos) {
      return DataLoss("DELTA_LENGTH_BYTE_ARRAY value " + std::to_string(i) + " of length " +
                      std::to_string(len) + " runs past the end (" + std::to_string(size - pos) +
                      " bytes left)");
    }
    out->emplace_back(reinterpret_cast<const char*>(data + pos), static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
  *consumed = pos;
  return Status::Ok();
}

Status DeltaByteArrayDecode(const uint8_t* data, size_t size, size_t n, uint64_t max_bytes,
                            std::string* arena, std::vector<std::string_view>* out) {
  std::vector<int64_t> prefixes;
  size_t pos = 0;
  TRY(DeltaBinaryPackedDecode(data, size, n, &prefixes, &pos));
  std::vector<std::string_view> suffixes;
  size_t used = 0;
  TRY(DeltaLengthByteArrayDecode(data + pos, size - pos, n, &suffixes, &used));
  arena->clear();
  std::vector<uint64_t> offsets;
  offsets.reserve(n + 1);
  offsets.push_back(0);
  uint64_t prev_off = 0, prev_len = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t prefix = static_cast<int32_t>(prefixes[i]);
    if (prefix < 0 || static_cast<uint64_t>(prefix) > prev_len) {
      return DataLoss("DELTA_BYTE_ARRAY value " + std::to_string(i) + ": prefix " +
                      std::to_string(prefix) + " is longer than the previous value (" +
                      std::to_string(prev_len) + ")");
    }
    if (arena->size() + prefix + suffixes[i].size() > max_bytes) {
      return ResourceExhausted("DELTA_BYTE_ARRAY values exceed " + std::to_string(max_bytes) +
                               " bytes");
    }
    uint64_t start = arena->size();
    size_t needed = arena->size() + static_cast<size_t>(prefix) + suffixes[i].size();
    // Grow first: the prefix is copied from the arena itself.
    if (arena->capacity() < needed) arena->reserve(std::max(needed, arena->capacity() * 2));
    arena->append(*arena, prev_off, static_cast<size_t>(prefix));
    arena->append(suffixes[i]);
    prev_off = start;
    prev_len = arena->size() - start;
    offsets.push_back(arena->size());
  }
  out->clear();
  out->reserve(n);
  for (size_t i = 0; i < n; ++i)
    out->emplace_back(arena->data() + offsets[i], offsets[i + 1] - offsets[i]);
  return Status::Ok();
}

Status ByteStreamSplitDecode(const uint8_t* data, size_t size, size_t n, size_t width,
                             uint8_t* out) {
  if (width == 0 || n > size / width) {
    return DataLoss("BYTE_STREAM_SPLIT: " + std::to_string(n) + " values of " +
                    std::to_string(width) + " bytes need more than the " + std::to_string(size) +
                    " bytes present");
  }
  const size_t stride = size / width;  // values in the page's data section
  for (size_t k = 0; k < width; ++k) {
    const uint8_t* stream = data + k * stride;
    for (size_t i = 0; i < n; ++i) out[i * width + k] = stream[i];
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
