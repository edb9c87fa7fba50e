// The MQTT data representations (spec 1.5): big-endian integers, Variable Byte
// Integers, length-prefixed binary data and UTF-8 strings. Reader decodes them from
// an untrusted buffer and records the first error with where it happened; Writer
// appends them to a string and Counter only adds up their sizes, so that one
// templated encoder gives both Encode() and EncodedSize(). Internal to src/mqtt/.
// Not thread-safe; each decode or encode uses its own instances.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mqtt/codec.h"

namespace tributary::mqtt::internal {

inline constexpr uint32_t kMaxVarInt = 268'435'455;  // 0xFF 0xFF 0xFF 0x7F

// Names a field in error messages: {"topic filter", 2} reads "topic filter 2".
struct Field {
  const char* name;
  int index = -1;
};

class Reader {
 public:
  // `offset` is where `data` starts in the whole packet (for error positions);
  // `packet` names the packet type in messages ("SUBSCRIBE"); the first error is
  // stored in `*error`.
  Reader(std::span<const uint8_t> data, size_t offset, const char* packet,
         std::optional<DecodeError>* error)
      : data_(data), offset_(offset), packet_(packet), error_(error) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t offset() const { return offset_ + pos_; }  // position in the whole packet
  const char* packet() const { return packet_; }

  bool U8(uint8_t* v, Field f) {
    if (remaining() < 1) return Truncated(f, 1);
    *v = data_[pos_++];
    return true;
  }
  bool U16(uint16_t* v, Field f) {
    if (remaining() < 2) return Truncated(f, 2);
    *v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v, Field f) {
    if (remaining() < 4) return Truncated(f, 4);
    *v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
         (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  // Variable Byte Integer: at most 4 bytes, minimally encoded.
  bool VarInt(uint32_t* v, Field f);
  // Two-byte length followed by that many bytes; the view points into the packet.
  bool Binary(std::string_view* v, Field f);
  // Binary() plus the UTF-8 rules of IsValidMqttUtf8 (Malformed Packet otherwise).
  bool Utf8(std::string_view* v, Field f);
  // The rest of the buffer (PUBLISH payload).
  std::string_view Rest() {
    auto v = View(pos_, remaining());
    pos_ = data_.size();
    return v;
  }
  // A reader over the next `n` bytes (which the caller checked are there) sharing
  // this reader's error slot; this reader skips them.
  Reader Sub(size_t n) {
    Reader r(data_.subspan(pos_, n), offset(), packet_, error_);
    pos_ += n;
    return r;
  }

  // Records "<PACKET>: <field> <what> at byte <offset>" unless an error is already
  // recorded; always returns false so that callers can `return r.Fail(...)`.
  bool Fail(ReasonCode rc, Field f, std::string_view what);
  bool FailAt(ReasonCode rc, Field f, std::string_view what, size_t at);

 private:
  bool Truncated(Field f, size_t needed);
  std::string_view View(size_t at, size_t n) const {
    return {reinterpret_cast<const char*>(data_.data()) + at, n};
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t offset_;
  const char* packet_;
  std::optional<DecodeError>* error_;
};

// Number of bytes of the Variable Byte Integer encoding of `v` (v <= kMaxVarInt).
inline size_t VarIntSize(uint32_t v) { return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4; }

// Appends encodings to a string. Strings must be at most 65535 bytes and variable
// byte integers at most kMaxVarInt (asserted): callers check limits beforehand.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v) {
    char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out_->append(b, 2);
  }
  void U32(uint32_t v) {
    char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
    out_->append(b, 4);
  }
  void VarInt(uint32_t v) {
    assert(v <= kMaxVarInt && "MQTT variable byte integer above 268435455");
    char b[4];
    size_t n = 0;
    do {
      uint8_t byte = v & 0x7F;
      v >>= 7;
      if (v) byte |= 0x80;
      b[n++] = static_cast<char>(byte);
    } while (v && n < 4);
    out_->append(b, n);
  }
  void Str(std::string_view s) {
    assert(s.size() <= 65535 && "MQTT string or binary field above 65535 bytes");
    U16(static_cast<uint16_t>(s.size()));
    out_->append(s);
  }
  void Raw(std::string_view s) { out_->append(s); }

 private:
  std::string* out_;
};

// Same interface as Writer; only counts bytes.
class Counter {
 public:
  void U8(uint8_t) { n_ += 1; }
  void U16(uint16_t) { n_ += 2; }
  void U32(uint32_t) { n_ += 4; }
  void VarInt(uint32_t v) { n_ += VarIntSize(v); }
  void Str(std::string_view s) { n_ += 2 + s.size(); }
  void Raw(std::string_view s) { n_ += s.size(); }
  void Add(size_t n) { n_ += n; }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
};

}  // namespace tributary::mqtt::internal
