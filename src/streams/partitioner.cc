#include "streams/partitioner.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace tributary::streams {

struct Partitioner::Impl {
  simdjson::ondemand::parser parser;
};

Partitioner::Partitioner(std::vector<std::string> fields)
    : fields_(std::move(fields)), impl_(std::make_unique<Impl>()) {}

Partitioner::~Partitioner() = default;

namespace {

Status CheckSegment(std::string_view field, std::string_view value) {
  if (value.empty()) return InvalidArgument(fmt::format("field '{}' is an empty string", field));
  if (value == "." || value == "..") {
    return InvalidArgument(fmt::format("field '{}' is '{}', not usable in a key", field, value));
  }
  for (char c : value) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgument(fmt::format(
          "field '{}' value '{}' contains '/' or a control character, not usable in a key",
          field, value));
    }
  }
  if (value.size() > 512) {
    return InvalidArgument(fmt::format("field '{}' value is longer than 512 bytes", field));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> Partitioner::Extract(std::string_view record) {
  using namespace simdjson;
  std::vector<std::string> values;
  if (fields_.empty()) return values;
  padded_string padded(record);
  ondemand::document doc;
  ondemand::object object;
  if (impl_->parser.iterate(padded).get(doc) != SUCCESS || doc.get_object().get(object) != SUCCESS) {
    return InvalidArgument("record is not a JSON object");
  }
  for (const std::string& field : fields_) {
    ondemand::value value;
    auto error = object.find_field_unordered(field).get(value);
    if (error == NO_SUCH_FIELD) {
      return InvalidArgument(fmt::format("field '{}' is missing", field));
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
          return InvalidArgument(fmt::format("field '{}' is not a valid string", field));
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
            fmt::format("field '{}' is null, an object or an array, not a key value", field));
    }
    TRY(CheckSegment(field, text));
    values.push_back(std::move(text));
  }
  return values;
}

}  // namespace tributary::streams
