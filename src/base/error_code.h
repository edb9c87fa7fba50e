// The one registry of error codes. Every Status carries one of these; the HTTP API
// maps them to statuses and the broker to MQTT reason codes, so the mapping lives
// here and nowhere else. docs/errors.md lists them for users.
#pragma once

#include <string_view>

namespace tributary {

enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument = 1,     // the caller's input is malformed or out of range
  kNotFound = 2,            // a named resource does not exist
  kAlreadyExists = 3,       // creating a resource whose name is taken
  kPermissionDenied = 4,    // authenticated, but not allowed
  kUnauthenticated = 5,     // no or wrong credentials
  kFailedPrecondition = 6,  // the system is not in a state that allows this
  kResourceExhausted = 7,   // a limit was hit (size, quota, queue)
  kUnavailable = 8,         // transient: retry later
  kCancelled = 9,           // the caller or an operator cancelled the work
  kDeadlineExceeded = 10,   // it took too long
  kDataLoss = 11,           // stored data is corrupt or truncated
  kIoError = 12,            // the OS refused a read or write
  kProtocolError = 13,      // a peer broke a wire protocol
  kUnimplemented = 14,      // asked for something this build does not do
  kInternal = 15,           // a bug: an invariant did not hold
  kOutOfRange = 16,         // a read starts past the end of what it reads
};

// The last code, for code that goes through them all.
inline constexpr ErrorCode kLastErrorCode = ErrorCode::kOutOfRange;

// Stable lower-case name, e.g. "not_found"; used in JSON error bodies and logs.
std::string_view ErrorCodeName(ErrorCode code);

// The HTTP status the API answers with for an error of this code.
int HttpStatusFor(ErrorCode code);

}  // namespace tributary
