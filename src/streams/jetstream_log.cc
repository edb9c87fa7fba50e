#include "streams/jetstream_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>

#include "base/clock.h"
#include "base/fnv1a.h"
#include "base/log.h"
#include "base/start_thread.h"

namespace tributary::streams {
namespace {

// 64 bits of FNV-1a over the JetStream stream's name and creation time: every server
// computes the same, and a stream made again gets another.
uint64_t SharedEpoch(const std::string& js_stream, const std::string& created) {
  return Fnv1a64(js_stream + "\n" + created);
}

constexpr char kArrivalHeader[] = "Tributary-Arrival-Ms";
constexpr char kRecordsHeader[] = "Tributary-Records";  // a batch: its number of records
constexpr uint64_t kMaxPerMessage = uint64_t(1) << kJetStreamIndexBits;
constexpr int64_t kRefreshEveryNs = 100'000'000;
// How long a log's JetStream stream (or consumer) must have been found gone before the
// log makes it again (JetStreamLog::Restore): a delete under way, another server's or an
// operator's, is over by then. nats-server 2.9 lets a stream be created while one of the
// same name is still being deleted, and the new stream's consumer then never hands out
// the messages it holds (its info says 1 pending and 1 pull waiting, for ever).
constexpr int64_t kRestoreAfterNs = 1'000'000'000;
// After an attempt that failed or was refused, the wait before the next doubles up to this
// (a NATS server without room for the stream, a stream left the table): each attempt costs
// a database query and JetStream requests.
constexpr int64_t kMaxRestoreWaitNs = 30'000'000'000;
// The most delivered sequence numbers remembered against redeliveries (the oldest go).
constexpr size_t kMaxRemembered = 2'000'000;

const std::shared_ptr<spdlog::logger>& Log() {
  static const auto log = Logger("streams");
  return log;
}

}  // namespace

uint64_t JetStreamDeliveredThrough(uint64_t through, std::string* created,
                                   const nats::StreamState& state) {
  uint64_t through_message = state.messages == 0 ? state.last_seq : state.first_seq - 1;
  // Every record of those messages.
  uint64_t reported = through_message == 0 ? 0 : JetStreamLastRecordSeq(through_message);
  if (state.created != *created) {
    *created = state.created;
    return reported;
  }
  return std::max(through, reported);
}

// ---- JetStreamLog ----

thread_local const JetStreamLog* JetStreamLog::publishing_ = nullptr;
thread_local std::vector<JetStreamLog::Deferred> JetStreamLog::deferred_;

JetStreamLog::JetStreamLog(const JetStreamLogOptions& options, nats::JetStream* js,
                           std::string stream, RecordLogHooks hooks, const nats::StreamState& state,
                           RestoreFn restore)
    : options_(options),
      js_(js),
      stream_(std::move(stream)),
      js_stream_(JetStreamName(stream_)),
      subject_(JetStreamSubject(stream_)),
      hooks_(std::move(hooks)),
      restore_(std::move(restore)) {
  restore_wait_ns_ = kRestoreAfterNs;
  // Every record of the last message held.
  if (state.messages > 0) held_at_open_ = JetStreamLastRecordSeq(state.last_seq);
  ApplyState(state, 0);  // the epoch
}

JetStreamLog::~JetStreamLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // A batch still filling (none once the stream has waited for its appends) goes now.
  {
    std::lock_guard<std::mutex> lock(batch_mu_);
    if (!filling_.waiting.dones.empty()) PublishFillingLocked();
  }
  AnswerDeferred();
  // The PubAcks of what was appended: their callers are owed an answer, and the stream
  // waits for them before it lets this log go. NATS answers every request within its
  // timeout; what it has not answered by then is answered here.
  std::unordered_map<uint64_t, Waiting> unanswered;
  {
    Outstanding& o = *outstanding_;
    std::unique_lock<std::mutex> lock(o.mu);
    o.cv.wait_for(lock, std::chrono::milliseconds(options_.publish_timeout_ms + 1000),
                  [&] { return o.waiting.empty(); });
    o.cv.wait(lock, [&] { return o.answering == 0; });  // callbacks in progress are short
    o.closed = true;
    unanswered.swap(o.waiting);
  }
  for (auto& [token, w] : unanswered) {
    Answer(w, Unavailable(fmt::format("stream '{}': stopped before JetStream answered", stream_)),
           0);
  }
  if (puller_.joinable()) puller_.join();
  std::map<uint64_t, Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held.swap(held_);
  }
  for (const auto& [seq, h] : held) Sent(js_->Nak(h.ack_subject));
  if (!held.empty()) {
    Log()->info("stream={} gave {} messages of undelivered records back to JetStream stream={}",
                stream_, held.size(), js_stream_);
  }
}

