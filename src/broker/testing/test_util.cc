#include "broker/testing/test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/ids.h"

extern char** environ;

namespace tributary::broker::testing {

BrokerOptions TestOptions() {
  BrokerOptions o;
  o.bind_address = "127.0.0.1";
  o.tcp_port = 0;
  o.tls_port = -1;
  o.ws_port = -1;
  return o;
}

std::unique_ptr<TestBroker> TestBroker::Start(BrokerOptions options, Authorizer* auth) {
  std::unique_ptr<TestBroker> tb(new TestBroker());
  if (Status st = tb->runtime_.Start(); !st.ok()) {
    fprintf(stderr, "test broker failed to start: %s\n", st.ToString().c_str());
    return nullptr;
  }
  auto b = Broker::Create(options, &tb->runtime_, auth ? auth : &tb->allow_all_, &tb->metrics_);
  if (!b.ok()) return nullptr;
  tb->broker_ = std::move(b).value();
  Status st = tb->broker_->Start();
  if (!st.ok()) {
    fprintf(stderr, "test broker failed to start: %s\n", st.ToString().c_str());
    return nullptr;
  }
  return tb;
}

TestBroker::~TestBroker() {
  if (broker_) broker_->Stop();
  broker_.reset();
  runtime_.Stop();
  runtime_.Join();
}

std::string MakeTempDir(const std::string& prefix) {
  auto p = std::filesystem::temp_directory_path() / (prefix + "-" + NewUuid());
  std::filesystem::create_directories(p);
  return p.string();
}

Subprocess::Subprocess(std::vector<std::string> argv) {
  out_path_ = (std::filesystem::temp_directory_path() / ("broker-test-out-" + NewUuid())).string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&fa);
}

Subprocess::~Subprocess() {
  Kill();
  std::error_code ec;
  std::filesystem::remove(out_path_, ec);
}

int Subprocess::Wait(int timeout_ms) {
  if (pid_ <= 0) return exit_code_ == -2 ? -1 : exit_code_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill();
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Subprocess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = -1;
}

std::string Subprocess::Output() const {
  std::ifstream in(out_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int RunCommand(const std::vector<std::string>& argv, int timeout_ms, std::string* output) {
  Subprocess p(argv);
  int rc = p.Wait(timeout_ms);
  if (output != nullptr) *output = p.Output();
  return rc;
}

bool WaitFor(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace tributary::broker::testing
