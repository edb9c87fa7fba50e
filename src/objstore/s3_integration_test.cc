// The S3 backend against a real S3-compatible server: s3rver (npm, pinned in
// tests/package.json, installed by scripts/install-deps), started once for the suite
// by tests/objstore/s3rver_launcher.js, which also checks every SigV4 signature with the
// independent `aws4` package (s3rver itself does not). Retries and timeouts are tested
// against a tiny in-process HTTP server that misbehaves on purpose.
//
// Skips only when node is missing; a missing npm package is a failure.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "objstore/s3_object_store.h"

namespace tributary::objstore {
namespace {
namespace fs = std::filesystem;

constexpr char kBucket[] = "iot-data";

std::string FindNode() {
  std::string configured = NODE_EXECUTABLE;
  if (!configured.empty() && configured.find("NOTFOUND") == std::string::npos &&
      ::access(configured.c_str(), X_OK) == 0)
    return configured;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// s3rver in a child process; its stdin is a pipe whose closing stops it.
class S3rver {
 public:
  bool Start(const std::string& node, const std::string& dir, std::string* error,
             std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {node, S3RVER_LAUNCHER, "--dir", dir, "--bucket", kBucket};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      *error = "pipe failed";
      return false;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::setenv("NODE_PATH", TESTS_NODE_MODULES, 1);
      ::execv(node.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      pollfd p{out[0], POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    size_t at = line.find("\"port\":");
    if (at == std::string::npos) {
      *error = "s3rver did not start (output: '" + line +
               "'); is tests/node_modules installed? run scripts/install-deps";
      return false;
    }
    port_ = std::stoi(line.substr(at + 7));
    return true;
  }

  ~S3rver() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ <= 0) return;
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

class S3IntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    node_ = FindNode();
    if (node_.empty()) return;
    dir_ = (fs::temp_directory_path() / ("objstore-s3rver-" + RandomHex(6))).string();
    fs::create_directories(dir_);
    server_ = new S3rver();
    if (!server_->Start(node_, dir_, &start_error_) && start_error_.empty())
      start_error_ = "s3rver did not start";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (node_.empty()) GTEST_SKIP() << "node is not installed; the S3 integration test needs it";
    ASSERT_TRUE(start_error_.empty()) << start_error_;
  }

  static ObjectStoreConfig Config() {
    ObjectStoreConfig config;
    config.backend = "s3";
    config.endpoint = "http://127.0.0.1:" + std::to_string(server_->port());
    config.access_key_id = "S3RVER";
    config.secret_access_key = "S3RVER";
    config.max_attempts = 2;
    config.timeout_ms = 10000;
    return config;
  }

  static std::shared_ptr<ObjectStore> Open(const ObjectStoreConfig& config,
                                           s3::S3Options options = {},
                                           const std::string& bucket = kBucket) {
    auto provider = S3ObjectStoreProvider::Open(config, options);
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    if (!provider.ok()) return nullptr;
    auto store = (*provider)->Bucket(bucket);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? *store : nullptr;
  }

  // Multipart uploads s3rver holds open (its <bucket>/..._S3rver_uploads/<id> directories).
  static size_t OpenUploads() {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir_))
      if (e.is_directory() &&
          e.path().parent_path().filename().string().find("uploads") != std::string::npos)
        ++n;
    return n;
  }

  static std::string node_, dir_, start_error_;
  static S3rver* server_;
};
std::string S3IntegrationTest::node_, S3IntegrationTest::dir_, S3IntegrationTest::start_error_;
S3rver* S3IntegrationTest::server_ = nullptr;

TEST_F(S3IntegrationTest, PutGetHeadDelete) {
  auto store = Open(Config());
  ASSERT_NE(store, nullptr);
  PutOptions options;
  options.content_type = "application/json";
  options.metadata["device"] = "pollution-1";
  std::string key = "2026/11/30/14/a b+c&d=\xC3\xA9.json";
  int64_t before = WallMillis();
  ASSERT_TRUE(store->Put(key, "{\"ozone\":3}\n", options).ok());
  auto data = store->Get(key);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(*data, "{\"ozone\":3}\n");
  auto info = store->Head(key);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key, key);
  EXPECT_EQ(info->size, 12u);
  EXPECT_EQ(info->etag.size(), 32u) << info->etag;  // s3rver: MD5 hex, quotes removed
  EXPECT_NEAR(static_cast<double>(info->modified_ms), static_cast<double>(before), 60000.0);
  EXPECT_EQ(info->content_type, "application/json");
  EXPECT_EQ(info->metadata, (std::map<std::string, std::string>{{"device", "pollution-1"}}));
  ASSERT_TRUE(store->Delete(key).ok());
  EXPECT_EQ(store->Get(key).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->Head(key).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store->Delete(key).ok()) << "deleting a missing key is OK";
  EXPECT_EQ(store->Describe(), "s3://iot-data (" + Config().endpoint + ")");
}

