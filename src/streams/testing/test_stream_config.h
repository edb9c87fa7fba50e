// The delivery stream the stream tests start from: bucket "iot-data", a 900 s interval (so
// that only a size, a Flush or a Stop delivers). Tests only.
#pragma once

#include <string>

#include "streams/stream_config.h"

namespace tributary::streams::testing {

inline StreamConfig TestStreamConfig(const std::string& name = "s") {
  StreamConfig c;
  c.name = name;
  c.bucket = "iot-data";
  c.buffer_interval_s = 900;
  return c;
}

}  // namespace tributary::streams::testing