uint64_t JetStreamLog::Append(std::string_view data, int64_t arrival_ms, DoneFn done) {
  Waiting w{{}, data.size(), SteadyNanos(), 0};
  w.dones.push_back(std::move(done));
  PublishMessage(std::string(data), /*batch=*/false, 1, arrival_ms, std::move(w));
  return 0;
}

void JetStreamLog::AppendAll(std::string_view data, std::vector<LogEntry>& entries) {
  if (options_.batch_bytes == 0) {
    for (LogEntry& e : entries) Append(data.substr(e.offset, e.size), e.arrival_ms, std::move(e.done));
    return;
  }
  auto framed_size = [&](const LogEntry& e) {
    return e.size + kFrameHeaderBytes + kFrameFixedBodyBytes;
  };
  {
    std::lock_guard<std::mutex> lock(batch_mu_);
    for (size_t i = 0; i < entries.size(); ++i) {
      LogEntry& e = entries[i];
      if (e.together > 1 && i + e.together <= entries.size()) {
        // Records put together go in one message, which JetStream takes or refuses whole,
        // when they fit one: a batch that has no room for them all goes first. (More than
        // a message holds are split as any records are.)
        size_t group = 0;
        for (size_t j = i; j < i + e.together; ++j) group += framed_size(entries[j]);
        if (group <= options_.batch_bytes && e.together < kMaxPerMessage &&
            !filling_.waiting.dones.empty() &&
            (filling_.body.size() + group > options_.batch_bytes ||
             filling_.waiting.dones.size() + e.together >= kMaxPerMessage)) {
          PublishFillingLocked();  // full for them: it goes now, whatever the window
        }
      }
      std::string_view record = data.substr(e.offset, e.size);
      const size_t framed = framed_size(e);
      if (framed > options_.batch_bytes) {
        // Alone, as large as NATS takes it, after the records before it.
        if (!filling_.waiting.dones.empty()) PublishFillingLocked();
        publishing_ = this;
        Append(record, e.arrival_ms, std::move(e.done));
        publishing_ = nullptr;
        continue;
      }
      Waiting& w = filling_.waiting;
      if (filling_.body.size() + framed > options_.batch_bytes ||
          w.dones.size() + 1 >= kMaxPerMessage) {
        PublishFillingLocked();  // full: it goes now, whatever the window
      }
      if (w.dones.empty()) {
        w.started_ns = SteadyNanos();
        w.first_index = 1;
        w.windowed = true;
      }
      EncodeFrame(0, w.dones.size() + 1, e.arrival_ms, record, &filling_.body);
      w.bytes += record.size();
      w.dones.push_back(std::move(e.done));
    }
    PublishIfRoomLocked();
  }
  AnswerDeferred();
}

void JetStreamLog::PublishFillingLocked() {
  Filling f = std::move(filling_);
  filling_ = Filling{};
  const size_t n = f.waiting.dones.size();
  ++in_flight_;
  publishing_ = this;
  PublishMessage(std::move(f.body), /*batch=*/true, n, 0, std::move(f.waiting));
  publishing_ = nullptr;
}

void JetStreamLog::PublishIfRoomLocked() {
  if (!filling_.waiting.dones.empty() && in_flight_ < options_.publish_window) {
    PublishFillingLocked();
  }
}

void JetStreamLog::AnswerDeferred() {
  while (!deferred_.empty()) {
    std::vector<Deferred> answers;
    answers.swap(deferred_);
    for (Deferred& d : answers) {
      Waiting w;
      if (TakeWaiting(*d.log->outstanding_, d.token, &w)) {
        d.log->OnPublished(std::move(w), d.status, d.seq);
      }
    }
  }
}

void JetStreamLog::PublishMessage(std::string body, bool batch, size_t records, int64_t arrival_ms,
                                  Waiting waiting) {
  uint64_t token;
  {
    std::lock_guard<std::mutex> lock(outstanding_->mu);
    token = outstanding_->next_token++;
    outstanding_->waiting.emplace(token, std::move(waiting));
  }
  nats::Headers headers;
  if (batch) {
    headers.emplace_back(kRecordsHeader, std::to_string(records));
  } else {
    headers.emplace_back(kArrivalHeader, std::to_string(arrival_ms));
  }
  js_->Publish(subject_, body, &headers, options_.publish_timeout_ms,
               [this, token, o = outstanding_](const Status& status, uint64_t seq) {
                 if (publishing_ == this) {
                   // On the publishing thread, under batch_mu_: answered after it.
                   deferred_.push_back({this, token, status, seq});
                   return;
                 }
                 // Touches nothing of the log's once it is closed (the log may be gone).
                 Waiting w;
                 if (TakeWaiting(*o, token, &w)) OnPublished(std::move(w), status, seq);
               });
}

