// The configuration a stream's WAL is delivered by, kept in the WAL directory itself
// (`<dir>/stream.json`, replaced atomically when the stream opens or is updated):
//   {"config": {...ToJson(StreamConfig)...}, "epoch": "5a5a...", "created_ms": 1796047331500,
//    "crc32": 472456355}
// `crc32` covers the other fields (as written, keys in order): a file that does not match
// it is not read (DataLoss); one without it (an older version's) is.
// `epoch` is the one its frames carry (the server's salt applied). It is what lets a WAL
// whose stream left the table (deleted by another server while records were undelivered,
// or while this server was down) still be delivered: StreamManager drains it by this
// configuration (wal_drainer.h) instead of throwing its records away.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "streams/stream_config.h"

namespace tributary::streams {

struct WalStreamFile {
  StreamConfig config;
  uint64_t epoch = 0;
  int64_t created_ms = 0;
};

inline constexpr char kWalStreamFileName[] = "stream.json";

// Writes `<dir>/stream.json` (the directory is created if missing).
Status SaveWalStreamFile(const std::string& dir, const WalStreamFile& file);
// NotFound if the directory has none; DataLoss naming the file if it does not read.
Result<WalStreamFile> LoadWalStreamFile(const std::string& dir);

}  // namespace tributary::streams
