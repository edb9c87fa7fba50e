// Helpers for broker socket tests: an in-process broker on loopback with port 0 and
// AllowAllAuthorizer, temporary directories, and subprocesses (mosquitto_pub/sub,
// openssl) bounded by timeouts.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "broker/broker.h"
#include "net/runtime.h"

namespace tributary::broker::testing {

// A started broker. Destroying it stops the broker, then the runtime.
class TestBroker {
 public:
  // Plain TCP on an ephemeral port unless `options` enables other listeners; TLS and
  // WebSocket are disabled unless their ports are set >= 0 by the caller.
  static std::unique_ptr<TestBroker> Start(BrokerOptions options, Authorizer* auth = nullptr);
  ~TestBroker();

  Broker& broker() { return *broker_; }
  int port() const { return broker_->tcp_port(); }
  MetricsRegistry& metrics() { return metrics_; }
  void Stop() { broker_->Stop(); }

 private:
  TestBroker() : runtime_(2) {}
  net::Runtime runtime_;
  AllowAllAuthorizer allow_all_;
  MetricsRegistry metrics_;
  std::unique_ptr<Broker> broker_;
};

// Default options for tests: TCP on port 0 only, TLS and WebSocket off.
BrokerOptions TestOptions();

// A fresh directory under the system temp dir (removed by the caller if wanted).
std::string MakeTempDir(const std::string& prefix);

// A child process whose stdout and stderr go to a file.
class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> argv);
  ~Subprocess();  // kills the process if still running
  // Waits for exit; returns the exit code, or -1 if it was killed after `timeout_ms`.
  int Wait(int timeout_ms);
  void Kill();
  std::string Output() const;  // stdout + stderr so far
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  int exit_code_ = -2;
};

// Runs a command to completion (killed after `timeout_ms`); returns the exit code
// (-1 when killed) and fills `output` with stdout + stderr.
int RunCommand(const std::vector<std::string>& argv, int timeout_ms, std::string* output);

// Polls `pred` every 20 ms until it holds or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& pred, int timeout_ms);

}  // namespace tributary::broker::testing
