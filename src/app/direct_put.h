// Direct PUT's limits and record decoding, shared by the API's two forms of PutRecord and
// PutRecordBatch (/v1/streams/{name}/records and Firehose's own on POST /). The limits
// are Firehose's.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tributary::app {

inline constexpr size_t kMaxBatchRecords = 500;
inline constexpr size_t kMaxBatchBytes = 4u << 20;
inline constexpr size_t kMaxRecordBytes = 1000u << 10;

// Decodes one {"Data": "<base64>"} record; `where` names it in errors ("Records[3]").
// InvalidArgument if Data is missing, not base64 or over kMaxRecordBytes. Empty Data is a
// record of 0 bytes, which Firehose takes too.
Result<std::string> DecodeDirectPutRecord(const nlohmann::json& record, const std::string& where);

}  // namespace tributary::app
