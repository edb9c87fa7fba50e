#include "lake/json_record_stream.h"

#include <algorithm>

#include "lake/json_record_parse.h"
#include "lake/json_records.h"

namespace tributary::lake {
namespace {

constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool OnlySpace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), IsJsonSpace);
}

}  // namespace

JsonRecordStream::JsonRecordStream(size_t batch_bytes) : batch_bytes_(batch_bytes) {
  // The stream would otherwise run stage 1 of the next batch on a thread of its own;
  // an ETL run already keeps every core busy with one worker each.
  parser_.threaded = false;
}

size_t JsonRecordStream::LineOf(size_t offset) {
  offset = std::min(offset, text_.size());
  if (offset < line_offset_) {
    line_offset_ = 0;
    line_ = 1;
  }
  line_ += static_cast<size_t>(std::count(text_.data() + line_offset_, text_.data() + offset, '\n'));
  line_offset_ = offset;
  return line_;
}

Status JsonRecordStream::ForEach(std::string_view text, const std::function<bool(const JsonRecord&)>& fn) {
  text_ = text;
  line_offset_ = 0;
  line_ = 1;
  fallback_values_ = 0;
  const size_t begin = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  if (OnlySpace(text.substr(begin))) return Status::Ok();

  // The stream parses a copy followed by blank padding. Parsed in place, simdjson 3.0.1
  // reads past the end of what it parses, and what it finds there changes its verdict: a
  // malformed value came out as a valid one ('{"a"1}}' as {"a":1}, '{"a":"s""b":1}' as
  // {"a":"s"}) when the next record followed. The copy is reused from object to object.
  const size_t rest = text.size() - begin;
  padded_.reserve(rest + kPadding);
  padded_.assign(text.data() + begin, rest);
  padded_.append(kPadding, ' ');
  size_t resume = begin;
  switch (Stream(padded_.data(), begin, rest, fn, &resume)) {
    case Stop::kCaller: return Status::Ok();
    case Stop::kStream: return Fallback(resume, fn);
    case Stop::kEnd: break;
  }
  // The stream leaves a value it sees no end of; the per-record path names it.
  if (!OnlySpace(text.substr(resume))) return Fallback(resume, fn);
  return Status::Ok();
}

JsonRecordStream::Stop JsonRecordStream::Stream(const char* buffer, size_t base, size_t length,
                                                const std::function<bool(const JsonRecord&)>& fn,
                                                size_t* resume) {
  *resume = base;
  simdjson::dom::document_stream docs;
  if (parser_.parse_many(buffer, length, batch_bytes_).get(docs)) return Stop::kStream;
  for (auto it = docs.begin(); it != docs.end(); ++it) {
    JsonRecord r;
    if ((*it).get(r.value)) return Stop::kStream;
    r.offset = base + it.current_index();
    const auto type = r.value.type();
    if (type != simdjson::dom::element_type::OBJECT && type != simdjson::dom::element_type::ARRAY) {
      // A top-level scalar: SplitJsonRecords frames those its own way.
      *resume = r.offset;
      return Stop::kStream;
    }
    r.text = text_.substr(r.offset, it.source().size());
    if (!fn(r)) return Stop::kCaller;
    *resume = r.offset + r.text.size();
  }
  return Stop::kEnd;
}

Status JsonRecordStream::Fallback(size_t from, const std::function<bool(const JsonRecord&)>& fn) {
  const size_t rest = text_.size() - from;
  const RecordPosition start{from, LineOf(from)};
  padded_.reserve(rest + kPadding);  // records are parsed in place
  padded_.assign(text_.data() + from, rest);
  padded_.append(kPadding, ' ');
  return SplitJsonRecords(
      std::string_view(padded_.data(), rest),
      [&](std::string_view record, RecordPosition pos) -> bool {
        ++fallback_values_;
        line_offset_ = pos.offset;  // LineOf then agrees with the splitter's count
        line_ = pos.line;
        JsonRecord r;
        r.offset = pos.offset;
        r.text = text_.substr(pos.offset, record.size());
        auto error = ParseJsonRecord(parser_, record, /*padded=*/true).get(r.value);
        if (error) r.error = simdjson::error_message(error);
        return fn(r);
      },
      start);
}

}  // namespace tributary::lake
