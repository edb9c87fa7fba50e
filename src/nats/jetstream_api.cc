#include "nats/jetstream_api.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <vector>

namespace tributary::nats {
namespace {

constexpr int64_t kNanosPerMilli = 1000000;

using json = nlohmann::json;

std::string Join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (auto it = j.find(key); it != j.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

int64_t Int(const json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

uint64_t Uint(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

void Differs(std::vector<std::string>* out, const char* what, const std::string& have,
             const std::string& want) {
  if (have != want) out->push_back(std::string(what) + " " + have + " → " + want);
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Status ValidateJetStreamName(std::string_view kind, std::string_view name) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("JetStream " + std::string(kind) + " name '" +
                           std::string(name.substr(0, 300)) + "' " + std::string(why));
  };
  if (name.empty()) return InvalidArgument("JetStream " + std::string(kind) + " name is empty");
  if (name.size() > 255) return bad("is longer than 255 bytes");
  for (char c : name) {
    if (c == '.' || c == '*' || c == '>')
      return bad("holds '.', '*' or '>' (names become subject tokens)");
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return bad("holds a blank or control character");
  }
  return Status::Ok();
}

Status ValidateStreamSettings(const StreamSettings& s) {
  TRY(ValidateJetStreamName("stream", s.name));
  const std::string where = "JetStream stream '" + s.name + "': ";
  if (s.retention != "limits" && s.retention != "interest" && s.retention != "workqueue") {
    return InvalidArgument(where + "retention '" + s.retention +
                           "' is none of limits, interest, workqueue");
  }
  if (s.storage != "file" && s.storage != "memory") {
    return InvalidArgument(where + "storage '" + s.storage + "' is neither file nor memory");
  }
  if (s.discard != "old" && s.discard != "new") {
    return InvalidArgument(where + "discard '" + s.discard + "' is neither old nor new");
  }
  if (s.replicas < 1 || s.replicas > 5) return InvalidArgument(where + "replicas must be 1..5");
  return Status::Ok();
}

Status JetStreamError(const json& error) {
  int code = static_cast<int>(Int(error, "code", 0));
  int64_t err_code = Int(error, "err_code", 0);
  std::string description = Str(error, "description");
  if (description.empty()) description = "error " + std::to_string(code);
  std::string m = "JetStream: " + description + " (" + std::to_string(err_code) + ")";
  switch (err_code) {
    case 10002:  // resource limits exceeded for account
    case 10028:  // insufficient memory resources available
    case 10047:  // insufficient storage resources available
    case 10054:  // message size exceeds maximum allowed
    case 10077:  // maximum bytes / messages exceeded (discard new)
      return ResourceExhausted(std::move(m));
    case 10058:  // stream name already in use with a different configuration
      return AlreadyExists(std::move(m));
    default:
      break;
  }
  switch (code) {
    case 404:
      return NotFound(std::move(m));
    case 400:
      return InvalidArgument(std::move(m));
    case 503:
      return Unavailable(std::move(m));
    default:
      return FailedPrecondition(std::move(m));
  }
}

Result<json> ParseApiReply(std::string_view data) {
  json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return ProtocolError("JetStream reply is not a JSON object: '" +
                         std::string(data.substr(0, 200)) + "'");
  }
  if (auto it = j.find("error"); it != j.end() && it->is_object()) return JetStreamError(*it);
  return j;
}

Result<uint64_t> ParsePubAck(std::string_view data) {
  constexpr std::string_view kSeq = "\"seq\":";
  size_t at = data.find(kSeq);
  if (at != std::string_view::npos && data.find("\"error\"") == std::string_view::npos) {
    const char* p = data.data() + at + kSeq.size();
    const char* end = data.data() + data.size();
    while (p < end && *p == ' ') ++p;
    uint64_t seq = 0;
    auto [next, ec] = std::from_chars(p, end, seq);
    if (ec == std::errc() && seq > 0 && next < end && (*next == ',' || *next == '}' || *next == ' ')) {
      return seq;
    }
  }
  TRY_ASSIGN(json ack, ParseApiReply(data));
  uint64_t seq = ack.value("seq", uint64_t{0});
  if (seq == 0) return ProtocolError("JetStream PubAck without a seq: " + std::string(data));
  return seq;
}

json StreamConfigJson(const StreamSettings& s) {
  json j = {{"name", s.name},           {"retention", s.retention},
            {"storage", s.storage},     {"num_replicas", s.replicas},
            {"max_bytes", s.max_bytes}, {"max_msg_size", s.max_msg_size},
            {"discard", s.discard}};
  if (!s.subjects.empty()) j["subjects"] = s.subjects;
  if (!s.description.empty()) j["description"] = s.description;
  return j;
}

StreamState ParseStreamState(const json& state) {
  StreamState out;
  if (!state.is_object()) return out;
  out.messages = Uint(state, "messages");
  out.bytes = Uint(state, "bytes");
  out.first_seq = Uint(state, "first_seq");
  out.last_seq = Uint(state, "last_seq");
  out.consumers = static_cast<int>(Int(state, "consumer_count", 0));
  return out;
}

StreamState ParseStreamInfo(const json& reply) {
  StreamState out = ParseStreamState(reply.value("state", json::object()));
  out.created = Str(reply, "created");
  const json config = reply.value("config", json::object());
  out.subjects = Strings(config, "subjects");
  out.description = Str(config, "description");
  return out;
}

std::string StreamDifference(const StreamSettings& want, const json& have, bool* fixed) {
  std::vector<std::string> fixed_diffs, diffs;
  Differs(&fixed_diffs, "retention", Str(have, "retention"), want.retention);
  Differs(&fixed_diffs, "storage", Str(have, "storage"), want.storage);
  *fixed = !fixed_diffs.empty();

  std::vector<std::string> have_subjects = Strings(have, "subjects");
  std::set<std::string> a(have_subjects.begin(), have_subjects.end());
  std::set<std::string> b(want.subjects.begin(), want.subjects.end());
  if (!want.subjects.empty() && a != b)
    diffs.push_back("subjects " + Join(have_subjects) + " → " + Join(want.subjects));
  Differs(&diffs, "replicas", std::to_string(Int(have, "num_replicas", 1)),
          std::to_string(want.replicas));
  Differs(&diffs, "max_bytes", std::to_string(Int(have, "max_bytes", -1)),
          std::to_string(want.max_bytes));
  Differs(&diffs, "max_msg_size", std::to_string(Int(have, "max_msg_size", -1)),
          std::to_string(want.max_msg_size));
  Differs(&diffs, "discard", Str(have, "discard"), want.discard);
  Differs(&diffs, "description", "'" + Str(have, "description") + "'",
          "'" + want.description + "'");

  fixed_diffs.insert(fixed_diffs.end(), diffs.begin(), diffs.end());
  std::string out;
  for (size_t i = 0; i < fixed_diffs.size(); ++i) out += (i ? ", " : "") + fixed_diffs[i];
  return out;
}

json UpdatedStreamConfig(const StreamSettings& want, json have) {
  if (!want.subjects.empty()) have["subjects"] = want.subjects;
  have["num_replicas"] = want.replicas;
  have["max_bytes"] = want.max_bytes;
  have["max_msg_size"] = want.max_msg_size;
  have["discard"] = want.discard;
  if (want.description.empty()) {
    have.erase("description");
  } else {
    have["description"] = want.description;
  }
  return have;
}

json ConsumerCreateJson(std::string_view stream, const ConsumerSettings& s) {
  return {{"stream_name", stream},
          {"config",
           {{"durable_name", s.durable},
            {"ack_policy", "explicit"},
            {"deliver_policy", "all"},
            {"replay_policy", "instant"},
            {"ack_wait", s.ack_wait_ms * kNanosPerMilli},
            {"max_ack_pending", s.max_ack_pending},
            {"max_deliver", s.max_deliver}}}};
}

std::string ConsumerDifference(const ConsumerSettings& want, const json& have, bool* fixed) {
  std::vector<std::string> diffs;
  *fixed = false;
  if (!Str(have, "deliver_subject").empty()) {
    *fixed = true;
    diffs.push_back("it is a push consumer (deliver_subject " + Str(have, "deliver_subject") +
                    "), not a pull one");
  }
  if (Str(have, "ack_policy") != "explicit") {
    *fixed = true;
    diffs.push_back("ack_policy " + Str(have, "ack_policy") + " → explicit");
  }
  Differs(&diffs, "ack_wait_ms", std::to_string(Int(have, "ack_wait", 0) / kNanosPerMilli),
          std::to_string(want.ack_wait_ms));
  Differs(&diffs, "max_ack_pending", std::to_string(Int(have, "max_ack_pending", 0)),
          std::to_string(want.max_ack_pending));
  Differs(&diffs, "max_deliver", std::to_string(Int(have, "max_deliver", -1)),
          std::to_string(want.max_deliver));
  std::string out;
  for (size_t i = 0; i < diffs.size(); ++i) out += (i ? ", " : "") + diffs[i];
  return out;
}

Result<AckMetadata> ParseAckSubject(std::string_view subject) {
  std::vector<std::string_view> t;
  for (size_t start = 0;;) {
    size_t dot = subject.find('.', start);
    t.push_back(subject.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  auto bad = [&] {
    return ProtocolError("not a JetStream ack subject: '" + std::string(subject.substr(0, 300)) +
                         "'");
  };
  if (t.size() < 9 || t[0] != "$JS" || t[1] != "ACK") return bad();
  // The 9-token form, or the 12-token one with domain and account hash (11 tolerated:
  // the random last token is not needed).
  size_t base;
  AckMetadata out;
  if (t.size() == 9) {
    base = 2;
  } else if (t.size() == 11 || t.size() == 12) {
    out.domain = t[2] == "_" ? "" : std::string(t[2]);
    base = 4;
  } else {
    return bad();
  }
  out.stream = std::string(t[base]);
  out.consumer = std::string(t[base + 1]);
  if (out.stream.empty() || out.consumer.empty() || !ParseNumber(t[base + 2], &out.deliveries) ||
      !ParseNumber(t[base + 3], &out.stream_seq) || !ParseNumber(t[base + 4], &out.consumer_seq) ||
      !ParseNumber(t[base + 5], &out.timestamp_ns) || !ParseNumber(t[base + 6], &out.pending)) {
    return bad();
  }
  return out;
}

}  // namespace tributary::nats
