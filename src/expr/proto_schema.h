// ProtoSchema: the message types of a Protocol Buffers FileDescriptorSet (what
// `protoc --include_imports --descriptor_set_out=F.desc F.proto` writes), for
// decode(value, 'proto', bucket, key, protoFile, messageType): a message's bytes as JSON.
//
//   auto schema = ProtoSchema::Parse(desc_bytes);             // once, kept by the caller
//   auto json = (*schema)->ToJson("reading", "Reading", payload);
//
// The JSON is proto3's JSON mapping (libprotobuf's): field names in lowerCamelCase
// (`device_id` becomes `deviceId`), enums by name, 64-bit integers and bytes as strings
// (base64), and every field without presence written even when it holds its default (a
// reading of 0 is kept, not left out). Thread-safe once made.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::expr {

class ProtoSchema {
 public:
  // The largest FileDescriptorSet taken.
  static constexpr size_t kMaxDescriptorBytes = 1 << 20;

  // The schema of a serialized FileDescriptorSet; InvalidArgument saying what is wrong
  // (not a FileDescriptorSet, a file whose import is not in the set, a type that
  // does not resolve ...).
  static Result<std::shared_ptr<const ProtoSchema>> Parse(std::string_view descriptor_set);
  ~ProtoSchema();

  // `bytes` read as a `message_type` message of the file `proto_file` and written as
  // JSON. `proto_file` is the file's name without ".proto" (as AWS takes it; a file in
  // a folder matches by its last part too); `message_type` a type of that file, by its
  // name in the file's package ("Reading", "Reading.Location") or its full name
  // ("sensors.v1.Reading"). NotFound for a file or type the set does not have,
  // InvalidArgument for bytes that are not such a message.
  Result<std::string> ToJson(std::string_view proto_file, std::string_view message_type,
                             std::string_view bytes) const;

 private:
  struct Impl;
  explicit ProtoSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::expr
