// Test-only: a real nats-server as a child process, with JetStream on, listening on a
// free loopback port and storing in a fresh temporary directory, optionally with TLS
// required (and client certificates verified). It can be stopped, killed, paused and
// started again on the same port and store, which is how the tests make connections
// break and come back.
//
//   testing::NatsServer server;
//   ASSERT_TRUE(server.Start().ok());                 // fails (never skips) without nats-server
//   auto nc = Connection::Connect(server.options());
//   server.Kill(); ... server.Start();                // same port, same JetStream store
//
// nats-server comes from scripts/install-deps (Debian's nats-server package); it is looked
// for at NATS_SERVER_EXECUTABLE (set by CMake), /usr/sbin/nats-server, then on PATH. Its
// output goes to <store dir>/../nats-server.log (LogTail). Not thread-safe: drive it from
// the test's main thread (the child is killed if that thread exits).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/testing/temp_dir.h"
#include "nats/connect_options.h"

#ifndef NATS_SERVER_EXECUTABLE
#define NATS_SERVER_EXECUTABLE ""
#endif

namespace tributary::nats::testing {

inline bool IsExecutable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

// The nats-server binary to run, or "" if there is none.
inline std::string FindNatsServer() {
  for (std::string candidate :
       {std::string(NATS_SERVER_EXECUTABLE), std::string("/usr/sbin/nats-server")}) {
    if (IsExecutable(candidate)) return candidate;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && IsExecutable(dir + "/nats-server")) return dir + "/nats-server";
  }
  return "";
}

// A loopback TCP port nobody listens on right now.
inline uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class NatsServer {
 public:
  // Designated initializers pick what a test needs: {.user = "alice", .password = "pw"}.
  struct Options {
    std::string user = {}, password = {};  // --user/--pass when set
    // --tls --tlscert --tlskey when tls_cert is set: clients must speak TLS.
    std::string tls_cert = {}, tls_key = {};
    // With TLS, --tlscacert --tlsverify when set: clients must show a certificate this
    // CA signed.
    std::string tls_verify_ca = {};
    // A cluster member when cluster_port is set: --name, --cluster_name, --cluster on
    // 127.0.0.1:cluster_port, --routes to the other members' cluster ports.
    std::string name = {}, cluster_name = {};
    uint16_t cluster_port = 0;
    std::vector<uint16_t> routes = {};
    // -c: a configuration file (authorization, operator mode, ...); the flags above still
    // apply on top of it.
    std::string config_file = {};
  };

  NatsServer() : NatsServer(Options{}) {}
  explicit NatsServer(Options options)
      : options_(std::move(options)),
        port_(FreeLoopbackPort()),
        store_dir_(dir_.path() + "/store"),
        log_path_(dir_.path() + "/nats-server.log") {}
  ~NatsServer() { Kill(); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts the server (again) and waits, up to 5 s, until its port takes connections.
  Status Start() {
    if (pid_ > 0) return Status::Ok();
    std::string exe = FindNatsServer();
    if (exe.empty()) {
      return FailedPrecondition(
          "nats-server not found (looked at '" + std::string(NATS_SERVER_EXECUTABLE) +
          "', /usr/sbin/nats-server and on PATH): install it with scripts/install-deps "
          "(Debian package nats-server)");
    }
    std::vector<std::string> args = {
        exe, "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", store_dir_};
    if (!options_.config_file.empty()) args.insert(args.end(), {"-c", options_.config_file});
    if (!options_.user.empty()) {
      args.insert(args.end(), {"--user", options_.user, "--pass", options_.password});
    }
    if (!options_.tls_cert.empty()) {
      args.insert(args.end(),
                  {"--tls", "--tlscert", options_.tls_cert, "--tlskey", options_.tls_key});
      if (!options_.tls_verify_ca.empty()) {
        args.insert(args.end(), {"--tlscacert", options_.tls_verify_ca, "--tlsverify"});
      }
    }
    if (options_.cluster_port != 0) {
      std::string routes;
      for (uint16_t r : options_.routes) {
        routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(r);
      }
      args.insert(args.end(), {"--name", options_.name, "--cluster_name", options_.cluster_name,
                               "--cluster",
                               "nats://127.0.0.1:" + std::to_string(options_.cluster_port)});
      if (!routes.empty()) args.insert(args.end(), {"--routes", routes});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) return IoError("cannot open " + log_path_ + " or /dev/null");
    pid_t pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::setpgid(0, 0);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log_fd);
    ::close(null_fd);
    if (pid < 0) return IoError("fork failed");
    pid_ = pid;

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return Unavailable("nats-server exited at start-up; its log ends:\n" + LogTail());
      }
      if (PortAccepts()) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
    return Unavailable("nats-server did not listen on 127.0.0.1:" + std::to_string(port_) +
                       " within 5 s; its log ends:\n" + LogTail());
  }

  // SIGTERM (a clean shutdown: JetStream's store is flushed), then SIGKILL after 5 s.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
  }

  // SIGKILL: connections are cut at once, without a goodbye.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGSTOP / SIGCONT: the server stops reading, as a stalled one would.
  // Stops the server (SIGSTOP) and returns once every thread of it is stopped: kill()
  // returns before a thread running on another core has stopped, and on a loaded machine
  // such a thread may otherwise still answer a request or two.
  void Pause() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGSTOP);
    for (int waited = 0; waited < 2000 && !AllThreadsStopped(); ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  // "127.0.0.1:<port>", as a Connection's server() says it.
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  // nats://[user:pass@]127.0.0.1:<port>, or tls://... for a TLS server.
  std::string url() const {
    std::string auth = options_.user.empty() ? "" : options_.user + ":" + options_.password + "@";
    return (options_.tls_cert.empty() ? "nats://" : "tls://") + auth + host_port();
  }
  // Options for Connection::Connect, with the server's credentials and quick reconnects
  // (no TLS settings: the server does not know which CA signed its certificate).
  ConnectOptions options() const {
    ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.user = options_.user;
    o.password = options_.password;
    o.reconnect_wait_ms = 100;
    o.connect_timeout_ms = 2000;
    return o;
  }
  const std::string& store_dir() const { return store_dir_; }

  // The last few KiB of the server's output, for failure messages.
  std::string LogTail() const {
    std::ifstream in(log_path_);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.size() > 4096 ? all.substr(all.size() - 4096) : all;
  }

 private:
  // Whether /proc says every thread of the server is stopped ('T').
  bool AllThreadsStopped() const {
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream in(task.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const size_t close = stat.rfind(')');
      if (close == std::string::npos || close + 2 >= stat.size()) return false;
      const char state = stat[close + 2];
      if (state != 'T' && state != 't') return false;
    }
    return !ec;
  }
  bool PortAccepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
  }

  const Options options_;
  tributary::testing_support::TempDir dir_;
  const uint16_t port_;
  const std::string store_dir_;
  const std::string log_path_;
  pid_t pid_ = -1;
};

