#include "app/direct_put.h"

#include "base/base64.h"

namespace tributary::app {

Result<std::string> DecodeDirectPutRecord(const nlohmann::json& record, const std::string& where) {
  if (!record.is_object() || !record.contains("Data") || !record["Data"].is_string()) {
    return InvalidArgument(where + " needs a string field 'Data' (base64)");
  }
  auto data = Base64Decode(record["Data"].get<std::string>());
  if (!data.ok()) return InvalidArgument(where + ".Data: " + data.status().message());
  if (data->size() > kMaxRecordBytes) {
    return InvalidArgument(where + ".Data is " + std::to_string(data->size()) +
                           " bytes; a record may hold at most 1,024,000");
  }
  return data;
}

}  // namespace tributary::app
