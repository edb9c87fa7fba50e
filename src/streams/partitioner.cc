#include "streams/partitioner.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace tributary::streams {

namespace {

// How a key reads in messages: "field 'device'" for a top-level field, "key 'device'
// (.device.id)" for one a query placed elsewhere.
std::string Describe(const PartitionKey& key) {
  if (key.path == "." + key.name) return fmt::format("field '{}'", key.name);
  return fmt::format("key '{}' ({})", key.name, key.path);
}

}  // namespace

struct Partitioner::Impl {
  simdjson::ondemand::parser parser;
  std::vector<std::string> descriptions;  // Describe() of each key, for errors
};

Partitioner::Partitioner(std::vector<PartitionKey> keys)
    : keys_(std::move(keys)), impl_(std::make_unique<Impl>()) {
  for (const PartitionKey& key : keys_) impl_->descriptions.push_back(Describe(key));
}

Partitioner::~Partitioner() = default;

namespace {

Status CheckSegment(std::string_view field, std::string_view value) {
  if (value.empty()) return InvalidArgument(fmt::format("{} is an empty string", field));
  if (value == "." || value == "..") {
    return InvalidArgument(fmt::format("{} is '{}', not usable in a key", field, value));
  }
  for (char c : value) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgument(fmt::format(
          "{} value '{}' contains '/' or a control character, not usable in a key", field,
          value));
    }
  }
  if (value.size() > 512) {
    return InvalidArgument(fmt::format("{} value is longer than 512 bytes", field));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> Partitioner::Extract(std::string_view record) {
  using namespace simdjson;
  std::vector<std::string> values;
  if (keys_.empty()) return values;
  padded_string padded(record);
  ondemand::document doc;
  ondemand::json_type root;
  if (impl_->parser.iterate(padded).get(doc) != SUCCESS || doc.type().get(root) != SUCCESS ||
      root != ondemand::json_type::object) {
    return InvalidArgument("record is not a JSON object");
  }
  for (size_t k = 0; k < keys_.size(); ++k) {
    const PartitionKey& key = keys_[k];
    const std::string& what = impl_->descriptions[k];
    // at_pointer rewinds the document: each key is looked up from the top.
    ondemand::value value;
    auto error = doc.at_pointer(key.pointer).get(value);
    // The pointers are built from a checked query: a pointer that "does not fit" the
    // record (a segment through a string or number) means the value is not there.
    if (error == NO_SUCH_FIELD || error == INCORRECT_TYPE || error == INDEX_OUT_OF_BOUNDS ||
        error == INVALID_JSON_POINTER) {
      return InvalidArgument(fmt::format("{} is missing", what));
    }
    if (error != SUCCESS) {
      return InvalidArgument(fmt::format("record is not valid JSON ({})", error_message(error)));
    }
    ondemand::json_type type;
    if (value.type().get(type) != SUCCESS) return InvalidArgument("record is not valid JSON");
    std::string text;
    switch (type) {
      case ondemand::json_type::string: {
        std::string_view s;
        if (value.get_string().get(s) != SUCCESS) {
          return InvalidArgument(fmt::format("{} is not a valid string", what));
        }
        text = s;
        break;
      }
      case ondemand::json_type::number:
      case ondemand::json_type::boolean: {
        std::string_view raw = value.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' ||
                                raw.back() == '\r')) {
          raw.remove_suffix(1);
        }
        text = raw;
        break;
      }
      default:
        return InvalidArgument(
            fmt::format("{} is null, an object or an array, not a key value", what));
    }
    TRY(CheckSegment(what, text));
    values.push_back(std::move(text));
  }
  return values;
}

}  // namespace tributary::streams