// Three (or more) nats-servers routed into one cluster, JetStream on: a JetStream
// cluster, where a stream may have up to `size` replicas and survives losing a minority.
// JetStream answers only once the members have elected a metadata leader (a few seconds
// after Start): callers retry their first JetStream call.
class NatsCluster {
 public:
  // Each member with `base`'s credentials and TLS (for clients; the routes are plain).
  explicit NatsCluster(size_t size = 3, NatsServer::Options base = {}) : size_(size), base_(std::move(base)) {
    MakeMembers();
  }

  // A route port found free can be taken by another test's listener before its member
  // binds it: then the whole cluster starts again on other ports (three tries).
  Status Start() {
    Status st;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (attempt > 0) MakeMembers();
      st = Status::Ok();
      for (auto& m : members_) {
        st = m->Start();
        if (!st.ok()) break;
      }
      if (st.ok() || st.message().find("address already in use") == std::string::npos) return st;
    }
    return st;
  }
  size_t size() const { return members_.size(); }
  NatsServer& at(size_t i) { return *members_[i]; }
  // The member listening on "127.0.0.1:<port>" (a Connection's server()), or nullptr.
  NatsServer* Find(const std::string& host_port) {
    for (auto& m : members_) {
      if (host_port == m->host_port()) return m.get();
    }
    return nullptr;
  }
  // Every member's log tail, for failure messages.
  std::string LogTails() const {
    std::string all;
    for (size_t i = 0; i < members_.size(); ++i) {
      all += "--- n" + std::to_string(i) + "\n" + members_[i]->LogTail();
    }
    return all;
  }

 private:
  // Members on fresh route ports (stopping any there were).
  void MakeMembers() {
    members_.clear();
    std::vector<uint16_t> cluster_ports;
    for (size_t i = 0; i < size_; ++i) cluster_ports.push_back(FreeLoopbackPort());
    for (size_t i = 0; i < size_; ++i) {
      NatsServer::Options o = base_;
      o.name = "n" + std::to_string(i);
      o.cluster_name = "tributary-test";
      o.cluster_port = cluster_ports[i];
      o.routes.clear();
      for (size_t j = 0; j < size_; ++j) {
        if (j != i) o.routes.push_back(cluster_ports[j]);
      }
      members_.push_back(std::make_unique<NatsServer>(std::move(o)));
    }
  }

  size_t size_;
  NatsServer::Options base_;
  std::vector<std::unique_ptr<NatsServer>> members_;
};

}  // namespace tributary::nats::testing