bool JetStreamLog::TakeWaiting(Outstanding& o, uint64_t token, Waiting* w) {
  std::lock_guard<std::mutex> lock(o.mu);
  if (o.closed) return false;
  auto it = o.waiting.find(token);
  if (it == o.waiting.end()) return false;
  *w = std::move(it->second);
  o.waiting.erase(it);
  ++o.answering;
  return true;
}

void JetStreamLog::OnPublished(Waiting w, const Status& status, uint64_t seq) {
  Outstanding& o = *outstanding_;
  if (w.windowed) {
    // Its place in the window: the batch filled meanwhile goes now.
    {
      std::lock_guard<std::mutex> lock(batch_mu_);
      --in_flight_;
      PublishIfRoomLocked();
    }
    AnswerDeferred();
  }
  Answer(w, status, seq);
  std::lock_guard<std::mutex> lock(o.mu);
  // The destructor waits for the map to empty, then for answering to be 0.
  if (--o.answering == 0) o.cv.notify_all();
}

void JetStreamLog::Answer(Waiting& w, const Status& status, uint64_t message_seq) {
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(restoring_mu_);
    if (restoring_) {
      held_answers_.push_back({std::move(w), status, message_seq});
      return;
    }
  }
  Status st = status.ok() ? status
                          : status.WithContext(fmt::format("stream '{}': publishing to {}",
                                                           stream_, subject_));
  if (st.ok()) {
    append_mark_.Acked(JetStreamRecordSeq(message_seq, w.first_index + w.dones.size() - 1),
                       next_report_.load());
  }
  if (!st.ok()) Failed(LogFailure::kPublish);
  LogBatchDone batch{w.dones.size(), w.bytes, SteadyNanos() - w.started_ns};
  if (hooks_.on_batch_done) hooks_.on_batch_done(st, batch);
  for (size_t i = 0; i < w.dones.size(); ++i) {
    w.dones[i](st, st.ok() ? JetStreamRecordSeq(message_seq, w.first_index + i) : 0);
  }
}

Status JetStreamLog::Start() {
  TRY_ASSIGN(puller_, StartThread("jspull:" + stream_, [this] { PullLoop(); }));
  return Status::Ok();
}

void JetStreamLog::PullLoop() {
  int64_t backoff_ms = 100;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    // The stream's buffers are full enough (the lake is slow or down): leave the records
    // in JetStream, where another server may take them, until they drain.
    Status pulled;
    if (!hooks_.may_pull || hooks_.may_pull()) {
      pulled = PullOnce();
    } else {
      WaitUnlessStopping(options_.fetch_wait_ms);
    }
    int64_t now = SteadyNanos();
    TouchHeld(now);
    // The stream's state (what Flush waits for) a few times a second, not at every pull.
    Status refreshed;
    if (now - last_refresh_ns_ >= kRefreshEveryNs) {
      last_refresh_ns_ = now;
      auto state = RefreshState();
      refreshed = state.status();
      held_past_hold_ = state.ok() && IntakeHeldPastItsHold(stream_, *state, WallMillis());
    }
    // The JetStream stream or its consumer gone, or held closed by a delete that stopped
    // half-way: made again, or opened again, once it has been so a while.
    Status lost = pulled.code() == ErrorCode::kNotFound ? pulled : refreshed;
    if (lost.code() != ErrorCode::kNotFound && held_past_hold_) {
      lost = NotFound("it is held closed to records by a delete past the delete's hold");
    }
    if (lost.code() == ErrorCode::kNotFound) {
      if (lost_since_ns_ == 0) {
        lost_since_ns_ = now;
      } else if (now - lost_since_ns_ >= restore_wait_ns_ && Restore(lost)) {
        backoff_ms = 100;
        continue;  // pulls from the stream made again at once
      }
    } else {
      // Only a stream found gone throughout the wait is made again: any other answer (a
      // pull that worked, NATS out of reach) starts the wait over.
      lost_since_ns_ = 0;
      if (pulled.ok()) {
        restore_refused_ = false;
        restore_wait_ns_ = kRestoreAfterNs;
      }
    }
    const bool ok = pulled.ok();
    if (ok) {
      backoff_ms = 100;
      continue;
    }
    WaitUnlessStopping(backoff_ms);
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 5'000);
  }
}