TEST_F(S3IntegrationTest, MissingKeysAndBucketsAreNotFound) {
  auto store = Open(Config());
  ASSERT_NE(store, nullptr);
  auto missing = store->Get("no/such/key");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("NoSuchKey"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("s3://iot-data/no/such/key"), std::string::npos);
  auto other = Open(Config(), {}, "no-such-bucket");
  ASSERT_NE(other, nullptr);
  Status st = other->Put("k", "v");
  EXPECT_EQ(st.code(), ErrorCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("NoSuchBucket"), std::string::npos) << st.message();
  EXPECT_EQ(other->List("").status().code(), ErrorCode::kNotFound);
}

TEST_F(S3IntegrationTest, RangeGets) {
  auto store = Open(Config());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("range", "0123456789").ok());
  EXPECT_EQ(*store->Get("range", ByteRange{2, 3, {}}), "234");
  EXPECT_EQ(*store->Get("range", ByteRange{7, std::nullopt, {}}), "789");
  EXPECT_EQ(*store->Get("range", ByteRange{8, 100, {}}), "89");
  EXPECT_EQ(*store->Get("range", ByteRange{0, 0, {}}), "");
  auto at_end = store->Get("range", ByteRange{10, std::nullopt, {}});
  ASSERT_TRUE(at_end.ok()) << at_end.status().ToString();
  EXPECT_EQ(*at_end, "");
  EXPECT_EQ(store->Get("range", ByteRange{11, 1, {}}).status().code(), ErrorCode::kInvalidArgument);
  // A piece of the object of a given ETag: the If-Match header goes signed (the launcher
  // checks every signature). s3rver does not compare it on reads (AWS S3 and MinIO do,
  // answering 412, which the client turns into FailedPrecondition: s3_client_test.cc).
  const std::string etag = store->Head("range")->etag;
  auto piece = store->Get("range", ByteRange{2, 3, etag});
  ASSERT_TRUE(piece.ok()) << piece.status().ToString();
  EXPECT_EQ(*piece, "234");
}

TEST_F(S3IntegrationTest, MultipartUploadAboveTheThreshold) {
  ObjectStoreConfig config = Config();
  config.multipart_threshold = 5ull << 20;
  config.part_size = 5ull << 20;  // S3's minimum; s3rver does not enforce it, AWS does
  auto store = Open(config);
  ASSERT_NE(store, nullptr);
  std::string body;
  for (int i = 0; body.size() < (12ull << 20) + 123; ++i)
    body += "line " + std::to_string(i) + "\n";
  auto writer = store->NewWriter("big/multipart.txt");
  ASSERT_TRUE(writer.ok());
  for (size_t off = 0; off < body.size(); off += 1 << 20)
    ASSERT_TRUE((*writer)->Write(std::string_view(body).substr(off, 1 << 20)).ok());
  EXPECT_EQ(OpenUploads(), 1u) << "the writer should have switched to a multipart upload";
  EXPECT_EQ(store->Head("big/multipart.txt").status().code(), ErrorCode::kNotFound)
      << "visible before Commit";
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(OpenUploads(), 0u);
  auto info = store->Head("big/multipart.txt");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, body.size());
  auto all = store->Get("big/multipart.txt");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(*all == body) << "multipart object differs from what was written";
  uint64_t boundary = 5ull << 20;
  EXPECT_EQ(*store->Get("big/multipart.txt", ByteRange{boundary - 3, 6, {}}),
            body.substr(boundary - 3, 6));

  // An uncommitted writer aborts its upload: no object, no parts left behind.
  {
    auto dropped = store->NewWriter("big/dropped.txt");
    ASSERT_TRUE(dropped.ok());
    ASSERT_TRUE((*dropped)->Write(body.substr(0, (6ull << 20))).ok());
    EXPECT_EQ(OpenUploads(), 1u);
  }
  EXPECT_EQ(OpenUploads(), 0u);
  EXPECT_EQ(store->Head("big/dropped.txt").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store->Delete("big/multipart.txt").ok());
}

