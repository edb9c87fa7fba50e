// Parses every record of a raw lake object (JSON Lines, `{..}{..}`, `{..},{..}`, a JSON
// array of records; json_records.h) in one pass with simdjson's document stream, and
// falls back to framing then parsing record by record where the stream cannot go on,
// so a bad record is still reported alone, by its line, and the records after it are
// still read.
//
// Why two paths: the stream parses a whole object without a separate framing pass and
// without a parse per record, which were most of the cost of reading an object; but it
// stops at the first error, cannot continue past it, and does not accept commas between
// records or text it would frame differently (a top-level scalar). It parses a copy of
// the object followed by blank padding, never the object in place: simdjson 3.0.1 reads
// past the end of what it parses, and took malformed values for valid ones when other
// records followed them. From the end of the last record it delivered, the rest of the
// object then goes through SplitJsonRecords and a parse per record, exactly as before. Either way each record is delivered once,
// in order, and a record that does not parse is delivered with simdjson's message.
//
// Not thread-safe: one JsonRecordStream per thread (it owns a simdjson parser and
// buffers, kept across objects so that they are not allocated again).
//
//   JsonRecordStream records;
//   Status framing = records.ForEach(text, [&](const JsonRecord& r) {
//     if (!r.error.empty()) return Reject(records.LineOf(r.offset), r.text, r.error);
//     return Use(r.value);
//   });
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "base/status.h"

namespace tributary::lake {

// One top-level value of an object: an object (a record), an array (a batch of them)
// or a scalar, or a value that is not valid JSON.
struct JsonRecord {
  simdjson::dom::element value;  // when `error` is empty; valid until the next record
  std::string_view text;         // the value's JSON text, in the object's text
  size_t offset = 0;             // where it starts in the object's text
  std::string_view error;        // why it is not valid JSON (simdjson's message), or empty
};

class JsonRecordStream {
 public:
  // `batch_bytes`: how much the document stream parses at once; a record longer than
  // that is read by the per-record path.
  explicit JsonRecordStream(size_t batch_bytes = kDefaultBatchBytes);

  // Calls `fn` with each top-level value of `text` (which need not be padded and must
  // stay unchanged during the call). `fn` returns false to stop early. Returns
  // kInvalidArgument, naming line and offset, for a value that never ends (an unclosed
  // brace or string; the values before it have been delivered), as SplitJsonRecords.
  Status ForEach(std::string_view text, const std::function<bool(const JsonRecord&)>& fn);

  // The 1-based line of `offset` in the text of the current ForEach call. Cheap for
  // offsets that grow from call to call (it counts newlines from the last one).
  size_t LineOf(size_t offset);

  // How many values the last ForEach delivered through the per-record path (tests).
  size_t fallback_values() const { return fallback_values_; }

  // Smaller batches keep a batch's text and structural indexes in cache between the
  // two stages (1 MiB was about 10 % slower than 128–256 KiB in etl_bench).
  static constexpr size_t kDefaultBatchBytes = 256 << 10;

 private:
  enum class Stop { kEnd, kCaller, kStream };
  // Streams the `length` bytes of `buffer` (a padded copy of text_ from text offset
  // `base`); sets *resume to the text offset after the last value delivered.
  Stop Stream(const char* buffer, size_t base, size_t length, const std::function<bool(const JsonRecord&)>& fn,
              size_t* resume);
  // The per-record path from text offset `from` to the end.
  Status Fallback(size_t from, const std::function<bool(const JsonRecord&)>& fn);

  size_t batch_bytes_;
  simdjson::dom::parser parser_;
  std::string padded_;  // the padded copy the stream, then the per-record path, parse
  std::string_view text_;
  size_t line_offset_ = 0, line_ = 1;  // LineOf's last answer
  size_t fallback_values_ = 0;
};

}  // namespace tributary::lake