bool JetStreamLog::Restore(const Status& why) {
  if (!restore_) return false;
  // Not if the delivery stream left the streams table (another server deleted it, and
  // the JetStream stream with it), or was created again there (its new incarnation makes
  // its own): the stream manager stops this one when it follows the table.
  Status may = hooks_.may_restore
                   ? hooks_.may_restore()
                   : FailedPrecondition("this server does not make lost JetStream streams again");
  // Whatever the outcome, the next attempt waits longer (reset once a pull works).
  lost_since_ns_ = SteadyNanos();
  restore_wait_ns_ = std::min(restore_wait_ns_ * 2, kMaxRestoreWaitNs);
  if (!may.ok()) {
    if (!restore_refused_) {
      Log()->warn("stream={} JetStream stream={} is gone ({}) and is not made again: {}", stream_,
                  js_stream_, why.message(), may.ToString());
      restore_refused_ = true;
    }
    return false;
  }
  const uint64_t asked = next_report_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(restoring_mu_);
    restoring_ = true;
  }
  auto state = restore_();
  if (!state.ok()) {
    AnswerHeldSinceRestore();
    if (uint64_t held; restore_failed_log_.Allow(&held)) {
      Log()->warn(
          "stream={} JetStream stream={} is gone ({}) and could not be made again (next try in "
          "{} s; {} more failures since the last report): {}",
          stream_, js_stream_, why.message(), restore_wait_ns_ / 1'000'000'000, held,
          state.status().ToString());
    }
    return false;
  }
  Log()->warn(
      "stream={} JetStream stream={} was gone ({}): made again (created {}), it takes "
      "and hands out records again",
      stream_, js_stream_, why.message(), state->created);
  lost_since_ns_ = 0;
  restore_refused_ = false;
  held_past_hold_ = false;
  restore_wait_ns_ = kRestoreAfterNs;
  ApplyState(*state, asked);
  AnswerHeldSinceRestore();
  return true;
}

void JetStreamLog::AnswerHeldSinceRestore() {
  std::vector<HeldAnswer> held;
  {
    std::lock_guard<std::mutex> lock(restoring_mu_);
    restoring_ = false;
    held.swap(held_answers_);
  }
  for (HeldAnswer& h : held) Answer(h.waiting, h.status, h.seq);
}

void JetStreamLog::Failed(LogFailure what) const {
  if (hooks_.on_failure) hooks_.on_failure(what);
}

void JetStreamLog::Sent(const Status& ack) const {
  if (!ack.ok()) Failed(LogFailure::kAck);
}

