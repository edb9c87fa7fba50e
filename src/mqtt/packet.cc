#include "mqtt/packet.h"

namespace tributary::mqtt {

const char* PacketTypeName(PacketType t) {
  switch (t) {
    case PacketType::kConnect:
      return "CONNECT";
    case PacketType::kConnack:
      return "CONNACK";
    case PacketType::kPublish:
      return "PUBLISH";
    case PacketType::kPuback:
      return "PUBACK";
    case PacketType::kPubrec:
      return "PUBREC";
    case PacketType::kPubrel:
      return "PUBREL";
    case PacketType::kPubcomp:
      return "PUBCOMP";
    case PacketType::kSubscribe:
      return "SUBSCRIBE";
    case PacketType::kSuback:
      return "SUBACK";
    case PacketType::kUnsubscribe:
      return "UNSUBSCRIBE";
    case PacketType::kUnsuback:
      return "UNSUBACK";
    case PacketType::kPingreq:
      return "PINGREQ";
    case PacketType::kPingresp:
      return "PINGRESP";
    case PacketType::kDisconnect:
      return "DISCONNECT";
    case PacketType::kAuth:
      return "AUTH";
  }
  return "RESERVED";
}

namespace {
struct TypeVisitor {
  PacketType operator()(const Connect&) const { return PacketType::kConnect; }
  PacketType operator()(const Connack&) const { return PacketType::kConnack; }
  PacketType operator()(const Publish&) const { return PacketType::kPublish; }
  PacketType operator()(const PubAck& p) const { return p.type; }
  PacketType operator()(const Subscribe&) const { return PacketType::kSubscribe; }
  PacketType operator()(const Suback&) const { return PacketType::kSuback; }
  PacketType operator()(const Unsubscribe&) const { return PacketType::kUnsubscribe; }
  PacketType operator()(const Unsuback&) const { return PacketType::kUnsuback; }
  PacketType operator()(const Pingreq&) const { return PacketType::kPingreq; }
  PacketType operator()(const Pingresp&) const { return PacketType::kPingresp; }
  PacketType operator()(const Disconnect&) const { return PacketType::kDisconnect; }
  PacketType operator()(const Auth&) const { return PacketType::kAuth; }
};
}  // namespace

PacketType TypeOf(const Packet& p) { return std::visit(TypeVisitor{}, p); }

}  // namespace tributary::mqtt
