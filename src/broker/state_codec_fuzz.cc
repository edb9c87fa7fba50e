// libFuzzer target for the broker's saved state (state_codec.h): the sessions, retained
// messages and delayed wills in <data-dir>/broker/broker.db are read back at every start, and a
// damaged row must be skipped with an error naming what is wrong, never crash the broker or bring
// back something that does not encode again. Checks, for a message, a session and a delayed will:
//   - decoding gives a value or kDataLoss with a message;
//   - a value decoded encodes to bytes that decode again, and encode to the same bytes.
// Input: byte 0 modulo 3 picks a message, a session or a will; the rest is the row's data.
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

// Decodes `row`; a value must encode to bytes that decode again to the same bytes.
template <typename Decode, typename Encode>
void RoundTrip(std::string_view row, Decode decode, Encode encode) {
  auto value = decode(row);
  if (!value.ok()) {
    CheckError(value);
    return;
  }
  const std::string bytes = encode(*value);
  auto again = decode(bytes);
  if (!again.ok() || encode(*again) != bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view row(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace tributary::broker;
  switch (data[0] % 3) {
    case 0:
      RoundTrip(row, DecodeMessage, [](const MessagePtr& m) { return EncodeMessage(*m); });
      break;
    case 1:
      RoundTrip(row, DecodeSession, EncodeSession);
      break;
    default:
      RoundTrip(row, DecodeWill, EncodeWill);
      break;
  }
  return 0;
}
