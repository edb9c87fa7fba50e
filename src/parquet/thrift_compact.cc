#include "parquet/thrift_compact.h"

#include <cstring>

namespace tributary::parquet {
namespace {

constexpr int kMaxDepth = 64;

int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

void CompactWriter::BeginStruct() {
  stack_.push_back(last_id_);
  last_id_ = 0;
}

void CompactWriter::EndStruct() {
  out_->push_back(0);
  last_id_ = stack_.empty() ? 0 : stack_.back();
  if (!stack_.empty()) stack_.pop_back();
}

void CompactWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::FieldHeader(int16_t id, ThriftType type) {
  int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    Varint(ZigZag(id));
  }
  last_id_ = id;
}

void CompactWriter::FieldI8(int16_t id, int8_t v) {
  FieldHeader(id, ThriftType::kByte);
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::FieldI16(int16_t id, int16_t v) {
  FieldHeader(id, ThriftType::kI16);
  Varint(ZigZag(v));
}

void CompactWriter::FieldI32(int16_t id, int32_t v) {
  FieldHeader(id, ThriftType::kI32);
  Varint(ZigZag(v));
}

void CompactWriter::FieldI64(int16_t id, int64_t v) {
  FieldHeader(id, ThriftType::kI64);
  Varint(ZigZag(v));
}

void CompactWriter::FieldBool(int16_t id, bool v) {
  FieldHeader(id, v ? ThriftType::kTrue : ThriftType::kFalse);
}

void CompactWriter::FieldBinary(int16_t id, std::string_view v) {
  FieldHeader(id, ThriftType::kBinary);
  ElemBinary(v);
}

void CompactWriter::FieldDouble(int16_t id, double v) {
  FieldHeader(id, ThriftType::kDouble);
  char buf[8];
  std::memcpy(buf, &v, 8);  // the compact protocol stores doubles little-endian
  out_->append(buf, 8);
}

void CompactWriter::FieldStructBegin(int16_t id) {
  FieldHeader(id, ThriftType::kStruct);
  BeginStruct();
}

void CompactWriter::FieldListBegin(int16_t id, ThriftType elem, uint32_t size) {
  FieldHeader(id, ThriftType::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<uint8_t>(elem)));
  } else {
    out_->push_back(static_cast<char>(0xF0 | static_cast<uint8_t>(elem)));
    Varint(size);
  }
}

void CompactWriter::ElemBinary(std::string_view v) {
  Varint(v.size());
  out_->append(v.data(), v.size());
}

Status CompactReader::Error(const std::string& what) const {
  return DataLoss("thrift at offset " + std::to_string(file_offset()) + ": " + what);
}

Status CompactReader::ReadByte(uint8_t* b) {
  if (pos_ >= size_) return Error("unexpected end of data");
  *b = data_[pos_++];
  return Status::Ok();
}

Status CompactReader::ReadVarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint8_t b;
    TRY(ReadByte(&b));
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return Status::Ok();
    }
  }
  return Error("varint longer than 10 bytes");
}

Status CompactReader::BeginStruct() {
  if (++depth_ > kMaxDepth) return Error("structs nested deeper than 64");
  stack_.push_back(last_id_);
  last_id_ = 0;
  return Status::Ok();
}

Status CompactReader::EndStruct() {
  --depth_;
  last_id_ = stack_.empty() ? 0 : stack_.back();
  if (!stack_.empty()) stack_.pop_back();
  return Status::Ok();
}

Status CompactReader::ReadFieldHeader(int16_t* id, ThriftType* type) {
  uint8_t b;
  TRY(ReadByte(&b));
  uint8_t t = b & 0x0F;
  if (t > static_cast<uint8_t>(ThriftType::kStruct)) {
    return Error("unknown field type " + std::to_string(t));
  }
  *type = static_cast<ThriftType>(t);
  if (*type == ThriftType::kStop) {
    *id = 0;
    return Status::Ok();
  }
  int delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(last_id_ + delta);
  } else {
    uint64_t raw;
    TRY(ReadVarint(&raw));
    int64_t v = UnZigZag(raw);
    if (v < INT16_MIN || v > INT16_MAX) return Error("field id out of range");
    *id = static_cast<int16_t>(v);
  }
  last_id_ = *id;
  return Status::Ok();
}

Status CompactReader::ReadI8(int8_t* v) {
  uint8_t b;
  TRY(ReadByte(&b));
  *v = static_cast<int8_t>(b);
  return Status::Ok();
}

Status CompactReader::ReadI16(int16_t* v) {
  int32_t x;
  TRY(ReadI32(&x));
  if (x < INT16_MIN || x > INT16_MAX) return Error("i16 value out of range");
  *v = static_cast<int16_t>(x);
  return Status::Ok();
}

