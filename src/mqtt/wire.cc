#include "mqtt/wire.h"

#include "mqtt/utf8.h"

namespace tributary::mqtt::internal {

namespace {
std::string FieldName(Field f) {
  std::string s = f.name;
  if (f.index >= 0) {
    s += ' ';
    s += std::to_string(f.index);
  }
  return s;
}
}  // namespace

bool Reader::VarInt(uint32_t* v, Field f) {
  size_t start = offset();
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    if (remaining() < 1) return Truncated(f, 1);
    uint8_t b = data_[pos_++];
    value |= uint32_t{static_cast<uint8_t>(b & 0x7F)} << (7 * i);
    if ((b & 0x80) == 0) {
      if (i > 0 && b == 0) {
        return FailAt(ReasonCode::kMalformedPacket, f,
                      "is a variable byte integer not in its shortest form", start);
      }
      *v = value;
      return true;
    }
  }
  return FailAt(ReasonCode::kMalformedPacket, f, "is a variable byte integer longer than 4 bytes",
                start);
}

bool Reader::Binary(std::string_view* v, Field f) {
  uint16_t len = 0;
  if (!U16(&len, f)) return false;
  if (remaining() < len) {
    return FailAt(ReasonCode::kMalformedPacket, f,
                  "is truncated: length " + std::to_string(len) + " but only " +
                      std::to_string(remaining()) + " bytes left",
                  offset() - 2);
  }
  *v = View(pos_, len);
  pos_ += len;
  return true;
}

bool Reader::Utf8(std::string_view* v, Field f) {
  size_t start = offset();
  if (!Binary(v, f)) return false;
  if (!IsValidMqttUtf8(*v)) {
    return FailAt(ReasonCode::kMalformedPacket, f,
                  "is not valid UTF-8 (or contains U+0000 or a surrogate)", start);
  }
  return true;
}

bool Reader::Fail(ReasonCode rc, Field f, std::string_view what) {
  return FailAt(rc, f, what, offset());
}

bool Reader::FailAt(ReasonCode rc, Field f, std::string_view what, size_t at) {
  if (!error_->has_value()) {
    std::string msg = packet_;
    msg += ": ";
    msg += FieldName(f);
    msg += ' ';
    msg += what;
    msg += " at byte ";
    msg += std::to_string(at);
    error_->emplace(DecodeError{rc, std::move(msg)});
  }
  return false;
}

bool Reader::Truncated(Field f, size_t needed) {
  return Fail(ReasonCode::kMalformedPacket, f,
              "is truncated: needs " + std::to_string(needed) + " bytes, " +
                  std::to_string(remaining()) + " left");
}

}  // namespace tributary::mqtt::internal
