// A minimal Thrift compact-protocol encoder and decoder, enough for the Parquet
// footer and page headers (parquet.thrift). Not a general Thrift library: there is
// no IDL, each struct is written and read by hand in format_*.cc.
//
// Wire format (Thrift compact protocol):
//   field header  one byte: (field id delta << 4) | type; a delta of 0 means a
//                 zigzag varint i16 field id follows.        field 1, i32 -> 0x15
//   bool fields   the type nibble is the value: 1 true, 2 false
//   i16/i32/i64   zigzag varint                               -1 -> 0x01, 1 -> 0x02
//   double        8 bytes little-endian
//   binary        varint length, then the bytes
//   list/set      (size << 4) | elem type if size < 15, else 0xF0 | type, varint size
//   map           varint size; if size > 0 one byte (key type << 4) | value type
//   struct        fields, then a STOP byte (0x00)
//
// The decoder reads from a bounded byte span; every read is checked, nesting is
// limited, and errors carry the byte offset. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::parquet {

enum class ThriftType : uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Appends compact-protocol bytes to a string. Call BeginStruct/EndStruct around
// each struct's fields; field ids must increase within a struct.
class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  void BeginStruct();
  void EndStruct();  // writes STOP and restores the enclosing struct's last field id

  void FieldI8(int16_t id, int8_t v);  // one raw byte, not a varint
  void FieldI16(int16_t id, int16_t v);
  void FieldI32(int16_t id, int32_t v);
  void FieldI64(int16_t id, int64_t v);
  void FieldBool(int16_t id, bool v);
  void FieldBinary(int16_t id, std::string_view v);
  void FieldDouble(int16_t id, double v);
  // Writes a struct field header; follow with the struct's fields and EndStruct().
  void FieldStructBegin(int16_t id);
  // Writes a list field header; follow with `size` elements (ElemI32, ElemBinary,
  // or BeginStruct..EndStruct per element).
  void FieldListBegin(int16_t id, ThriftType elem, uint32_t size);

  void ElemI32(int32_t v) { Varint(ZigZag(v)); }
  void ElemI64(int64_t v) { Varint(ZigZag(v)); }
  void ElemBinary(std::string_view v);

  void Varint(uint64_t v);
  static uint64_t ZigZag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }

 private:
  void FieldHeader(int16_t id, ThriftType type);

  std::string* out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
};

// Reads compact-protocol bytes from [data, data + size). `base_offset` is added to
// positions in error messages so they name file offsets.
class CompactReader {
 public:
  CompactReader(const uint8_t* data, size_t size, uint64_t base_offset = 0)
      : data_(data), size_(size), base_(base_offset) {}

  // Struct iteration: call BeginStruct, then ReadFieldHeader until it yields
  // kStop, reading or skipping each field's value; then EndStruct.
  Status BeginStruct();
  Status EndStruct();
  Status ReadFieldHeader(int16_t* id, ThriftType* type);

  Status ReadI8(int8_t* v);
  Status ReadI16(int16_t* v);
  Status ReadI32(int32_t* v);
  Status ReadI64(int64_t* v);
  Status ReadBinary(std::string* v);
  Status ReadDouble(double* v);
  // For a bool field the value is in the header type; for list elements a byte.
  static bool BoolFromType(ThriftType t) { return t == ThriftType::kTrue; }
  Status ReadListHeader(ThriftType* elem, uint32_t* size);
  Status Skip(ThriftType type);

  size_t position() const { return pos_; }
  uint64_t file_offset() const { return base_ + pos_; }
  // An error naming the current file offset: "thrift at offset 1234: <what>".
  Status Error(const std::string& what) const;

 private:
  Status ReadVarint(uint64_t* v);
  Status ReadByte(uint8_t* b);

  const uint8_t* data_;
  size_t size_;
  uint64_t base_;
  size_t pos_ = 0;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
  int depth_ = 0;
};

}  // namespace tributary::parquet
