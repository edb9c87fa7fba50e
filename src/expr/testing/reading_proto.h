// A Protocol Buffers schema and messages for tests of decode(v, 'proto', ...): the
// FileDescriptorProto protoc would make of sensors/reading.proto (below), a
// FileDescriptorSet of it, and a Reading's bytes as a device would send them.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include <cstdint>
#include <memory>
#include <string>

namespace tributary::expr::testing {

namespace pb = google::protobuf;

// sensors/reading.proto, as protoc would describe it:
//   syntax = "proto3"; package sensors.v1;
//   message Reading {
//     enum Kind { KIND_UNSPECIFIED = 0; OUTDOOR = 1; }
//     message Location { double lat = 1; double lon = 2; }
//     string device_id = 1; double pm25 = 2; int64 seq = 3; Kind kind = 4;
//     Location location = 5; repeated float samples = 6; bool calibrated = 7;
//   }
inline pb::FileDescriptorProto ReadingFile() {
  pb::FileDescriptorProto file;
  file.set_name("sensors/reading.proto");
  file.set_package("sensors.v1");
  file.set_syntax("proto3");
  pb::DescriptorProto* reading = file.add_message_type();
  reading->set_name("Reading");
  pb::EnumDescriptorProto* kind = reading->add_enum_type();
  kind->set_name("Kind");
  kind->add_value()->set_name("KIND_UNSPECIFIED");
  auto* outdoor = kind->add_value();
  outdoor->set_name("OUTDOOR");
  outdoor->set_number(1);
  pb::DescriptorProto* location = reading->add_nested_type();
  location->set_name("Location");
  auto add = [](pb::DescriptorProto* m, const char* name, int number,
                pb::FieldDescriptorProto::Type type, const char* type_name = nullptr,
                bool repeated = false) {
    pb::FieldDescriptorProto* f = m->add_field();
    f->set_name(name);
    f->set_number(number);
    f->set_type(type);
    f->set_label(repeated ? pb::FieldDescriptorProto::LABEL_REPEATED
                          : pb::FieldDescriptorProto::LABEL_OPTIONAL);
    if (type_name != nullptr) f->set_type_name(type_name);
  };
  add(location, "lat", 1, pb::FieldDescriptorProto::TYPE_DOUBLE);
  add(location, "lon", 2, pb::FieldDescriptorProto::TYPE_DOUBLE);
  add(reading, "device_id", 1, pb::FieldDescriptorProto::TYPE_STRING);
  add(reading, "pm25", 2, pb::FieldDescriptorProto::TYPE_DOUBLE);
  add(reading, "seq", 3, pb::FieldDescriptorProto::TYPE_INT64);
  add(reading, "kind", 4, pb::FieldDescriptorProto::TYPE_ENUM, ".sensors.v1.Reading.Kind");
  add(reading, "location", 5, pb::FieldDescriptorProto::TYPE_MESSAGE,
      ".sensors.v1.Reading.Location");
  add(reading, "samples", 6, pb::FieldDescriptorProto::TYPE_FLOAT, nullptr, true);
  add(reading, "calibrated", 7, pb::FieldDescriptorProto::TYPE_BOOL);
  return file;
}

inline std::string SetOf(const pb::FileDescriptorProto& file) {
  pb::FileDescriptorSet set;
  *set.add_file() = file;
  return set.SerializeAsString();
}

// A Reading's bytes, made with the same descriptors (as a device would).
inline std::string ReadingBytes(const std::string& device, double pm25, int64_t seq,
                                bool with_location) {
  pb::DescriptorPool pool;
  const pb::FileDescriptor* file = pool.BuildFile(ReadingFile());
  const pb::Descriptor* type = file->FindMessageTypeByName("Reading");
  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> m(factory.GetPrototype(type)->New());
  const pb::Reflection* r = m->GetReflection();
  r->SetString(m.get(), type->FindFieldByName("device_id"), device);
  r->SetDouble(m.get(), type->FindFieldByName("pm25"), pm25);
  r->SetInt64(m.get(), type->FindFieldByName("seq"), seq);
  r->SetEnumValue(m.get(), type->FindFieldByName("kind"), 1);
  r->AddFloat(m.get(), type->FindFieldByName("samples"), 1.5f);
  r->AddFloat(m.get(), type->FindFieldByName("samples"), 2.5f);
  if (with_location) {
    pb::Message* loc = r->MutableMessage(m.get(), type->FindFieldByName("location"));
    const pb::Descriptor* lt = loc->GetDescriptor();
    loc->GetReflection()->SetDouble(loc, lt->FindFieldByName("lat"), 45.75);
    loc->GetReflection()->SetDouble(loc, lt->FindFieldByName("lon"), 4.85);
  }
  return m->SerializeAsString();
}

}  // namespace tributary::expr::testing