void JetStreamLog::WaitUnlessStopping(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

Status JetStreamLog::PullOnce() {
  struct Pull {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
    std::vector<nats::Delivered> messages;
  };
  auto pull = std::make_shared<Pull>();
  // The epoch of the JetStream stream as last reported, before the pull: if a report after
  // it names the same one, the messages came from it.
  const uint64_t epoch = shared_epoch_.load();
  // Room for the largest message this log may have written, whatever fetch_bytes says.
  const int64_t max_bytes = std::max<int64_t>(
      options_.fetch_bytes, int64_t(options_.batch_bytes + 2 * kJetStreamMessageOverhead));
  js_->Fetch(
      js_stream_, kJetStreamConsumer, options_.fetch_batch, options_.fetch_wait_ms,
      [pull](nats::Delivered& d) {
        std::lock_guard<std::mutex> lock(pull->mu);
        pull->messages.push_back(std::move(d));
      },
      [pull](const Status& status) {
        std::lock_guard<std::mutex> lock(pull->mu);
        pull->done = true;
        pull->status = status;
        pull->cv.notify_all();
      },
      max_bytes);
  std::vector<nats::Delivered> messages;
  {
    std::unique_lock<std::mutex> lock(pull->mu);
    pull->cv.wait(lock, [&] { return pull->done; });
    messages = std::move(pull->messages);
  }
  if (!pull->status.ok()) {
    Failed(LogFailure::kPull);
    Log()->warn("stream={} pulling from JetStream stream={} failed: {}", stream_, js_stream_,
                pull->status.ToString());
  }
  if (messages.empty()) return pull->status;
  last_refresh_ns_ = SteadyNanos();
  (void)RefreshState();  // was the stream made again meanwhile? (the epoch moves)
  frames_.clear();
  int64_t now = SteadyNanos();
  std::vector<std::string> acked_again;
  std::vector<std::string> unreadable;
  std::vector<std::string> given_back;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shared_epoch_.load() != epoch) {
      // Made again while they were pulled: whether they are the old stream's or the new
      // one's is not known, so they go back (-NAK) to be pulled again under the new epoch.
      // The old stream's are gone with it.
      for (nats::Delivered& d : messages) given_back.push_back(std::move(d.ack_subject));
      messages.clear();
    }
    for (nats::Delivered& d : messages) {
      if (delivered_.count(d.stream_seq)) {
        // In the lake already: its +ACK was lost or not yet processed.
        acked_again.push_back(std::move(d.ack_subject));
        continue;
      }
      if (auto it = held_.find(d.stream_seq); it != held_.end()) {
        // Ours already (its ack wait ran out before a +WPI): keep the newer subject.
        it->second.ack_subject = d.ack_subject;
        it->second.touched_ns = now;
        continue;
      }
      size_t first = frames_.size();
      if (!AddFrames(d, epoch, &frames_)) {
        frames_.resize(first);
        unreadable.push_back(std::move(d.ack_subject));
        continue;
      }
      held_.emplace(d.stream_seq,
                    Held{d.ack_subject, now, static_cast<uint32_t>(frames_.size() - first)});
    }
  }
  for (const std::string& s : given_back) Sent(js_->Nak(s));
  if (!given_back.empty()) {
    Log()->warn(
        "stream={} gave {} messages back to JetStream stream={}: it was made again "
        "while they were pulled",
        stream_, given_back.size(), js_stream_);
  }
  for (const std::string& s : acked_again) Sent(js_->Ack(s));
  // A message no version of this log wrote: left unacknowledged it would come back for
  // ever and hold back every Flush, so it is acknowledged, that is dropped (logged, with
  // its sequence number, in AddFrames).
  for (const std::string& s : unreadable) Sent(js_->Ack(s));
  if (!frames_.empty() && hooks_.on_durable) hooks_.on_durable(frames_);
  return pull->status;
}

bool JetStreamLog::AddFrames(const nats::Delivered& d, uint64_t epoch,
                             std::vector<WalFrame>* frames) const {
  std::string_view count_header = d.msg.Header(kRecordsHeader);
  if (count_header.empty()) {
    // One record.
    int64_t arrival_ms = 0;
    std::string_view header = d.msg.Header(kArrivalHeader);
    std::from_chars(header.data(), header.data() + header.size(), arrival_ms);
    if (arrival_ms <= 0) arrival_ms = d.timestamp_ns / 1'000'000;
    frames->push_back(WalFrame{epoch, JetStreamRecordSeq(d.stream_seq, 0), arrival_ms, d.msg.data});
    return true;
  }
  uint64_t count = 0;
  std::from_chars(count_header.data(), count_header.data() + count_header.size(), count);
  size_t offset = 0;
  WalFrame frame;
  DecodeResult r;
  uint64_t index = 0;
  while ((r = DecodeFrame(d.msg.data, &offset, &frame)) == DecodeResult::kOk) {
    // Frames number the records 1, 2, ...: anything else is not a batch this log wrote.
    if (frame.seq != ++index || index >= kMaxPerMessage) break;
    frames->push_back(
        WalFrame{epoch, JetStreamRecordSeq(d.stream_seq, frame.seq), frame.arrival_ms, frame.data});
  }
  if (r != DecodeResult::kEnd || index != count || count == 0) {
    Log()->error("stream={} JetStream stream={} message {} is not a batch of records this "
                 "server can read ({} of {} frames read: {}); it is dropped from the stream",
                 stream_, js_stream_, d.stream_seq, index, count_header, DecodeResultName(r));
    return false;
  }
  return true;
}

void JetStreamLog::TouchHeld(int64_t now_ns) {
  const int64_t every_ns = options_.ack_wait_ms * 1'000'000 / 3;
  // A look at the held records now and then, not at every pull: there may be a million.
  if (now_ns - last_touch_scan_ns_ < every_ns / 4) return;
  last_touch_scan_ns_ = now_ns;
  std::vector<std::string> subjects;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [seq, h] : held_) {
      if (now_ns - h.touched_ns < every_ns) continue;
      h.touched_ns = now_ns;
      subjects.push_back(h.ack_subject);
    }
  }
  for (const std::string& s : subjects) Sent(js_->InProgress(s));
}

