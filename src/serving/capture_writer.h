// Data capture: the sampled requests and answers of endpoints (an endpoint config's
// DataCaptureConfig, resources.h) written to the lake as JSON Lines in SageMaker's
// capture format, so that what the models were asked and answered can be crawled,
// queried and compared with what happened next.
//
// One line per invocation:
//   {"captureData": {"endpointInput": {"observedContentType": "application/json",
//      "mode": "INPUT", "data": "{\"instances\": ...}", "encoding": "JSON"},
//    "endpointOutput": {..., "mode": "OUTPUT", ...}},
//    "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-12-02T10:00:00.123Z",
//      "inferenceId": "<X-Amzn-SageMaker-Inference-Id, when given>"},
//    "eventVersion": "0"}
// A body whose content type the config lists is kept as text ("JSON" or "CSV"); any
// other body, or one that is not valid UTF-8, as base64 ("BASE64").
//
// Objects: <destination prefix><endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl,
// the hour (UTC) and name from the object's first line. Each variant buffers its lines in
// memory; the buffer becomes an object after the config's FlushIntervalInSeconds, at 8 MiB,
// when the hour changes, and at Flush/Stop. A request's thread only hands its event over;
// formatting and writing happen on the writer's thread: a lake that fails is retried with
// backoff (1 s doubling to 30 s) while
// later objects wait behind it; past 64 MiB waiting, the oldest objects are dropped and
// counted. Capture is best-effort, as SageMaker's is: lines still in memory when the
// process dies are lost (a clean stop writes them).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "serving/resources.h"

namespace tributary::serving {

// What one sampled invocation leaves for the lake.
struct CapturedEvent {
  std::string endpoint;
  std::string variant;
  int64_t time_ms = 0;       // when the answer came (inferenceTime)
  std::string inference_id;  // "" when the request named none
  std::string input_content_type;
  std::string input;
  std::string output_content_type;
  std::string output;
};

// The event's line (with its '\n'), keeping what `c` asks for (input, output or both).
std::string FormatCaptureLine(const DataCaptureConfig& c, const CapturedEvent& e,
                              const std::string& event_id);

struct CaptureWriterOptions {
  objstore::ObjectStoreProvider* lake = nullptr;  // required
  MetricsRegistry* metrics = nullptr;             // required
  size_t object_bytes = 8u << 20;                 // a buffer this large becomes an object at once
  size_t max_waiting_bytes = 64u << 20;  // objects not yet written, beyond which the oldest go
  std::function<int64_t()> now_ms;       // wall clock; tests set their own
};

class CaptureWriter {
 public:
  explicit CaptureWriter(CaptureWriterOptions options);
  ~CaptureWriter();  // Stop()

  // Hands the event over for its variant's buffer; never waits for the lake or formats.
  // False when it was dropped instead (stopping, or too much waiting), as counted.
  bool Add(std::shared_ptr<const DataCaptureConfig> c, CapturedEvent e);

  // Formats every event handed over, turns every buffer into an object and writes every
  // waiting object now. The first error; what failed stays waiting for the thread's next
  // try.
  Status Flush();

  // Flush, then end the thread. Later Adds are dropped and counted.
  void Stop();

  struct Stats {
    uint64_t records = 0;        // events accepted
    uint64_t objects = 0;        // objects written
    uint64_t bytes = 0;          // bytes written
    uint64_t failures = 0;       // failed writes (each retried)
    uint64_t dropped = 0;        // events that will never be written
    int64_t buffered_bytes = 0;  // events' bodies, buffers and waiting objects
  };
  Stats stats() const;

 private:
  struct Buffer {
    std::string bucket;
    std::string dir;  // "<prefix><endpoint>/<variant>/"
    std::string data;
    uint64_t records = 0;
    int64_t first_ms = 0;
    int64_t deadline_ms = 0;
  };
  struct Object {
    std::string bucket;
    std::string key;
    std::string data;
    uint64_t records = 0;
  };

  struct Event {
    std::shared_ptr<const DataCaptureConfig> config;
    CapturedEvent event;
    size_t bytes() const { return event.input.size() + event.output.size(); }  // as counted in buffered_
  };

  void Append(const DataCaptureConfig& c, const CapturedEvent& e, std::string line);  // mu_ held
  void Seal(Buffer& b);  // mu_ held
  void FormatEvents();
  // In order, until one fails; `now` ignores the backoff (Flush), else it is respected.
  Status WriteWaiting(bool now);
  void Run();
  int64_t Now() const;

  CaptureWriterOptions options_;
  Counter* records_;
  Counter* objects_;
  Counter* bytes_;
  Counter* failures_;
  Counter* dropped_;
  Gauge* buffered_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Event> events_;  // handed over, not yet formatted
  size_t event_bytes_ = 0;
  std::map<std::string, Buffer> buffers_;  // by bucket, '\n', dir
  std::deque<Object> waiting_;  // oldest first; the one being written is out of it
  size_t waiting_bytes_ = 0;     // of waiting_ and the one being written
  int64_t retry_at_ms_ = 0;       // after a failed write
  int backoff_ms_ = 0;

  std::mutex format_mu_;  // one formatter of `events_` at a time, so that Flush sees all
  std::mutex write_mu_;   // one writer of `waiting_` at a time (the thread, Flush)
  std::thread thread_;
};

}  // namespace tributary::serving