TEST_F(S3IntegrationTest, ListWithDelimiterAcrossPages) {
  s3::S3Options options;
  options.list_page_size = 7;  // 30 keys: five pages, each needing the continuation token
  auto store = Open(Config(), options);
  ASSERT_NE(store, nullptr);
  std::vector<std::string> expected;
  for (int i = 0; i < 24; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "list/day-%02d.json", i);
    expected.push_back(key);
  }
  for (const char* nested : {"list/sub/a", "list/sub/b", "list/other/c"})
    expected.push_back(nested);
  expected.push_back("list-sibling");
  expected.push_back("list/\xC3\xA9t\xC3\xA9");
  expected.push_back("list/A&B");
  for (const auto& key : expected) ASSERT_TRUE(store->Put(key, key).ok()) << key;
  std::sort(expected.begin(), expected.end());

  auto all = store->List("list/");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> keys;
  for (const auto& o : all->objects) keys.push_back(o.key);
  std::vector<std::string> under(expected.begin(), expected.end());
  under.erase(std::remove(under.begin(), under.end(), "list-sibling"), under.end());
  EXPECT_EQ(keys, under);
  EXPECT_TRUE(all->common_prefixes.empty());

  auto folded = store->List("list/", "/");
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_EQ(folded->common_prefixes, (std::vector<std::string>{"list/other/", "list/sub/"}));
  EXPECT_EQ(folded->objects.size(), 26u);
  for (const auto& o : folded->objects) EXPECT_EQ(o.key.find('/', 5), std::string::npos) << o.key;
  for (const auto& o : folded->objects) EXPECT_EQ(o.size, o.key.size()) << o.key;

  auto top = store->List("", "/");
  ASSERT_TRUE(top.ok());
  EXPECT_NE(std::find(top->common_prefixes.begin(), top->common_prefixes.end(), "list/"),
            top->common_prefixes.end());
  for (const auto& key : expected) ASSERT_TRUE(store->Delete(key).ok());
  EXPECT_TRUE(store->List("list").value().objects.empty());
}

TEST_F(S3IntegrationTest, WrongCredentialsArePermissionDenied) {
  ObjectStoreConfig config = Config();
  config.secret_access_key = "not-the-secret";
  auto store = Open(config);
  ASSERT_NE(store, nullptr);
  Status st = store->Put("k", "v");
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("SignatureDoesNotMatch"), std::string::npos) << st.message();
  config = Config();
  config.access_key_id = "NOBODY";
  store = Open(config);
  ASSERT_NE(store, nullptr);
  auto got = store->Get("k");
  EXPECT_EQ(got.status().code(), ErrorCode::kPermissionDenied) << got.status().ToString();
  EXPECT_NE(got.status().message().find("InvalidAccessKeyId"), std::string::npos);
}

TEST_F(S3IntegrationTest, VirtualHostAddressing) {
  // Virtual-host requests go to <bucket>.s3.amazonaws.com, which s3rver recognises; the
  // connection itself goes to 127.0.0.1 (like curl --resolve).
  ObjectStoreConfig config = Config();
  config.endpoint = "http://s3.amazonaws.com:" + std::to_string(server_->port());
  config.path_style = false;
  s3::S3Options options;
  options.transport.connect_host = "127.0.0.1";
  auto vhost = Open(config, options);
  ASSERT_NE(vhost, nullptr);
  ASSERT_TRUE(vhost->Put("vhost/a.txt", "via the Host header").ok());
  auto path_style = Open(Config());
  EXPECT_EQ(*path_style->Get("vhost/a.txt"), "via the Host header");
  auto listed = vhost->List("vhost/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->objects.size(), 1u);
  EXPECT_EQ(listed->objects[0].key, "vhost/a.txt");
  EXPECT_EQ(*vhost->Get("vhost/a.txt", ByteRange{4, 3, {}}), "the");
  ASSERT_TRUE(vhost->Delete("vhost/a.txt").ok());
}

// https: s3rver behind a certificate made for this test. Trusted through ca_file it
// works; with the system's CAs the handshake fails (peer verification is on by default).
TEST_F(S3IntegrationTest, HttpsVerifiesThePeer) {
  std::string tls_dir = dir_ + "-tls";
  fs::create_directories(tls_dir);
  std::string cert = tls_dir + "/cert.pem", key = tls_dir + "/key.pem";
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
  S3rver tls_server;
  std::string error;
  ASSERT_TRUE(
      tls_server.Start(node_, tls_dir + "/data", &error, {"--tls-cert", cert, "--tls-key", key}))
      << error;
  ObjectStoreConfig config = Config();
  config.endpoint = "https://127.0.0.1:" + std::to_string(tls_server.port());
  s3::S3Options trusted;
  trusted.transport.ca_file = cert;
  auto store = Open(config, trusted);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("tls/a", "over TLS").ok());
  EXPECT_EQ(*store->Get("tls/a"), "over TLS");
  EXPECT_EQ(*store->Get("tls/a", ByteRange{5, std::nullopt, {}}), "TLS");

  auto untrusted = Open(config);
  ASSERT_NE(untrusted, nullptr);
  auto refused = untrusted->Get("tls/a");
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("TLS handshake"), std::string::npos);
  EXPECT_NE(refused.status().message().find("certificate is not accepted"), std::string::npos)
      << refused.status().message();
  fs::remove_all(tls_dir);
}

