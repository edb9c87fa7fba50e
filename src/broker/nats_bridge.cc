#include "broker/nats_bridge.h"

#include <fmt/format.h>

#include <charconv>

#include "base/base64.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "mqtt/codec.h"
#include "nats/connection.h"
#include "nats/url.h"

namespace tributary::broker {
namespace {

constexpr std::string_view kDefaultPrefix = "tributary.mqtt";
constexpr const char* kOriginHeader = "Tributary-Origin";
constexpr const char* kQosHeader = "Tributary-QoS";
constexpr const char* kRetainHeader = "Tributary-Retain";
constexpr const char* kSeqHeader = "Tributary-Seq";
constexpr const char* kPropertiesHeader = "Tributary-Properties";
// The first token of the retained space: '$' escaped, which no bridged topic starts with.
constexpr std::string_view kRetainedToken = "%24retained";
// Where a server says that a client connected to it: its body is the client id.
constexpr std::string_view kConnectedToken = "%24connected";
constexpr const char* kAtHeader = "Tributary-At";
// Where a server says that it has started; the others announce their clients again.
constexpr std::string_view kStartedToken = "%24started";

bool Kept(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A subject prefix: one or more tokens of letters, digits, '-' and '_', joined by '.'.
bool ValidPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.front() == '.' || prefix.back() == '.') return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = prefix[i];
    if (c == '.') {
      if (prefix[i - 1] == '.') return false;
    } else if (!Kept(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// TopicToSubject into `out` (cleared first); false if it is too long.
bool WriteSubject(std::string_view prefix, std::string_view topic, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->assign(prefix);
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    std::string_view level =
        topic.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    *out += '.';
    if (level.empty()) *out += '%';
    for (unsigned char c : level) {
      if (Kept(c)) {
        *out += static_cast<char>(c);
      } else {
        *out += '%';
        *out += kHex[c >> 4];
        *out += kHex[c & 15];
      }
    }
    if (out->size() > kMaxBridgedSubject) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// The MQTT 5 properties of a message that mean the same on another server, in the
// header's form (base64 of their wire form), or "" if it has none. A topic alias and
// subscription identifiers belong to one connection and are left out.
std::string CarriedProperties(const mqtt::Properties* p) {
  if (p == nullptr) return {};
  mqtt::Properties carried;
  carried.payload_format_indicator = p->payload_format_indicator;
  carried.message_expiry_interval = p->message_expiry_interval;
  carried.content_type = p->content_type;
  carried.response_topic = p->response_topic;
  carried.correlation_data = p->correlation_data;
  carried.user_properties = p->user_properties;
  if (carried == mqtt::Properties{}) return {};
  return Base64Encode(mqtt::EncodePublishProperties(carried));
}

}  // namespace

std::optional<std::string> TopicToSubject(std::string_view prefix, std::string_view topic) {
  std::string out;
  if (!WriteSubject(prefix, topic, &out)) return std::nullopt;
  return out;
}

std::optional<std::string> SubjectToTopic(std::string_view prefix, std::string_view subject) {
  if (subject.size() <= prefix.size() + 1 || subject.substr(0, prefix.size()) != prefix ||
      subject[prefix.size()] != '.') {
    return std::nullopt;
  }
  std::string_view rest = subject.substr(prefix.size() + 1);
  std::string topic;
  size_t start = 0;
  while (true) {
    size_t dot = rest.find('.', start);
    std::string_view token =
        rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (start > 0) topic += '/';
    if (token == "%") {
      // an empty level
    } else if (token.empty()) {
      return std::nullopt;
    } else {
      for (size_t i = 0; i < token.size(); ++i) {
        char c = token[i];
        if (c != '%') {
          if (!Kept(static_cast<unsigned char>(c))) return std::nullopt;
          topic += c;
          continue;
        }
        if (i + 2 >= token.size()) return std::nullopt;
        int hi = HexValue(token[i + 1]), lo = HexValue(token[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        topic += static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return topic;
}

std::vector<std::string> FilterToSubjects(std::string_view prefix, std::string_view filter) {
  if (filter.empty() || filter[0] == '$') return {};
  if (filter == "#") return {std::string(prefix) + ".>"};  // every topic
  const bool trailing_hash = filter.size() >= 2 && filter.substr(filter.size() - 2) == "/#";
  // The levels before any "/#" ("" is one empty level), as TopicToSubject writes them,
  // '+' as NATS's one-token wildcard.
  std::string_view levels = trailing_hash ? filter.substr(0, filter.size() - 2) : filter;
  std::string parent(prefix);
  size_t start = 0;
  while (true) {
    size_t slash = levels.find('/', start);
    std::string_view level = levels.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (level == "+") {
      parent += ".*";
    } else {
      auto token = TopicToSubject("", level);  // ".<escaped level>"
      if (!token) return {};
      parent += *token;
    }
    if (parent.size() > kMaxBridgedSubject) return {};
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!trailing_hash) return {parent};
  // "a/#" matches "a" itself and everything under it.
  return {parent, parent + ".>"};
}

NatsBridge::NatsBridge(NatsBridgeOptions options, std::string prefix, std::string self)
    : options_(std::move(options)),
      prefix_(std::move(prefix)),
      retained_prefix_(prefix_ + "." + std::string(kRetainedToken)),
      connected_subject_(prefix_ + "." + std::string(kConnectedToken)),
      started_subject_(prefix_ + "." + std::string(kStartedToken)),
      self_(std::move(self)) {
  // The header block up to the sequence number's value, by QoS and retain flag.
  for (int qos = 0; qos <= 2; ++qos) {
    for (bool retain : {false, true}) {
      nats::Headers h = {{kOriginHeader, self_}, {kQosHeader, std::to_string(qos)}};
      if (retain) h.emplace_back(kRetainHeader, "1");
      h.emplace_back(kSeqHeader, "");
      std::string block = nats::EncodeHeaderBlock(h).value();  // constant names and values
      block.resize(block.size() - 4);  // the last value's (empty) CRLF and the block's end
      header_heads_.push_back(std::move(block));
    }
  }
  if (options_.metrics) {
    forwarded_ = options_.metrics->NewCounter(
        "tributary_bridge_forwarded_total",
        "Messages published here (by devices or the server itself) sent on NATS for the other servers");
    received_ = options_.metrics->NewCounter(
        "tributary_bridge_received_total", "Messages other servers bridged, handed to subscribers here");
    dropped_ = options_.metrics->NewCounter(
        "tributary_bridge_dropped_total",
        "Messages not bridged: NATS unreachable or its queue full, or a topic too long for a subject");
    duplicates_ = options_.metrics->NewCounter(
        "tributary_bridge_duplicates_total",
        "Bridged messages NATS sent again for another matching subscription here, dropped");
    options_.metrics->NewCallbackGauge(
        "tributary_bridge_interest_filters",
        "Topic filters this server subscribes to on NATS for its subscribers and watchers", {},
        [this] { return static_cast<double>(interest_filters()); });
  }
}

Result<std::unique_ptr<NatsBridge>> NatsBridge::Start(NatsBridgeOptions options) {
  if (!options.next) return InvalidArgument("NatsBridgeOptions.next is null");
  if (!options.deliver) return InvalidArgument("NatsBridgeOptions.deliver is empty");
  std::string prefix(kDefaultPrefix);
  auto bridge_parameter = [&prefix](std::string_view key, std::string_view value) -> Result<bool> {
    if (key != "prefix") return false;
    if (!ValidPrefix(value)) {
      return InvalidArgument(fmt::format(
          "NATS URL parameter prefix='{}' must be subject tokens of letters, digits, '-' and '_' "
          "joined by '.'",
          value));
    }
    prefix = std::string(value);
    return true;
  };
  TRY_ASSIGN(nats::ConnectOptions connect,
             nats::ParseNatsUrlWithParameters(options.url, bridge_parameter, "prefix"));
  connect.name = "tributary broker bridge";
  // It subscribes to what it publishes: NATS need not send its own messages back.
  connect.echo = false;
  std::unique_ptr<NatsBridge> bridge(new NatsBridge(std::move(options), prefix, NewUuid()));
  TRY_ASSIGN(bridge->conn_, nats::Connection::Connect(std::move(connect)));
  NatsBridge* b = bridge.get();
  // Every server keeps every retained message; the rest it receives by interest.
  TRY(bridge->conn_->Subscribe(bridge->retained_prefix_ + ".>", [b](nats::Message& m) { b->Receive(m); })
          .status());
  TRY(bridge->conn_->Subscribe(bridge->connected_subject_, [b](nats::Message& m) { b->ReceiveConnected(m); })
          .status());
  TRY(bridge->conn_
          ->Subscribe(bridge->started_subject_, [b](nats::Message& m) { b->ReceiveStarted(m); })
          .status());
  // The subscription is in place before a device's message can be bridged to it.
  TRY(bridge->conn_->Flush(5000));
  Logger("broker")->info("bridging MQTT messages over {}", bridge->Describe());
  return bridge;
}

NatsBridge::~NatsBridge() {
  Close();
  conn_.reset();  // joins the connection's thread
}

void NatsBridge::Close() {
  closed_.store(true, std::memory_order_release);
  // Waits for a delivery under way; the connection itself stays until the destructor,
  // since the broker's threads may be inside Forward.
  std::lock_guard<std::mutex> lock(deliver_mu_);
}

std::string NatsBridge::Describe() const {
  return conn_ ? fmt::format("NATS {} (subjects {}.>, by interest)", nats::RedactedUrl(conn_->options()), prefix_)
               : "a closed NATS bridge";
}

NatsBridge::Link NatsBridge::link() const {
  return Link{conn_->connected(), conn_->server(), conn_->reconnects()};
}

void NatsBridge::OnPublish(const InboundMessage& msg, PublishDone done) {
  Forward(msg.topic, msg.payload, msg.qos, msg.retain, msg.properties);
  options_.next->OnPublish(msg, std::move(done));
}

void NatsBridge::Forward(std::string_view topic, std::string_view payload, mqtt::QoS qos,
                         bool retain, const mqtt::Properties* properties) {
  if (closed_.load(std::memory_order_acquire) || topic.empty() || topic[0] == '$') return;
  Status sent = Unavailable("the topic is too long for a NATS subject");
  thread_local std::string subject;
  if (WriteSubject(retain ? retained_prefix_ : prefix_, topic, &subject)) {
    std::lock_guard<std::mutex> lock(publish_mu_);
    header_block_.assign(header_heads_[static_cast<size_t>(qos) * 2 + (retain ? 1 : 0)]);
    char digits[24];
    header_block_.append(digits, std::to_chars(digits, digits + sizeof digits, ++seq_).ptr);
    header_block_.append("\r\n");
    if (std::string carried = CarriedProperties(properties); !carried.empty()) {
      header_block_.append(kPropertiesHeader).append(": ").append(carried).append("\r\n");
    }
    header_block_.append("\r\n");
    sent = conn_->PublishEncoded(subject, payload, header_block_);
  }
  if (sent.ok()) {
    if (forwarded_) forwarded_->Add();
    return;
  }
  if (dropped_) dropped_->Add();
  if (uint64_t held; drop_log_.Allow(&held)) {
    Logger("broker")->warn("message on {} not bridged to the other servers: {} ({} more since the "
                           "last report)",
                           topic, sent.message(), held);
  }
}

std::optional<std::string> NatsBridge::TopicOf(std::string_view subject, bool* retained) const {
  *retained = subject.size() > retained_prefix_.size() &&
              subject.substr(0, retained_prefix_.size()) == retained_prefix_ &&
              subject[retained_prefix_.size()] == '.';
  return SubjectToTopic(*retained ? retained_prefix_ : prefix_, subject);
}

void NatsBridge::Receive(nats::Message& m) {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  std::string_view origin = m.Header(kOriginHeader);
  if (closed_.load(std::memory_order_acquire) || origin == self_) return;
  bool retained = false;
  auto topic = TopicOf(m.subject, &retained);
  if (!topic || topic->empty() || (*topic)[0] == '$') return;
  std::string_view seq_text = m.Header(kSeqHeader);
  uint64_t seq = 0;
  if (std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq).ec == std::errc() &&
      seq > 0) {
    auto [it, fresh] = last_seq_.try_emplace(std::string(origin), seq);
    if (!fresh) {
      if (seq <= it->second) {
        if (duplicates_) duplicates_->Add();
        return;
      }
      it->second = seq;
    }
  }
  std::string_view qos = m.Header(kQosHeader);
  mqtt::QoS q = qos == "2" ? mqtt::QoS::kExactlyOnce
                : qos == "1" ? mqtt::QoS::kAtLeastOnce
                             : mqtt::QoS::kAtMostOnce;
  mqtt::Properties properties;
  if (std::string_view carried = m.Header(kPropertiesHeader); !carried.empty()) {
    Status bad = Status::Ok();
    if (auto bytes = Base64Decode(carried); !bytes.ok()) {
      bad = bytes.status();
    } else if (auto decoded = mqtt::DecodePublishProperties(*bytes);
               std::holds_alternative<mqtt::DecodeError>(decoded)) {
      bad = InvalidArgument(std::get<mqtt::DecodeError>(decoded).message);
    } else {
      properties = std::move(std::get<mqtt::Properties>(decoded));
    }
    if (!bad.ok()) {
      // Delivered all the same: the properties are extras, the message is not.
      if (uint64_t held; drop_log_.Allow(&held)) {
        Logger("broker")->warn("message on {} from server {} delivered without its MQTT 5 properties: "
                               "header {} unreadable: {} ({} more since the last report)",
                               *topic, origin, kPropertiesHeader, bad.message(), held);
      }
    }
  }
  if (received_) received_->Add();
  options_.deliver(*topic, std::move(m.data), q, retained || m.Header(kRetainHeader) == "1",
                   std::move(properties));
}

void NatsBridge::NotifyConnected(const std::string& client_id) {
  AnnounceConnected(client_id, WallMillis());
}

void NatsBridge::AnnounceConnected(const std::string& client_id, int64_t at_ms) {
  if (closed_.load(std::memory_order_acquire)) return;
  nats::Headers headers = {{kOriginHeader, self_}, {kAtHeader, std::to_string(at_ms)}};
  if (Status sent = conn_->Publish(connected_subject_, client_id, {}, &headers); !sent.ok()) {
    if (uint64_t held; drop_log_.Allow(&held)) {
      Logger("broker")->warn("the other servers were not told that client {} connected here: {} ({} "
                             "more since the last report)",
                             client_id, sent.message(), held);
    }
  }
}

void NatsBridge::ReceiveConnected(nats::Message& m) {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  if (closed_.load(std::memory_order_acquire) || m.Header(kOriginHeader) == self_) return;
  std::string_view at_text = m.Header(kAtHeader);
  int64_t at = 0;
  if (m.data.empty() || !options_.taken_elsewhere ||
      std::from_chars(at_text.data(), at_text.data() + at_text.size(), at).ec != std::errc()) {
    return;
  }
  options_.taken_elsewhere(m.data, at);
}

void NatsBridge::AnnounceStarted() {
  if (closed_.load(std::memory_order_acquire)) return;
  nats::Headers headers = {{kOriginHeader, self_}};
  if (Status sent = conn_->Publish(started_subject_, self_, {}, &headers); !sent.ok()) {
    Logger("broker")->warn(
        "the other servers were not told that this one started: {}; sessions "
        "here of clients that connected to them meanwhile stay until they "
        "expire",
        sent.message());
  }
}

void NatsBridge::ReceiveStarted(nats::Message& m) {
  // Held as a delivery is, so that Close waits: connected_clients asks the broker.
  std::lock_guard<std::mutex> lock(deliver_mu_);
  if (closed_.load(std::memory_order_acquire) || m.Header(kOriginHeader) == self_ ||
      !options_.connected_clients) {
    return;
  }
  auto clients = options_.connected_clients();
  for (const auto& [client_id, at_ms] : clients) AnnounceConnected(client_id, at_ms);
  Logger("broker")->info("server {} started: the {} clients connected here announced again",
                         m.Header(kOriginHeader), clients.size());
}

void NatsBridge::OnInterest(std::string_view filter, bool present) {
  if (present) {
    AddInterest(filter);
  } else {
    RemoveInterest(filter);
  }
}

void NatsBridge::AddInterest(std::string_view filter) {
  std::lock_guard<std::mutex> lock(interest_mu_);
  auto it = interests_.find(filter);
  if (it == interests_.end()) {
    // '$' filters: their topics are not bridged (nor is one too long for a subject).
    if (FilterToSubjects(prefix_, filter).empty()) return;
    it = interests_.emplace(std::string(filter), Interest{}).first;
  }
  if (++it->second.wishes != 1) return;
  for (const std::string& subject : FilterToSubjects(prefix_, filter)) {
    auto sid = conn_->Subscribe(subject, [this](nats::Message& m) { Receive(m); });
    if (sid.ok()) {
      it->second.sids.push_back(*sid);
    } else {
      Logger("broker")->warn("cannot receive other servers' messages on {}: {}", filter,
                             sid.status().message());
    }
  }
}

void NatsBridge::RemoveInterest(std::string_view filter) {
  std::lock_guard<std::mutex> lock(interest_mu_);
  auto it = interests_.find(filter);
  if (it == interests_.end() || --it->second.wishes > 0) return;
  for (uint64_t sid : it->second.sids) conn_->Unsubscribe(sid);
  interests_.erase(it);
}

size_t NatsBridge::interest_filters() const {
  std::lock_guard<std::mutex> lock(interest_mu_);
  return interests_.size();
}

}  // namespace tributary::broker
