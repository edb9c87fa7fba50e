#include "app/firehose_fields.h"

namespace tributary::app::firehose {

using nlohmann::json;

bool IsOneOf(std::string_view key, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (key == name) return true;
  }
  return false;
}

Status ExpectObject(const json& value, const std::string& where) {
  if (!value.is_object()) return InvalidArgument(where + ": expected an object");
  return Status::Ok();
}

Result<std::string> StringField(const json& value, const std::string& where) {
  if (!value.is_string()) return InvalidArgument(where + ": expected a string");
  return value.get<std::string>();
}

Result<int> IntField(const json& value, const std::string& where) {
  if (!value.is_number_integer()) return InvalidArgument(where + ": expected an integer");
  int64_t v = value.get<int64_t>();
  if (v < -1'000'000 || v > 1'000'000) {
    return InvalidArgument(where + ": " + std::to_string(v) + " is out of range");
  }
  return static_cast<int>(v);
}

Result<bool> BoolField(const json& value, const std::string& where) {
  if (!value.is_boolean()) return InvalidArgument(where + ": expected true or false");
  return value.get<bool>();
}

Result<int64_t> Int64Field(const json& value, const std::string& where, int64_t min) {
  if (!value.is_number_integer()) return InvalidArgument(where + ": expected an integer");
  int64_t v = value.get<int64_t>();
  if (v < min) {
    return InvalidArgument(where + ": " + std::to_string(v) + " is under the minimum of " +
                           std::to_string(min));
  }
  return v;
}

Result<std::pair<std::string, const json*>> OneOf(const json& value, const std::string& where,
                                                  std::initializer_list<std::string_view> names) {
  TRY(ExpectObject(value, where));
  if (value.size() != 1 || !IsOneOf(value.begin().key(), names)) {
    std::string known;
    for (std::string_view n : names) known += (known.empty() ? "" : ", ") + std::string(n);
    return InvalidArgument(where + ": name exactly one of " + known);
  }
  TRY(ExpectObject(value.begin().value(), where + "." + value.begin().key()));
  return std::make_pair(value.begin().key(), &value.begin().value());
}

}  // namespace tributary::app::firehose
