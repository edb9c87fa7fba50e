#include "serving/capture_writer.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <simdjson.h>

#include "base/base64.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/log_throttle.h"
#include "base/thread_name.h"
#include "expr/value.h"

namespace tributary::serving {

namespace {

constexpr int kFirstBackoffMs = 1000;
constexpr int kMaxBackoffMs = 30000;
constexpr int64_t kHourMs = 3600 * 1000;

bool Listed(const std::vector<std::string>& types, const std::string& type) {
  std::string lower = type.substr(0, type.find(';'));
  while (!lower.empty() && lower.back() == ' ') lower.pop_back();
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(types.begin(), types.end(), lower) != types.end();
}

// {"observedContentType": ..., "mode": ..., "data": ..., "encoding": ...}, written by hand:
// a body is tens of KB (a DeepAR answer with samples) and this runs for every captured
// invocation (serving_capture_bench).
void AppendBody(const DataCaptureConfig& c, const char* mode, const std::string& type, const std::string& data,
                std::string* out) {
  const char* encoding = "BASE64";
  if (simdjson::validate_utf8(data.data(), data.size())) {
    if (Listed(c.json_content_types, type)) encoding = "JSON";
    if (Listed(c.csv_content_types, type)) encoding = "CSV";
  }
  out->append("{\"observedContentType\":");
  expr::AppendJsonString(type, out);
  out->append(",\"mode\":\"").append(mode).append("\",\"data\":");
  if (encoding[0] == 'B') {
    out->push_back('"');
    out->append(Base64Encode(data));  // nothing in base64's alphabet needs escaping
    out->push_back('"');
  } else {
    expr::AppendJsonString(data, out);
  }
  out->append(",\"encoding\":\"").append(encoding).append("\"}");
}

// "yyyy/mm/dd/hh/mm-ss-mmm-" of a time, UTC.
std::string TimePath(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d/%02d/%02d-%02d-%03d-", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string FormatCaptureLine(const DataCaptureConfig& c, const CapturedEvent& e, const std::string& event_id) {
  std::string out;
  out.reserve((e.input.size() + e.output.size()) * 4 / 3 + 512);
  out.append("{\"captureData\":{");
  if (c.capture_input) {
    out.append("\"endpointInput\":");
    AppendBody(c, "INPUT", e.input_content_type, e.input, &out);
  }
  if (c.capture_output) {
    out.append(c.capture_input ? ",\"endpointOutput\":" : "\"endpointOutput\":");
    AppendBody(c, "OUTPUT", e.output_content_type, e.output, &out);
  }
  out.append("},\"eventMetadata\":{\"eventId\":");
  expr::AppendJsonString(event_id, &out);
  out.append(",\"inferenceTime\":");
  expr::AppendJsonString(FormatIso8601Millis(e.time_ms), &out);
  if (!e.inference_id.empty()) {
    out.append(",\"inferenceId\":");
    expr::AppendJsonString(e.inference_id, &out);
  }
  out.append("},\"eventVersion\":\"0\"}\n");
  return out;
}

CaptureWriter::CaptureWriter(CaptureWriterOptions options) : options_(std::move(options)) {
  MetricsRegistry& m = *options_.metrics;
  records_ = m.NewCounter("tributary_capture_records_total", "Invocations captured for the lake");
  objects_ = m.NewCounter("tributary_capture_objects_total", "Capture objects written to the lake");
  bytes_ =
      m.NewCounter("tributary_capture_bytes_total", "Bytes of capture objects written to the lake");
  failures_ = m.NewCounter("tributary_capture_write_failures_total",
                           "Capture objects the lake refused (retried)");
  dropped_ = m.NewCounter("tributary_capture_dropped_records_total",
                          "Captured invocations never written (too much waiting, or stopping)");
  buffered_ = m.NewGauge("tributary_capture_buffered_bytes", "Captured bytes not yet in the lake");
  thread_ = std::thread([this] {
    SetThreadName("capture");
    Run();
  });
}

CaptureWriter::~CaptureWriter() { Stop(); }

int64_t CaptureWriter::Now() const { return options_.now_ms ? options_.now_ms() : WallMillis(); }

bool CaptureWriter::Add(std::shared_ptr<const DataCaptureConfig> c, CapturedEvent e) {
  Event ev{std::move(c), std::move(e)};
  const size_t bytes = ev.bytes();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || event_bytes_ + bytes > options_.max_waiting_bytes) {  // stopping, or far behind
    dropped_->Add();
    return false;
  }
  event_bytes_ += bytes;
  buffered_->Add(static_cast<int64_t>(bytes));
  records_->Add();
  events_.push_back(std::move(ev));
  if (events_.size() == 1) wake_.notify_all();
  return true;
}

void CaptureWriter::FormatEvents() {
  std::lock_guard<std::mutex> formatting(format_mu_);
  std::vector<Event> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(events_);
  }
  if (events.empty()) return;
  std::vector<std::string> lines;
  lines.reserve(events.size());
  for (const Event& ev : events) lines.push_back(FormatCaptureLine(*ev.config, ev.event, NewUuid()));
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < events.size(); ++i) {
    event_bytes_ -= events[i].bytes();
    buffered_->Add(-static_cast<int64_t>(events[i].bytes()));
    Append(*events[i].config, events[i].event, std::move(lines[i]));
  }
}