Status CompactReader::ReadI32(int32_t* v) {
  uint64_t raw;
  TRY(ReadVarint(&raw));
  int64_t x = UnZigZag(raw);
  if (x < INT32_MIN || x > INT32_MAX) return Error("i32 value out of range");
  *v = static_cast<int32_t>(x);
  return Status::Ok();
}

Status CompactReader::ReadI64(int64_t* v) {
  uint64_t raw;
  TRY(ReadVarint(&raw));
  *v = UnZigZag(raw);
  return Status::Ok();
}

Status CompactReader::ReadBinary(std::string* v) {
  uint64_t len;
  TRY(ReadVarint(&len));
  if (len > size_ - pos_) {
    return Error("binary of " + std::to_string(len) + " bytes runs past the end (" +
                 std::to_string(size_ - pos_) + " left)");
  }
  v->assign(reinterpret_cast<const char*>(data_ + pos_), len);
  pos_ += len;
  return Status::Ok();
}

Status CompactReader::ReadDouble(double* v) {
  if (size_ - pos_ < 8) return Error("double runs past the end");
  std::memcpy(v, data_ + pos_, 8);
  pos_ += 8;
  return Status::Ok();
}

Status CompactReader::ReadListHeader(ThriftType* elem, uint32_t* size) {
  uint8_t b;
  TRY(ReadByte(&b));
  uint8_t t = b & 0x0F;
  if (t > static_cast<uint8_t>(ThriftType::kStruct) || t == 0) {
    return Error("unknown list element type " + std::to_string(t));
  }
  *elem = static_cast<ThriftType>(t);
  uint64_t n = b >> 4;
  if (n == 15) TRY(ReadVarint(&n));
  // Every element takes at least one byte, so a larger count is corrupt; this
  // bounds what callers reserve.
  if (n > size_ - pos_) {
    return Error("list of " + std::to_string(n) + " elements cannot fit in the " +
                 std::to_string(size_ - pos_) + " bytes left");
  }
  *size = static_cast<uint32_t>(n);
  return Status::Ok();
}

Status CompactReader::Skip(ThriftType type) {
  uint64_t ignored;
  switch (type) {
    case ThriftType::kTrue:
    case ThriftType::kFalse:
      return Status::Ok();  // value is in the field header
    case ThriftType::kByte: {
      uint8_t b;
      return ReadByte(&b);
    }
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      return ReadVarint(&ignored);
    case ThriftType::kDouble:
      if (size_ - pos_ < 8) return Error("double runs past the end");
      pos_ += 8;
      return Status::Ok();
    case ThriftType::kBinary: {
      TRY(ReadVarint(&ignored));
      if (ignored > size_ - pos_) return Error("binary runs past the end");
      pos_ += ignored;
      return Status::Ok();
    }
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftType elem;
      uint32_t n;
      TRY(ReadListHeader(&elem, &n));
      if (++depth_ > kMaxDepth) return Error("containers nested deeper than 64");
      for (uint32_t i = 0; i < n; ++i) {
        if (elem == ThriftType::kTrue || elem == ThriftType::kFalse) {
          uint8_t b;
          TRY(ReadByte(&b));  // bools in containers are one byte each
        } else {
          TRY(Skip(elem));
        }
      }
      --depth_;
      return Status::Ok();
    }
    case ThriftType::kMap: {
      uint64_t n;
      TRY(ReadVarint(&n));
      if (n == 0) return Status::Ok();
      if (n > size_ - pos_) return Error("map size beyond the data");
      uint8_t kv;
      TRY(ReadByte(&kv));
      auto kt = static_cast<ThriftType>(kv >> 4), vt = static_cast<ThriftType>(kv & 0x0F);
      if ((kv >> 4) > 12 || (kv & 0x0F) > 12) return Error("unknown map element type");
      if (++depth_ > kMaxDepth) return Error("containers nested deeper than 64");
      for (uint64_t i = 0; i < n; ++i) {
        for (ThriftType t : {kt, vt}) {
          if (t == ThriftType::kTrue || t == ThriftType::kFalse) {
            uint8_t b;
            TRY(ReadByte(&b));
          } else {
            TRY(Skip(t));
          }
        }
      }
      --depth_;
      return Status::Ok();
    }
    case ThriftType::kStruct: {
      TRY(BeginStruct());
      while (true) {
        int16_t id;
        ThriftType t;
        TRY(ReadFieldHeader(&id, &t));
        if (t == ThriftType::kStop) break;
        TRY(Skip(t));
      }
      return EndStruct();
    }
    case ThriftType::kStop:
      return Error("unexpected STOP");
  }
  return Error("unknown type");
}

}  // namespace tributary::parquet
