// Connecting test clients (header-only, for gtest binaries): CONNECT packets for MQTT 5
// and 3.1.1, and a connect that fails the test when the broker refuses it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "broker/testing/test_client.h"
#include "mqtt/packet.h"

namespace tributary::broker::testing {

// `expiry`: the session expiry interval, seconds (0: the session ends with the connection).
inline mqtt::Connect V5(const std::string& id, bool clean = true, uint32_t expiry = 0) {
  mqtt::Connect c;
  c.version = mqtt::Version::kV5;
  c.client_id = id;
  c.clean_start = clean;
  if (expiry) c.properties.session_expiry_interval = expiry;
  return c;
}

inline mqtt::Connect V311(const std::string& id) {
  mqtt::Connect c = V5(id);
  c.version = mqtt::Version::kV311;
  return c;
}

inline std::unique_ptr<TestClient> MustConnect(int port, mqtt::Connect c) {
  auto r = TestClient::Connected(port, std::move(c));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

}  // namespace tributary::broker::testing
