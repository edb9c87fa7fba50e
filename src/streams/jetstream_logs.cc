// JetStreamLogs: the delivery streams' logs in NATS JetStream as a RecordLogProvider
// (jetstream_log.h): connecting, and making, closing, opening again and removing each
// stream's JetStream stream and consumer. The log itself is jetstream_log.cc.
#include <fmt/format.h>

#include <charconv>

#include "base/clock.h"
#include "base/log.h"
#include "nats/url.h"
#include "streams/jetstream_log.h"

namespace tributary::streams {
namespace {

// Stream names are [A-Za-z0-9_.-]; JetStream names and subject tokens take no '.'.
std::string Encode(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '_') {
      out += "__";
    } else if (c == '.') {
      out += "_2E";
    } else {
      out += c;
    }
  }
  return out;
}

Result<int64_t> IntParam(std::string_view key, std::string_view value, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < lo || v > hi) {
    return InvalidArgument(
        fmt::format("NATS URL parameter {}='{}' must be an integer in {}..{}", key, value, lo, hi));
  }
  return v;
}

// Where a closed JetStream stream's subject goes, and how its description starts.
std::string ClosedSubject(std::string_view stream) { return "tributary.closed." + Encode(stream); }
constexpr std::string_view kClosedUntil = "held until ";

}  // namespace

std::string JetStreamName(std::string_view stream) { return "TRIBUTARY_" + Encode(stream); }
std::string JetStreamSubject(std::string_view stream) {
  return "tributary.records." + Encode(stream);
}

std::string ClosedIntakeDescription(int64_t until_ms) {
  return fmt::format("{}{} (Unix ms); closed to records by a Tributary delete until then",
                     kClosedUntil, until_ms);
}

std::optional<int64_t> IntakeHeldUntil(std::string_view stream, const nats::StreamState& state) {
  if (state.subjects != std::vector<std::string>{ClosedSubject(stream)}) return std::nullopt;
  std::string_view d = state.description;
  if (d.substr(0, kClosedUntil.size()) != kClosedUntil) return std::nullopt;
  d.remove_prefix(kClosedUntil.size());
  int64_t until = 0;
  auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), until);
  if (ec != std::errc()) return std::nullopt;
  return until;
}

bool IntakeHeldPastItsHold(std::string_view stream, const nats::StreamState& state,
                           int64_t now_ms) {
  // No hold said (closed by an earlier version, whose delete may still be running): held
  // until a server starts, as it was then.
  std::optional<int64_t> until = IntakeHeldUntil(stream, state);
  return until && *until < now_ms;
}

// ---- JetStreamLogs ----

Result<std::shared_ptr<JetStreamLogs>> JetStreamLogs::Connect(std::string_view url) {
  JetStreamLogOptions options;
  auto stream_parameter = [&options](std::string_view key, std::string_view value) -> Result<bool> {
    if (key == "replicas") {
      TRY_ASSIGN(int64_t r, IntParam(key, value, 1, 5));
      options.replicas = static_cast<int>(r);
    } else if (key == "ack_wait_s") {
      TRY_ASSIGN(int64_t s, IntParam(key, value, 1, 3600));
      options.ack_wait_ms = s * 1000;
    } else if (key == "max_bytes") {
      TRY_ASSIGN(options.max_bytes, IntParam(key, value, 1, INT64_MAX));
    } else {
      return false;
    }
    return true;
  };
  TRY_ASSIGN(options.connect, nats::ParseNatsUrlWithParameters(url, stream_parameter,
                                                               "replicas, ack_wait_s, max_bytes"));
  options.connect.name = "tributary streams";
  TRY_ASSIGN(auto conn, nats::Connection::Connect(options.connect));
  if (!conn->jetstream()) {
    return FailedPrecondition(fmt::format(
        "the NATS server at {} does not run JetStream (start it with -js, or `jetstream "
        "{{}}` in its configuration)",
        nats::RedactedUrl(options.connect)));
  }
  return std::make_shared<JetStreamLogs>(std::move(options), std::move(conn));
}

JetStreamLogs::JetStreamLogs(JetStreamLogOptions options, std::unique_ptr<nats::Connection> conn)
    : options_(std::move(options)),
      conn_(std::move(conn)),
      js_(conn_.get(), options_.publish_timeout_ms) {}

JetStreamLogs::~JetStreamLogs() = default;

nats::StreamSettings JetStreamLogs::Settings(const std::string& stream,
                                             const std::string& subject) const {
  nats::StreamSettings settings;
  settings.name = JetStreamName(stream);
  settings.subjects = {subject};
  settings.replicas = options_.replicas;
  settings.max_bytes = options_.max_bytes;
  return settings;
}

nats::ConsumerSettings JetStreamLogs::Consumer() const {
  nats::ConsumerSettings consumer;
  consumer.durable = kJetStreamConsumer;
  consumer.ack_wait_ms = options_.ack_wait_ms;
  return consumer;
}

