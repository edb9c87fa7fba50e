// The broker's two seams, implemented outside broker/:
//  - Authorizer decides who may connect and what each client may do (devices/ implements
//    it with things, certificates and policies).
//  - MessageInterceptor sees every accepted PUBLISH (the rules engine plugs in there).
// Neither is needed: with no interceptor the publish path does no extra work.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/inline_function.h"
#include "base/status.h"
#include "mqtt/packet.h"

namespace tributary::broker {

// What the broker knows about a connecting client when it asks the Authorizer.
struct ClientIdentity {
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  // Set when the client presented a certificate that chains to the server's CA.
  std::optional<std::string> cert_common_name;
  std::string cert_sha256;      // lower-case hex fingerprint of the DER certificate, or ""
  std::string listener;         // "tls", "tcp" or "ws"
  std::string remote_address;   // "127.0.0.1:53412"
};

// What one connected client may do. Created once per connection by the Authorizer and
// then queried on the connection's thread for every packet: implementations must be
// immutable after creation and cheap to query.
class ClientGrant {
 public:
  virtual ~ClientGrant() = default;
  virtual bool CanPublish(std::string_view topic) const = 0;
  virtual bool CanSubscribe(std::string_view filter) const = 0;
  // Whether a message on `topic` may be delivered to this client (checked at delivery).
  virtual bool CanReceive(std::string_view topic) const = 0;
  // The thing this connection belongs to, or "" (anonymous or administrator).
  virtual const std::string& thing() const = 0;
  // Who the client proved to be without a certificate, as the rules' principal() gives it:
  // the user name the Authorizer checked the password of, or "" (anonymous). Asked once,
  // at CONNECT; a client with a certificate is its certificate's thumbprint instead.
  virtual std::string principal() const { return {}; }
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Called once per CONNECT on the connection's thread; may take a lock. An error
  // refuses the connection: kUnauthenticated -> "Bad user name or password" (0x86, or
  // 3.1.1 return code 4), kPermissionDenied -> "Not authorized" (0x87 / 5),
  // kInvalidArgument -> "Client identifier not valid" (0x85 / 2).
  virtual Result<std::shared_ptr<const ClientGrant>> Authenticate(const ClientIdentity& id) = 0;
};

// Lets everyone do everything: the Authorizer used with --allow-anonymous and in tests.
class AllowAllAuthorizer : public Authorizer {
 public:
  Result<std::shared_ptr<const ClientGrant>> Authenticate(const ClientIdentity& id) override;
};

// An accepted PUBLISH as the interceptor sees it. The views are valid only during the
// call; copy what must outlive it.
struct InboundMessage {
  std::string_view client_id;
  std::string_view thing;         // ClientGrant::thing()
  std::string_view topic;         // after topic-alias resolution
  std::string_view payload;
  mqtt::QoS qos;
  bool retain;
  const mqtt::Properties* properties;  // v5 properties (user properties, content type...)
  int64_t received_at_ms;         // wall clock, Unix epoch
  std::string_view source_ip;     // the sender's address without port, or ""
  // Who the sender authenticated as (the rules' principal()): the SHA-256 thumbprint of
  // its certificate (lower-case hex), the user its password was checked for, or "".
  std::string_view principal = {};
  // Published over HTTP (AWS IoT's HTTPS publish, the console), not by an MQTT client:
  // client_id is "" and the rules' traceid() is Undefined, as on AWS.
  bool over_http = false;
  // How many rules' republishes led to this message (0: a client's own). The rules
  // engine stops a loop by it (rules_engine.h).
  int rule_hops = 0;
};

// The interceptor's verdict on one PUBLISH.
enum class PublishVerdict : uint8_t {
  kAccepted,
  kRefused,        // MQTT 5: 0x80 Unspecified error
  kQuotaExceeded,  // MQTT 5: 0x97 Quota exceeded: a limit was hit (a stream backed up)
};
// Inline (no allocation) for the broker's own continuation, which runs once per message.
using PublishDone = InlineFunction<void(PublishVerdict), 48>;

class MessageInterceptor {
 public:
  virtual ~MessageInterceptor() = default;
  // Called on the publishing connection's thread for every PUBLISH the broker accepted.
  // For QoS 0, `done` is empty. For QoS 1 and 2 the broker sends PUBACK/PUBREC only
  // after `done(verdict)` has been called (from any thread, exactly once). A refusal
  // answers with its reason code in MQTT 5 (0x80, or 0x97 for kQuotaExceeded) and closes
  // a 3.1.1 connection without acknowledging (3.1.1 acknowledgements carry no reason),
  // so the client sends the message again.
  virtual void OnPublish(const InboundMessage& msg, PublishDone done) = 0;
};

}  // namespace tributary::broker
