#include "broker/nats_bridge.h"

#include <fmt/format.h>

#include "base/ids.h"
#include "base/log.h"
#include "nats/connection.h"
#include "nats/url.h"

namespace tributary::broker {
namespace {

constexpr std::string_view kDefaultPrefix = "tributary.mqtt";
constexpr const char* kOriginHeader = "Tributary-Origin";
constexpr const char* kQosHeader = "Tributary-QoS";
constexpr const char* kRetainHeader = "Tributary-Retain";

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

}  // namespace

std::optional<std::string> TopicToSubject(std::string_view prefix, std::string_view topic) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(prefix);
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    std::string_view level =
        topic.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    out += '.';
    if (level.empty()) out += '%';
    for (unsigned char c : level) {
      if (Kept(c)) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    if (out.size() > kMaxBridgedSubject) return std::nullopt;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
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

NatsBridge::NatsBridge(NatsBridgeOptions options, std::string prefix, std::string self)
    : options_(std::move(options)), prefix_(std::move(prefix)), self_(std::move(self)) {
  for (int qos = 0; qos <= 2; ++qos) {
    for (bool retain : {false, true}) {
      nats::Headers h = {{kOriginHeader, self_}, {kQosHeader, std::to_string(qos)}};
      if (retain) h.emplace_back(kRetainHeader, "1");
      headers_.push_back(std::move(h));
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
  TRY(bridge->conn_
          ->Subscribe(prefix + ".>",
                      [b](nats::Message& m) {
                        b->Receive(m.subject, std::string(m.Header(kOriginHeader)),
                                   m.Header(kQosHeader), m.Header(kRetainHeader), std::move(m.data));
                      })
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
  return conn_ ? fmt::format("NATS {} (subjects {}.>)", nats::RedactedUrl(conn_->options()), prefix_)
               : "a closed NATS bridge";
}

void NatsBridge::OnPublish(const InboundMessage& msg, PublishDone done) {
  Forward(msg.topic, msg.payload, msg.qos, msg.retain);
  options_.next->OnPublish(msg, std::move(done));
}

void NatsBridge::Forward(std::string_view topic, std::string_view payload, mqtt::QoS qos,
                         bool retain) {
  if (closed_.load(std::memory_order_acquire) || topic.empty() || topic[0] == '$') return;
  Status sent = Unavailable("the topic is too long for a NATS subject");
  if (auto subject = TopicToSubject(prefix_, topic)) {
    const nats::Headers& headers = headers_[static_cast<size_t>(qos) * 2 + (retain ? 1 : 0)];
    sent = conn_->Publish(*subject, payload, {}, &headers);
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

void NatsBridge::Receive(const std::string& subject, const std::string& origin,
                         std::string_view qos, std::string_view retain, std::string data) {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  if (closed_.load(std::memory_order_acquire) || origin == self_) return;
  auto topic = SubjectToTopic(prefix_, subject);
  if (!topic || topic->empty() || (*topic)[0] == '$') return;
  mqtt::QoS q = qos == "2" ? mqtt::QoS::kExactlyOnce
                : qos == "1" ? mqtt::QoS::kAtLeastOnce
                             : mqtt::QoS::kAtMostOnce;
  if (received_) received_->Add();
  options_.deliver(*topic, std::move(data), q, retain == "1");
}

}  // namespace tributary::broker