Result<nats::StreamState> JetStreamLogs::Restore(const std::string& stream) {
  const std::string name = JetStreamName(stream);
  auto state = js_.StreamInfo(name);
  if (!state.ok() && state.status().code() == ErrorCode::kNotFound) {
    // Made only if nobody made it meanwhile: a delete under way leaves it closed
    // (CloseIntake), and an update would open it again.
    state = js_.CreateStream(Settings(stream, JetStreamSubject(stream)));
    if (!state.ok() && state.status().code() == ErrorCode::kAlreadyExists) {
      state = js_.StreamInfo(name);
    }
  }
  if (state.ok() && IntakeHeldPastItsHold(stream, *state, WallMillis())) {
    // The server deleting it stopped before it removed the stream or opened it again.
    Logger("streams")->warn(
        "stream={} JetStream stream={} is held closed to records by a delete past its hold "
        "({}): the delete stopped half-way; opened to records again",
        stream, name, state->description);
    state = js_.EnsureStream(Settings(stream, JetStreamSubject(stream)));
  }
  if (!state.ok()) {
    return state.status().WithContext(
        fmt::format("stream '{}': making JetStream stream {} again", stream, name));
  }
  if (Status st = js_.EnsureConsumer(name, Consumer()); !st.ok()) {
    return st.WithContext(fmt::format("stream '{}': making JetStream consumer {} of {} again",
                                      stream, kJetStreamConsumer, name));
  }
  return state;
}

Status JetStreamLogs::CloseIntake(const std::string& stream, int64_t hold_ms) {
  nats::StreamSettings closed = Settings(stream, ClosedSubject(stream));
  closed.description = ClosedIntakeDescription(WallMillis() + hold_ms);
  auto info = js_.StreamInfo(closed.name);
  if (!info.ok() && info.status().code() == ErrorCode::kNotFound) {
    // Gone (lost, or deleted by another server): made closed and empty, so that no server
    // makes it again to take records until the delete removes it. One made meanwhile is
    // closed as any other.
    auto made = js_.CreateStream(closed);
    if (made.ok()) {
      return NotFound(fmt::format(
          "stream '{}': JetStream stream {} was gone; it is held closed and empty until the "
          "delete removes it",
          stream, closed.name));
    }
    if (made.status().code() != ErrorCode::kAlreadyExists) {
      return made.status().WithContext(
          fmt::format("stream '{}': JetStream stream {} is gone and could not be held closed",
                      stream, closed.name));
    }
  } else if (!info.ok()) {
    return info.status().WithContext(
        fmt::format("stream '{}': JetStream stream {}", stream, closed.name));
  }
  auto state = js_.EnsureStream(closed);
  return state.status().WithContext(fmt::format(
      "stream '{}': closing JetStream stream {} to new records", stream, JetStreamName(stream)));
}

Status JetStreamLogs::ReopenIntake(const std::string& stream) {
  auto state = js_.EnsureStream(Settings(stream, JetStreamSubject(stream)));
  return state.status().WithContext(fmt::format(
      "stream '{}': opening JetStream stream {} to records again", stream, JetStreamName(stream)));
}

Result<std::unique_ptr<RecordLog>> JetStreamLogs::Open(const std::string& stream,
                                                       uint64_t /*epoch*/, RecordLogHooks hooks) {
  nats::StreamSettings settings = Settings(stream, JetStreamSubject(stream));
  // A delete under way on another server holds it closed: it stays so (with this server's
  // other settings) until the delete is done or its hold is over, or records taken now
  // could be removed with it. A stream started, or updated, here then refuses records.
  auto keep_hold = [&stream](const nats::StreamState& have, nats::StreamSettings* want) {
    std::optional<int64_t> until = IntakeHeldUntil(stream, have);
    if (!until || *until < WallMillis()) return;
    Logger("streams")->warn(
        "stream={} JetStream stream={} is held closed to records by a delete under way ({}): "
        "left so; records are refused until the delete is done or its hold is over",
        stream, want->name, have.description);
    want->subjects = have.subjects;
    want->description = have.description;
  };
  auto state = js_.EnsureStream(settings, keep_hold);
  if (!state.ok()) {
    return state.status().WithContext(
        fmt::format("stream '{}': JetStream stream {} on {}", stream, settings.name, Describe()));
  }
  if (Status st = js_.EnsureConsumer(settings.name, Consumer()); !st.ok()) {
    return st.WithContext(fmt::format("stream '{}': JetStream consumer {} of {}", stream,
                                      kJetStreamConsumer, settings.name));
  }
  if (state->messages > 0) {
    Logger("streams")->info(
        "stream={} resumes from JetStream stream={} records={} bytes={} first_seq={}", stream,
        settings.name, state->messages, state->bytes, state->first_seq);
  }
  JetStreamLogOptions log_options = options_;
  size_t max_payload = conn_->max_payload();
  log_options.batch_bytes =
      max_payload > 2 * kJetStreamMessageOverhead ? max_payload - kJetStreamMessageOverhead : 0;
  // The logs outlive the stream's log (the stream manager holds them).
  return std::unique_ptr<RecordLog>(
      std::make_unique<JetStreamLog>(log_options, &js_, stream, std::move(hooks), *state,
                                     [this, stream] { return Restore(stream); }));
}

Status JetStreamLogs::Remove(const std::string& stream) {
  Status st = js_.DeleteStream(JetStreamName(stream));
  if (st.code() == ErrorCode::kNotFound) return Status::Ok();
  return st;
}

std::string JetStreamLogs::Describe() const {
  return "NATS JetStream at " + nats::RedactedUrl(options_.connect);
}

RecordLogProvider::Link JetStreamLogs::link() const {
  return {conn_->connected(), conn_->server(), conn_->known_servers(), conn_->reconnects()};
}

}  // namespace tributary::streams