Status JetStreamLog::MarkDelivered(uint64_t epoch, const std::vector<uint64_t>& seqs) {
  std::vector<std::string> subjects;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Pulled from a JetStream stream since made again: gone with it, nothing to acknowledge
    // (and its numbers are the new stream's now).
    if (epoch != shared_epoch_.load()) return Status::Ok();
    // A message is acknowledged once its last record is in the lake. Consecutive seqs
    // mostly share a message: look it up once per run.
    auto it = held_.end();
    uint64_t message = 0;
    for (uint64_t seq : seqs) {
      uint64_t m = seq >> kJetStreamIndexBits;
      if (it == held_.end() || m != message) {
        message = m;
        it = held_.find(m);
      }
      if (it == held_.end() || it->second.undelivered == 0) continue;
      if (--it->second.undelivered > 0) continue;
      subjects.push_back(std::move(it->second.ack_subject));
      held_.erase(it);
      it = held_.end();
      delivered_.insert(m);
    }
    while (delivered_.size() > kMaxRemembered) delivered_.erase(delivered_.begin());
  }
  Status first_error;
  size_t failed = 0;
  for (const std::string& s : subjects) {
    Status st = js_->Ack(s);
    Sent(st);
    if (!st.ok() && failed++ == 0) first_error = st;
  }
  if (failed > 0) {
    return Unavailable(fmt::format(
        "stream '{}': {} of {} messages of records delivered but not acknowledged to "
        "JetStream stream {} (they will be delivered again): {}",
        stream_, failed, subjects.size(), js_stream_, first_error.message()));
  }
  (void)RefreshState();  // Flush waits for the first sequence number left to move
  return Status::Ok();
}

Result<uint64_t> JetStreamLog::CountHeld() {
  auto state = RefreshState();
  if (!state.ok()) {
    return state.status().WithContext(
        fmt::format("stream '{}': JetStream stream {}", stream_, js_stream_));
  }
  return state->messages;
}

Result<nats::StreamState> JetStreamLog::RefreshState() {
  const uint64_t asked = next_report_.fetch_add(1);
  auto state = js_->StreamInfo(js_stream_);
  if (state.ok()) ApplyState(*state, asked);
  return state;
}

void JetStreamLog::ApplyState(const nats::StreamState& state, uint64_t asked) {
  uint64_t before = 0;
  uint64_t through = 0;
  bool made_again = false;
  uint64_t epoch = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state.created != created_) {
      if (asked < created_asked_) return;  // asked for before the report of the newer one
      if (!state.created.empty()) made_again = NewStreamLocked(state, asked);
    }
    created_asked_ = std::max(created_asked_, asked);
    append_mark_.Applied(created_asked_);
    epoch = shared_epoch_.load();
    size_bytes_.store(state.bytes);
    before = delivered_through_.load();
    through = JetStreamDeliveredThrough(before, &created_, state);
    delivered_through_.store(through);
    uint64_t through_message = through >> kJetStreamIndexBits;
    delivered_.erase(delivered_.begin(), delivered_.upper_bound(through_message));
  }
  if (made_again && hooks_.on_epoch) hooks_.on_epoch(epoch);
  if (through != before && hooks_.on_progress) hooks_.on_progress();
}

bool JetStreamLog::NewStreamLocked(const nats::StreamState& state, uint64_t asked) {
  const uint64_t old_epoch = shared_epoch_.load();
  const uint64_t epoch = SharedEpoch(js_stream_, state.created);
  shared_epoch_.store(epoch);
  if (created_.empty()) return false;  // the first report: the stream as opened
  // The old stream's messages are gone: none of them is to be acknowledged or waited for.
  // Records pulled from it and not yet delivered still are, under its epoch.
  const size_t held = held_.size();
  held_.clear();
  delivered_.clear();
  // What this server appended to the old one is no longer there for a Flush to wait for;
  // what it appended to the new one is at most the new one's last, or acknowledged after
  // this report was asked for.
  append_mark_.MadeAgain(asked, state.last_seq == 0 ? 0 : JetStreamLastRecordSeq(state.last_seq));
  Log()->warn(
      "stream={} JetStream stream={} was made again (created {}, was {}): its records "
      "are numbered anew under epoch {:016x} (was {:016x}); {} messages pulled from the "
      "old one and not yet in the lake are delivered under the old epoch",
      stream_, js_stream_, state.created, created_, epoch, old_epoch, held);
  return true;
}

}  // namespace tributary::streams
