// The ETL job the lake tests start from: the reference's curation of raw readings
// (mapping, filter, derive, dedupe) into iot.pollution, partitioned by year and month.
// Test-only.
#pragma once

#include <nlohmann/json.hpp>

namespace tributary::lake::testing {

inline nlohmann::json BaseJob() {
  return nlohmann::json::parse(R"json({
    "source": {"database": "iot", "table": "raw"},
    "transforms": [
      {"apply_mapping": [["id", "bigint", "id", "bigint"],
                         ["ozone", "bigint", "ozone", "double"],
                         ["pos.lat", "double", "lat", "double"],
                         ["timestamp", "string", "ts", "timestamp"],
                         ["year", "string", "year", "string"],
                         ["month", "string", "month", "string"]]},
      {"filter": "ozone >= 0"},
      {"derive": {"hour": "hour(ts)"}},
      {"dedupe": ["id"]}],
    "target": {"path": "curated/pollution/", "compression": "snappy",
               "partition_keys": ["year", "month"], "database": "iot", "table": "pollution"}})json");
}

}  // namespace tributary::lake::testing
