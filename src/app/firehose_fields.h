// Readers of the JSON members of Firehose's request shapes (firehose_shapes.h,
// firehose_format_shapes.h). Each takes the member and `where`, its path in the request
// ("ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs"), and refuses a member of
// the wrong type with InvalidArgument naming that path. Pure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace tributary::app::firehose {

bool IsOneOf(std::string_view key, std::initializer_list<std::string_view> names);

Status ExpectObject(const nlohmann::json& value, const std::string& where);
Result<std::string> StringField(const nlohmann::json& value, const std::string& where);
// An integer in [-1000000, 1000000].
Result<int> IntField(const nlohmann::json& value, const std::string& where);
Result<bool> BoolField(const nlohmann::json& value, const std::string& where);
// An integer of at least `min`.
Result<int64_t> Int64Field(const nlohmann::json& value, const std::string& where, int64_t min);

// The one member of a union shape ({"OpenXJsonSerDe": {...}}), an object, and its name.
Result<std::pair<std::string, const nlohmann::json*>> OneOf(
    const nlohmann::json& value, const std::string& where,
    std::initializer_list<std::string_view> names);

}  // namespace tributary::app::firehose
