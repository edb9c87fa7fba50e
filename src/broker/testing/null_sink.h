// A SessionSink for tests of sessions without a connection: accepts every message and
// ignores wake-ups and kicks.
#pragma once

#include <vector>

#include "broker/session.h"

namespace tributary::broker::testing {

class NullSink : public SessionSink {
 public:
  void Wake() override {}
  bool Accept(const Message&, mqtt::QoS, bool, const std::vector<uint32_t>&) override {
    return true;
  }
  void Kick(mqtt::ReasonCode) override {}
};

}  // namespace tributary::broker::testing
