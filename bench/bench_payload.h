// The load generator's message payload: a JSON object shaped like the reference
// device's pollution reading (ozone, particulate matter, ... , timestamp), plus the
// fields the subscriber needs to measure delivery:
//
//   {"ozone":41,"particulate_matter":7,...,"timestamp":"2026-11-29T22:10:00.000Z",
//    "p":3,"s":1207,"t":8123456789,"x":"xxxx"}
//
// `p` is the publisher's index, `s` its message sequence number from 0 and `t` the
// time of sending in nanoseconds on the steady clock, counted from an origin the
// caller chooses (the load generator's start: publisher and subscriber run in the
// same process, and short numbers keep the payload small). `x` pads the object to
// exactly the requested size; a 250-byte payload always fits. Pure functions; safe
// from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::bench {

struct PayloadFields {
  uint32_t pub = 0;
  uint64_t seq = 0;
  int64_t sent_ns = 0;
};

// Writes a payload of exactly `size` bytes into `out` (replacing its contents).
// Returns false when `size` is too small to hold the fields.
bool MakePayload(const PayloadFields& fields, size_t size, std::string* out);

// Reads the delivery fields back; nullopt when one is missing or not a number.
std::optional<PayloadFields> ParsePayload(std::string_view payload);

}  // namespace tributary::bench
