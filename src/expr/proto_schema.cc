#include "expr/proto_schema.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <utility>
#include <vector>

namespace tributary::expr {

namespace pb = google::protobuf;

namespace {

// What the pool says is wrong with a file, kept for the error message.
class Collector final : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name, const pb::Message*,
                ErrorLocation, const std::string& message) override {
    if (!first.empty()) return;
    first = filename + (element_name.empty() ? "" : " (" + element_name + ")") + ": " + message;
  }
  std::string first;
};

bool NamesFile(std::string_view file_name, std::string_view proto_file) {
  std::string want = std::string(proto_file) + ".proto";
  if (file_name == want) return true;
  return file_name.size() > want.size() &&
         file_name.substr(file_name.size() - want.size() - 1) == "/" + want;
}

}  // namespace

struct ProtoSchema::Impl {
  pb::DescriptorPool pool;
  std::vector<std::string> file_names;       // in the set's order
  pb::DynamicMessageFactory factory{&pool};  // its GetPrototype is thread-safe
};

ProtoSchema::ProtoSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProtoSchema::~ProtoSchema() = default;

Result<std::shared_ptr<const ProtoSchema>> ProtoSchema::Parse(std::string_view descriptor_set) {
  if (descriptor_set.size() > kMaxDescriptorBytes) {
    return InvalidArgument("the FileDescriptorSet is " + std::to_string(descriptor_set.size()) +
                           " bytes, over the " + std::to_string(kMaxDescriptorBytes) + " taken");
  }
  pb::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
    return InvalidArgument(
        "not a FileDescriptorSet (make one with protoc --include_imports "
        "--descriptor_set_out=FILE.desc FILE.proto)");
  }
  if (set.file_size() == 0) return InvalidArgument("the FileDescriptorSet holds no file");
  auto impl = std::make_unique<Impl>();
  // protoc --include_imports writes a file's imports before it; build in that order, and
  // name the import a file lacks rather than the pool's "not found" of its types.
  for (const pb::FileDescriptorProto& file : set.file()) {
    for (const std::string& dep : file.dependency()) {
      if (impl->pool.FindFileByName(dep) == nullptr) {
        return InvalidArgument(file.name() + " imports " + dep +
                               ", which is not in the FileDescriptorSet before it (protoc's "
                               "--include_imports puts it there)");
      }
    }
    Collector errors;
    if (impl->pool.BuildFileCollectingErrors(file, &errors) == nullptr) {
      return InvalidArgument(errors.first.empty() ? file.name() + " does not build" : errors.first);
    }
    impl->file_names.push_back(file.name());
  }
  return std::shared_ptr<const ProtoSchema>(new ProtoSchema(std::move(impl)));
}

Result<std::string> ProtoSchema::ToJson(std::string_view proto_file, std::string_view message_type,
                                        std::string_view bytes) const {
  // A set holds few files: a walk is as cheap as an index.
  const pb::FileDescriptor* file = nullptr;
  for (const std::string& name : impl_->file_names) {
    if (NamesFile(name, proto_file)) {
      file = impl_->pool.FindFileByName(name);
      break;
    }
  }
  if (file == nullptr) {
    std::string known;
    for (const std::string& name : impl_->file_names) known += (known.empty() ? "" : ", ") + name;
    return NotFound("no file " + std::string(proto_file) +
                    ".proto in the FileDescriptorSet (it has " + known + ")");
  }
  std::string type(message_type);
  const pb::Descriptor* descriptor =
      file->package().empty() ? nullptr
                              : impl_->pool.FindMessageTypeByName(file->package() + "." + type);
  if (descriptor == nullptr) descriptor = impl_->pool.FindMessageTypeByName(type);
  if (descriptor == nullptr || descriptor->file() != file) {
    return NotFound("no message type " + type + " in " + file->name() +
                    (file->package().empty() ? "" : " (package " + file->package() + ")"));
  }
  std::unique_ptr<pb::Message> message(impl_->factory.GetPrototype(descriptor)->New());
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("the " + std::to_string(bytes.size()) + " bytes are not a " +
                           descriptor->full_name() + " message");
  }
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  if (auto s = pb::util::MessageToJsonString(*message, &json, options); !s.ok()) {
    return InvalidArgument(descriptor->full_name() +
                           " does not write as JSON: " + std::string(s.message()));
  }
  return json;
}

}  // namespace tributary::expr
