#include "parquet/rle.h"

#include <algorithm>
#include <cstring>

namespace tributary::parquet {
namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

constexpr size_t kMinRleRun = 8;

void EmitLiteral(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  if (n == 0) return;
  size_t groups = (n + 7) / 8;
  PutVarint((groups << 1) | 1, out);
  if (n % 8 == 0) {
    BitPack(values, n, bit_width, out);
  } else {
    uint32_t padded[8] = {};
    size_t whole = n / 8 * 8;
    BitPack(values, whole, bit_width, out);
    std::copy(values + whole, values + n, padded);
    BitPack(padded, 8, bit_width, out);
  }
}

void EmitRepeat(uint32_t value, size_t count, int bit_width, std::string* out) {
  PutVarint(static_cast<uint64_t>(count) << 1, out);
  for (int b = 0; b < (bit_width + 7) / 8; ++b) out->push_back(static_cast<char>(value >> (8 * b)));
}

}  // namespace

int BitWidth(uint64_t max_value) {
  int w = 0;
  while (max_value != 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

void BitPack(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  if (bit_width == 0) return;
  uint64_t acc = 0;
  int bits = 0;
  const uint64_t mask = bit_width == 32 ? 0xFFFFFFFFull : ((1ull << bit_width) - 1);
  for (size_t i = 0; i < n; ++i) {
    acc |= (values[i] & mask) << bits;
    bits += bit_width;
    while (bits >= 8) {
      out->push_back(static_cast<char>(acc & 0xFF));
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out->push_back(static_cast<char>(acc & 0xFF));
}

void BitUnpack(const uint8_t* data, size_t n, int bit_width, uint32_t* out) {
  if (bit_width == 0) {
    std::fill(out, out + n, 0u);
    return;
  }
  const uint64_t mask = bit_width == 32 ? 0xFFFFFFFFull : ((1ull << bit_width) - 1);
  uint64_t acc = 0;
  int bits = 0;
  size_t byte = 0;
  for (size_t i = 0; i < n; ++i) {
    while (bits < bit_width) {
      acc |= static_cast<uint64_t>(data[byte++]) << bits;
      bits += 8;
    }
    out[i] = static_cast<uint32_t>(acc & mask);
    acc >>= bit_width;
    bits -= bit_width;
  }
}

void RleEncode(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  size_t literal_start = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i + 1;
    while (j < n && values[j] == values[i]) ++j;
    if (j - i >= kMinRleRun) {
      // A literal run must hold a multiple of 8 values unless it ends the
      // stream, so lend it the first few values of this repeat.
      size_t pad = (8 - (i - literal_start) % 8) % 8;
      i += pad;
      EmitLiteral(values + literal_start, i - literal_start, bit_width, out);
      EmitRepeat(values[i], j - i, bit_width, out);
      literal_start = j;
    }
    i = j;
  }
  EmitLiteral(values + literal_start, n - literal_start, bit_width, out);
}

Status RleDecoder::Error(const std::string& what) const {
  return DataLoss("RLE/bit-packed data at byte " + std::to_string(pos_) + " of " +
                  std::to_string(size_) + ": " + what);
}

Status RleDecoder::NextRun() {
  if (bit_width_ < 0 || bit_width_ > 32) return Error("bit width " + std::to_string(bit_width_));
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= size_) return Error("stream ended before all values were read");
    if (shift > 56) return Error("run header varint too long");
    uint8_t b = data_[pos_++];
    header |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (header & 1) {
    uint64_t groups = header >> 1;
    if (groups == 0) return Error("empty bit-packed run");
    uint64_t bytes_left = size_ - pos_;
    uint64_t want_bytes = groups * static_cast<uint64_t>(bit_width_);
    if (groups > (1ull << 40)) return Error("bit-packed run too long");
    // Some writers truncate the final run; take only the values that are there.
    uint64_t bytes = std::min(want_bytes, bytes_left);
    packed_left_ = bit_width_ == 0 ? groups * 8 : std::min(groups * 8, bytes * 8 / bit_width_);
    if (packed_left_ == 0) return Error("bit-packed run with no data");
    packed_ = data_ + pos_;
    packed_index_ = 0;
    pos_ += bytes;
  } else {
    rle_left_ = header >> 1;
    if (rle_left_ == 0) return Error("repeated run of length 0");
    int nbytes = (bit_width_ + 7) / 8;
    if (size_ - pos_ < static_cast<size_t>(nbytes))
      return Error("repeated value runs past the end");
    uint32_t v = 0;
    for (int b = 0; b < nbytes; ++b) v |= static_cast<uint32_t>(data_[pos_ + b]) << (8 * b);
    pos_ += nbytes;
    if (bit_width_ < 32 && (v >> bit_width_) != 0)
      return Error("repeated value wider than bit width");
    rle_value_ = v;
  }
  return Status::Ok();
}

Status RleDecoder::Decode(uint32_t* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    if (rle_left_ == 0 && packed_left_ == 0) TRY(NextRun());
    if (rle_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(rle_left_, n - done));
      std::fill(out + done, out + done + take, rle_value_);
      rle_left_ -= take;
      done += take;
    } else {
      size_t take = static_cast<size_t>(std::min<uint64_t>(packed_left_, n - done));
      // Runs are group-aligned: unpack from the run start so bit offsets stay
      // byte-aligned every 8 values.
      uint64_t first = packed_index_;
      if (first % 8 == 0) {
        BitUnpack(packed_ + first / 8 * bit_width_, take, bit_width_, out + done);
      } else {
        uint32_t tmp[8];
        uint64_t group = first / 8;
        size_t in_group = std::min<size_t>(take, 8 - first % 8);
        // Unpack only up to the last value taken: a truncated final run may
        // not hold the whole group.
        BitUnpack(packed_ + group * bit_width_, first % 8 + in_group, bit_width_, tmp);
        std::copy(tmp + first % 8, tmp + first % 8 + in_group, out + done);
        if (take > in_group) {
          BitUnpack(packed_ + (group + 1) * bit_width_, take - in_group, bit_width_,
                    out + done + in_group);
        }
      }
      packed_index_ += take;
      packed_left_ -= take;
      done += take;
    }
  }
  return Status::Ok();
}

Status RleDecoder::DecodeBounded(uint32_t* out, size_t n, uint32_t max_value) {
  TRY(Decode(out, n));
  for (size_t i = 0; i < n; ++i) {
    if (out[i] > max_value) {
      return Error("value " + std::to_string(out[i]) + " exceeds the maximum " +
                   std::to_string(max_value));
    }
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