// A one-connection-at-a-time HTTP server that answers the first `failures` requests with
// `status` (or not at all when status is 0) and the rest with 200 "hello".
class FlakyServer {
 public:
  FlakyServer(int failures, int status) : failures_(failures), status_(status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FlakyServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : held_) ::close(c);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      int n = ++requests_;
      std::string response;
      if (n > failures_) {
        response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      } else if (status_ == 0) {
        held_.push_back(c);  // never answered: the client must time out
        continue;
      } else {
        std::string body =
            "<Error><Code>SlowDown</Code><Message>Please reduce your request "
            "rate.</Message></Error>";
        response = "HTTP/1.1 " + std::to_string(status_) +
                   " Busy\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\nConnection: close\r\n\r\n" + body;
      }
      if (!response.empty()) (void)!::write(c, response.data(), response.size());
      ::close(c);
    }
  }
  int failures_, status_;
  int fd_ = -1, port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  std::vector<int> held_;  // connections left unanswered; only the server thread touches it
  std::thread thread_;
};

std::shared_ptr<ObjectStore> FlakyStore(int port, int max_attempts, int timeout_ms = 5000) {
  ObjectStoreConfig config;
  config.backend = "s3";
  config.endpoint = "http://127.0.0.1:" + std::to_string(port);
  config.access_key_id = "k";
  config.secret_access_key = "s";
  config.max_attempts = max_attempts;
  config.timeout_ms = timeout_ms;
  s3::S3Options options;
  options.retry_base_ms = 5;
  options.throttle_base_ms = 5;
  auto provider = S3ObjectStoreProvider::Open(config, options);
  return provider.ok() ? *(*provider)->Bucket(kBucket) : nullptr;
}

TEST(S3Retries, ServiceUnavailableIsRetriedWithBackoff) {
  FlakyServer server(2, 503);
  auto store = FlakyStore(server.port(), 3);
  ASSERT_NE(store, nullptr);
  auto data = store->Get("k");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(*data, "hello");
  EXPECT_EQ(server.requests(), 3);
}

TEST(S3Retries, GivesUpAfterMaxAttempts) {
  FlakyServer server(10, 503);
  auto store = FlakyStore(server.port(), 2);
  auto data = store->Get("k");
  EXPECT_EQ(data.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(data.status().message().find("503 SlowDown"), std::string::npos)
      << data.status().message();
  EXPECT_EQ(server.requests(), 2);
}

TEST(S3Retries, TooManyRequestsAndTimeoutsAreRetried) {
  {
    FlakyServer server(1, 429);
    auto data = FlakyStore(server.port(), 2)->Get("k");
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    EXPECT_EQ(server.requests(), 2);
  }
  {
    FlakyServer server(1, 0);  // first request: no answer within the 150 ms timeout
    auto data = FlakyStore(server.port(), 2, 150)->Get("k");
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    EXPECT_EQ(server.requests(), 2);
  }
  {
    FlakyServer server(5, 0);
    auto data = FlakyStore(server.port(), 1, 150)->Get("k");
    EXPECT_EQ(data.status().code(), ErrorCode::kDeadlineExceeded) << data.status().ToString();
  }
}

TEST(S3Retries, ClientErrorsAreNotRetried) {
  FlakyServer server(10, 404);
  auto data = FlakyStore(server.port(), 5)->Get("k");
  EXPECT_EQ(data.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(server.requests(), 1);
}

// A loopback server that hands each connection to `serve` on its own thread (joined
// when the server goes away), for misbehaviours FlakyServer does not cover.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int fd)> serve, int receive_buffer = 0)
      : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // Set before listen, so that accepted sockets inherit it: a small window makes a
    // slow reader slow the writer down.
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ++connections_;
        workers_.emplace_back([this, c] {
          serve_(c);
          ::close(c);
        });
      }
    });
  }
  ~LoopbackServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& w : workers_) w.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  std::function<void(int)> serve_;
  int fd_ = -1, port_ = 0;
  std::atomic<int> connections_{0};
  std::vector<std::thread> workers_;  // only the accepting thread adds to it
  std::thread thread_;
};

