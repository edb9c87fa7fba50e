// Splits the text of a raw lake object into its JSON records, the way Firehose and
// devices write them:
//   {"a":1}\n{"a":2}\n      newline-separated (JSON Lines)
//   {"a":1}{"a":2}          concatenated (Firehose with no separator)
//   {"a":1},{"a":2}         comma-separated (Firehose with a ',' separator)
// Whitespace and commas between top-level values are skipped; a UTF-8 byte-order mark
// at the start too. The splitter only frames values (balanced {} / [] outside strings);
// parsing each one is the caller's job, so one bad record does not hide the others.
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "base/status.h"

namespace tributary::lake {

// Where a record starts in its object: byte offset and 1-based line.
struct RecordPosition {
  size_t offset = 0;
  size_t line = 1;
};

// Calls `fn` with each top-level value. Stops at a value that never ends (an unclosed
// brace or string) and returns kInvalidArgument naming its line and offset; the
// records before it have been handed to `fn`. `fn` returns false to stop early.
// `start` is where `text` begins in its object, when it is the rest of one (positions
// are then counted from there, and a byte-order mark is not looked for).
Status SplitJsonRecords(std::string_view text,
                        const std::function<bool(std::string_view record, RecordPosition)>& fn,
                        RecordPosition start = {});

}  // namespace tributary::lake
