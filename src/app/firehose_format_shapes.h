// Firehose's DataFormatConversionConfiguration, both ways: a request's onto a stream's
// format conversion (records converted to Parquet by the schema of a Glue table, see
// streams/format_conversion.h), and a stream's as DescribeDeliveryStream shows it. Only
// ParquetSerDe output; OrcSerDe is refused naming the field. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "streams/stream_config.h"

namespace tributary::app::firehose {

// DataFormatConversionConfiguration (at `where` in the request) onto the stream's: each
// part given (SchemaConfiguration, InputFormatConfiguration, OutputFormatConfiguration)
// replaces that part, a part not given stays as the stream has it, so an update of
// {"Enabled": false} alone turns conversion off and keeps its settings (as Firehose
// describes Enabled). Enabled, the three must be there in the end.
Status ApplyFormatConversion(const nlohmann::json& value, const std::string& where,
                             streams::StreamConfig* c);

nlohmann::json FormatConversionJson(const streams::FormatConversion& f);

}  // namespace tributary::app::firehose
