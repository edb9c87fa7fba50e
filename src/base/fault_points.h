// Named fault-injection points: where code can fail in a way a test cannot provoke for
// real (an fdatasync that returns EIO), it asks InjectedFault("<area>.<call>") first and
// fails as the call would when a test has armed that name. Nothing is ever armed outside
// tests; an unarmed point costs one relaxed atomic load.
//
//   if (int err = InjectedFault("wal.fdatasync")) { errno = err; return -1; }
//   return ::fdatasync(fd);
//
//   testing_support::ArmFault("wal.fdatasync", EIO);  // in a test: the next call fails
//
// Points in use: "wal.fdatasync", "wal.fsync_dir" and "wal.open_direct" (streams/wal.cc),
// "streams.stop_flush" (streams/delivery_stream.cc), "thread.start:<thread name>"
// (base/start_thread.h). Thread-safe.
#pragma once

#include <string_view>

namespace tributary {

// The errno the point `name` fails with this time, or 0 to go on with the real call.
int InjectedFault(std::string_view name);

namespace testing_support {
// The next `times` hits of `name` fail with `err`.
void ArmFault(std::string_view name, int err, int times = 1);
// Disarms every point.
void DisarmFaults();
}  // namespace testing_support

}  // namespace tributary