// Reads a request's header and its Content-Length body, `chunk` bytes at a time with
// `pause_ms` between reads; returns the body's size.
size_t ReadRequestSlowly(int c, size_t chunk, int pause_ms) {
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::read(c, buf, sizeof(buf));
    if (n <= 0) return 0;
    request.append(buf, static_cast<size_t>(n));
  }
  size_t header_end = request.find("\r\n\r\n") + 4;
  size_t length = 0;
  for (const char* name : {"content-length: ", "Content-Length: "})
    if (size_t at = request.find(name); at != std::string::npos && at < header_end)
      length = std::stoull(request.substr(at + std::strlen(name)));
  size_t got = request.size() - header_end;
  std::vector<char> big(chunk);
  while (got < length) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    ssize_t n = ::read(c, big.data(), std::min(chunk, length - got));
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

// A transfer slower than timeout_ms as a whole but never idle that long is not cut off:
// the request body is read slowly (8 MiB through a small window, about 1 s) and the
// response trickles out, a byte per 40 ms (1.2 s), each against a 500 ms timeout.
TEST(S3Timeouts, ATransferThatKeepsMovingIsNotCutOff) {
  const std::string body(8u << 20, 'x');
  std::atomic<size_t> received{0};
  LoopbackServer server(
      [&](int c) {
        received = ReadRequestSlowly(c, 256u << 10, 10);
        std::string reply = "0123456789abcdefghij0123456789";
        std::string head =
            "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: " + std::to_string(reply.size()) +
            "\r\nConnection: close\r\n\r\n";
        (void)!::write(c, head.data(), head.size());
        for (char ch : reply) {
          std::this_thread::sleep_for(std::chrono::milliseconds(40));
          (void)!::write(c, &ch, 1);
        }
      },
      64 << 10);
  auto store = FlakyStore(server.port(), 1, 500);
  ASSERT_NE(store, nullptr);
  auto started = std::chrono::steady_clock::now();
  Status st = store->Put("slow/object", body);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(received, body.size());
  EXPECT_GT(took, std::chrono::milliseconds(1200)) << "the transfer should have been slow";
  EXPECT_EQ(server.connections(), 1);
}

// ...while one that stops moving mid-body times out after timeout_ms of silence.
TEST(S3Timeouts, ATransferThatStallsTimesOut) {
  LoopbackServer server([](int c) {
    ReadRequestSlowly(c, 4096, 0);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
    (void)!::write(c, head.data(), head.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
  });
  auto started = std::chrono::steady_clock::now();
  auto data = FlakyStore(server.port(), 1, 200)->Get("k");
  EXPECT_EQ(data.status().code(), ErrorCode::kDeadlineExceeded) << data.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(700));
}

// A TLS handshake the server hangs up on (a restarting server, a proxy) is a transient
// failure: retried, and not blamed on the certificate.
TEST(S3Tls, AHandshakeCutShortIsRetried) {
  LoopbackServer server([](int c) {
    char buf[512];
    (void)!::read(c, buf, sizeof(buf));  // the ClientHello, unanswered
  });
  ObjectStoreConfig config;
  config.backend = "s3";
  config.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
  config.access_key_id = "k";
  config.secret_access_key = "s";
  config.max_attempts = 3;
  config.timeout_ms = 2000;
  s3::S3Options options;
  options.retry_base_ms = 1;
  auto provider = S3ObjectStoreProvider::Open(config, options);
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  auto data = (*(*provider)->Bucket(kBucket))->Get("k");
  EXPECT_EQ(data.status().code(), ErrorCode::kUnavailable) << data.status().ToString();
  EXPECT_NE(data.status().message().find("closed before the handshake finished"), std::string::npos)
      << data.status().message();
  EXPECT_EQ(data.status().message().find("certificate"), std::string::npos)
      << data.status().message();
  EXPECT_EQ(server.connections(), 3);
}

}  // namespace
}  // namespace tributary::objstore
