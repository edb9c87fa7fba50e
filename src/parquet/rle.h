// The RLE / bit-packing hybrid encoding (Parquet Encodings.md), used for
// definition levels, dictionary indices and RLE booleans.
//
//   stream       := run*
//   run          := bit-packed-run | rle-run
//   bit-packed   := varint((groups << 1) | 1), groups * 8 values packed LSB first,
//                   bit_width bytes per group of 8
//   rle-run      := varint(count << 1), the value in ceil(bit_width / 8) bytes LE
//
// Examples (bit width 1): ten 1s            -> 14 01        (RLE run of 10)
//                         1,0,1 (3 values)  -> 03 05        (one group, padded)
// A bit-packed run always holds a multiple of 8 values, so the encoder only pads
// at the end of the stream; the decoder is told how many values to take.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary::parquet {

// Number of bits needed for `max_value` (0 for 0).
int BitWidth(uint64_t max_value);

// Appends the hybrid encoding of values[0..n) to `out`. Every value must fit in
// `bit_width` bits (0..32).
void RleEncode(const uint32_t* values, size_t n, int bit_width, std::string* out);

// Packs n values of bit_width bits LSB first (no header) and appends them; the
// last byte is zero-padded. Used for bit-packed runs and PLAIN booleans.
void BitPack(const uint32_t* values, size_t n, int bit_width, std::string* out);
// Unpacks n values; `data` must hold at least ceil(n * bit_width / 8) bytes.
void BitUnpack(const uint8_t* data, size_t n, int bit_width, uint32_t* out);

// Decodes a hybrid stream. Errors name `what` and the stream offset.
class RleDecoder {
 public:
  RleDecoder(const uint8_t* data, size_t size, int bit_width)
      : data_(data), size_(size), bit_width_(bit_width) {}

  // Decodes exactly n values into out, or fails if the stream ends early or a
  // run is malformed.
  Status Decode(uint32_t* out, size_t n);
  // Like Decode, but also fails when a value exceeds `max_value` (dictionary
  // indices beyond the dictionary, levels beyond the max level).
  Status DecodeBounded(uint32_t* out, size_t n, uint32_t max_value);

  size_t position() const { return pos_; }

 private:
  Status NextRun();
  Status Error(const std::string& what) const;

  const uint8_t* data_;
  size_t size_;
  int bit_width_;
  size_t pos_ = 0;
  // Current run: either `rle_left` copies of rle_value, or `packed_left` values
  // starting at bit `packed_bit` of data_.
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;
  uint64_t packed_index_ = 0;
};

}  // namespace tributary::parquet
