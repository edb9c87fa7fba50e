// Byte sinks and sources under the writer and reader, so both work on files and
// on memory (tests, fuzzing, objects headed for the object store).
// Each object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::parquet {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Close() = 0;
  virtual uint64_t position() const = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly `len` bytes at `offset` into `out`; fails if the range is not
  // inside the source.
  virtual Status ReadAt(uint64_t offset, size_t len, std::string* out) = 0;
};

// Writes to `path` (created or truncated) through a temporary file renamed into
// place on Close(), so readers never see half a file.
Result<std::unique_ptr<Sink>> OpenFileSink(const std::string& path);
// Appends to *out, which must outlive the sink.
std::unique_ptr<Sink> MakeStringSink(std::string* out);

Result<std::unique_ptr<Source>> OpenFileSource(const std::string& path);
// Reads from `data`, which must outlive the source.
std::unique_ptr<Source> MakeMemorySource(std::string_view data);

}  // namespace tributary::parquet