void CaptureWriter::Append(const DataCaptureConfig& c, const CapturedEvent& e, std::string line) {
  const std::string dir = c.prefix + e.endpoint + "/" + e.variant + "/";
  const std::string id = c.bucket + "\n" + dir;
  auto it = buffers_.find(id);
  if (it != buffers_.end() && it->second.first_ms / kHourMs != e.time_ms / kHourMs) {
    Seal(it->second);  // objects never span an hour: their folder names it
    buffers_.erase(it);
    it = buffers_.end();
  }
  if (it == buffers_.end()) {
    Buffer b;
    b.bucket = c.bucket;
    b.dir = dir;
    b.first_ms = e.time_ms;
    b.deadline_ms = Now() + int64_t{c.flush_interval_s} * 1000;
    it = buffers_.emplace(id, std::move(b)).first;
    wake_.notify_all();  // a deadline the writer may not be waiting for
  }
  it->second.data += line;
  ++it->second.records;
  buffered_->Add(static_cast<int64_t>(line.size()));
  if (it->second.data.size() >= options_.object_bytes) {
    Seal(it->second);
    buffers_.erase(it);
  }
}

void CaptureWriter::Seal(Buffer& b) {
  Object o;
  o.bucket = b.bucket;
  o.key = b.dir + TimePath(b.first_ms) + NewUuid() + ".jsonl";
  o.data = std::move(b.data);
  o.records = b.records;
  waiting_bytes_ += o.data.size();
  waiting_.push_back(std::move(o));
  wake_.notify_all();  // sealed by Flush or a request's thread: the writer may be asleep
  // Too much waiting for a lake that fails: the oldest go (not the one being written,
  // which is out of the queue, nor this one).
  while (waiting_bytes_ > options_.max_waiting_bytes && waiting_.size() > 1) {
    auto victim = waiting_.begin();
    dropped_->Add(victim->records);
    waiting_bytes_ -= victim->data.size();
    buffered_->Add(-static_cast<int64_t>(victim->data.size()));
    static LogThrottle throttle(10000);
    if (uint64_t held; throttle.Allow(&held)) {
      Logger("serving")->error(
          "data capture: dropped {} captured invocations for s3://{}/{}: the lake has not "
          "taken them ({} similar drops not logged)",
          victim->records, victim->bucket, victim->key, held);
    }
    waiting_.erase(victim);
  }
}

Status CaptureWriter::WriteWaiting(bool now) {
  std::lock_guard<std::mutex> writing(write_mu_);
  while (true) {
    Object o;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (waiting_.empty()) return Status::Ok();
      if (!now && Now() < retry_at_ms_) return Status::Ok();  // a failure while this one waited
      o = std::move(waiting_.front());  // out of the queue while written; back at its head if it fails
      waiting_.pop_front();
    }
    Status st = [&]() -> Status {
      TRY_ASSIGN(auto bucket, options_.lake->Bucket(o.bucket));
      return bucket->Put(o.key, o.data);
    }();
    std::lock_guard<std::mutex> lock(mu_);
    if (!st.ok()) {
      failures_->Add();
      backoff_ms_ = std::clamp(backoff_ms_ * 2, kFirstBackoffMs, kMaxBackoffMs);
      retry_at_ms_ = Now() + backoff_ms_;
      static LogThrottle throttle(10000);
      if (uint64_t held; throttle.Allow(&held)) {
        Logger("serving")->warn(
            "data capture: cannot write s3://{}/{} ({} invocations), retrying in {} ms: {} "
            "({} similar failures not logged)",
            o.bucket, o.key, o.records, backoff_ms_, st.ToString(), held);
      }
      st = st.WithContext("data capture object s3://" + o.bucket + "/" + o.key);
      waiting_.push_front(std::move(o));
      wake_.notify_all();  // the writer may have gone to sleep while it was out of the queue
      return st;
    }
    backoff_ms_ = 0;
    retry_at_ms_ = 0;
    objects_->Add();
    bytes_->Add(o.data.size());
    waiting_bytes_ -= o.data.size();
    buffered_->Add(-static_cast<int64_t>(o.data.size()));
  }
}

Status CaptureWriter::Flush() {
  FormatEvents();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, b] : buffers_) Seal(b);
    buffers_.clear();
  }
  return WriteWaiting(/*now=*/true);
}

void CaptureWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!events_.empty()) {
      lock.unlock();
      FormatEvents();
      lock.lock();
      continue;
    }
    const int64_t now = Now();
    int64_t next = INT64_MAX;
    for (auto it = buffers_.begin(); it != buffers_.end();) {
      if (it->second.deadline_ms <= now) {
        Seal(it->second);
        it = buffers_.erase(it);
      } else {
        next = std::min(next, it->second.deadline_ms);
        ++it;
      }
    }
    if (!waiting_.empty()) {
      if (now >= retry_at_ms_) {
        lock.unlock();
        (void)WriteWaiting(/*now=*/false);  // failures are logged and counted there
        lock.lock();
        continue;
      }
      next = std::min(next, retry_at_ms_);
    }
    if (next == INT64_MAX) {
      wake_.wait(lock);
    } else {
      // Bounded, so that a clock other than the steady one (tests) is read again.
      wake_.wait_for(lock, std::chrono::milliseconds(std::clamp<int64_t>(next - now, 1, 250)));
    }
  }
}

void CaptureWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  Status st = Flush();
  std::lock_guard<std::mutex> lock(mu_);
  if (!st.ok()) {
    uint64_t lost = 0;
    for (const Object& o : waiting_) lost += o.records;
    dropped_->Add(lost);
    Logger("serving")->error("data capture: {} captured invocations not written at stop: {}", lost,
                             st.ToString());
  }
}

CaptureWriter::Stats CaptureWriter::stats() const {
  Stats s;
  s.records = records_->Value();
  s.objects = objects_->Value();
  s.bytes = bytes_->Value();
  s.failures = failures_->Value();
  s.dropped = dropped_->Value();
  s.buffered_bytes = buffered_->Value();
  return s;
}

}  // namespace tributary::serving
