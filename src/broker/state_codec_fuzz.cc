// libFuzzer target for the broker's saved state (state_codec.h): the sessions and retained
// messages in <data-dir>/broker/broker.db are read back at every start, and a damaged row
// must be skipped with an error naming what is wrong, never crash the broker or bring back
// something that does not encode again. Checks, for a message and for a session:
//   - decoding gives a value or kDataLoss with a message;
//   - a value decoded encodes to bytes that decode again, and encode to the same bytes.
// Input: byte 0's low bit picks a message or a session; the rest is the row's data.
// Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "broker/state_codec.h"

namespace {

using tributary::ErrorCode;

template <typename Result>
void CheckError(const Result& r) {
  if (r.status().code() != ErrorCode::kDataLoss || r.status().message().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view row(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace tributary::broker;
  if (data[0] % 2 == 0) {
    auto message = DecodeMessage(row);
    if (!message.ok()) {
      CheckError(message);
      return 0;
    }
    const std::string bytes = EncodeMessage(**message);
    auto again = DecodeMessage(bytes);
    if (!again.ok() || EncodeMessage(**again) != bytes) std::abort();
  } else {
    auto session = DecodeSession(row);
    if (!session.ok()) {
      CheckError(session);
      return 0;
    }
    const std::string bytes = EncodeSession(*session);
    auto again = DecodeSession(bytes);
    if (!again.ok() || EncodeSession(*again) != bytes) std::abort();
  }
  return 0;
}
