#include "metadata/postgres_listener.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "base/start_thread.h"

namespace tributary::metadata {

std::string OneLinePgMessage(const char* msg) {
  std::string out;
  for (const char* p = msg ? msg : ""; *p; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += *p;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

pg_conn* ConnectWithParams(const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
}

std::string ChangeNoticePayload(std::string_view schema, std::string_view sender,
                                std::string_view topic, std::string_view key) {
  return fmt::format("{}\t{}\t{}\t{}", schema, sender, topic, key);
}

std::optional<ChangeNotice> ParseChangeNotice(std::string_view payload) {
  ChangeNotice n;
  std::string* parts[] = {&n.schema, &n.sender, &n.topic};
  for (std::string* part : parts) {
    size_t tab = payload.find('\t');
    if (tab == std::string_view::npos) return std::nullopt;
    *part = std::string(payload.substr(0, tab));
    payload.remove_prefix(tab + 1);
  }
  n.key = std::string(payload);
  if (n.schema.empty() || n.sender.empty() || n.topic.empty()) return std::nullopt;
  return n;
}

class PostgresListener::Registration : public ChangeWatch {
 public:
  Registration(PostgresListener* listener, uint64_t id) : listener_(listener), id_(id) {}
  ~Registration() override { listener_->Unwatch(id_); }

 private:
  PostgresListener* listener_;
  uint64_t id_;
};

PostgresListener::PostgresListener(std::vector<std::pair<std::string, std::string>> params,
                                   std::string schema, std::string self_sender,
                                   std::string describe)
    : params_(std::move(params)),
      schema_(std::move(schema)),
      self_(std::move(self_sender)),
      describe_(std::move(describe)) {}

Result<std::unique_ptr<PostgresListener>> PostgresListener::Start(
    std::vector<std::pair<std::string, std::string>> params, std::string schema,
    std::string self_sender, std::string describe) {
  std::unique_ptr<PostgresListener> l(new PostgresListener(
      std::move(params), std::move(schema), std::move(self_sender), std::move(describe)));
  if (::pipe2(l->stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return IoError(fmt::format("metadata database {}: change listener: pipe: {}", l->describe_,
                               std::strerror(errno)));
  }
  TRY(l->Connect());
  PostgresListener* p = l.get();
  TRY_ASSIGN(l->thread_, StartThread("pg-listen", [p] { p->Loop(); }));
  return l;
}

PostgresListener::~PostgresListener() {
  if (stop_pipe_[1] >= 0) {
    char b = 1;
    (void)::write(stop_pipe_[1], &b, 1);
  }
  if (thread_.joinable()) thread_.join();
  if (conn_) PQfinish(conn_);
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

Status PostgresListener::Connect() {
  // An idle listener hears nothing from a server that vanished: TCP keepalives find out
  // within about a minute (the operating system's default takes hours).
  auto params = params_;
  params.emplace_back("keepalives", "1");
  params.emplace_back("keepalives_idle", "30");
  params.emplace_back("keepalives_interval", "10");
  params.emplace_back("keepalives_count", "3");
  PGconn* conn = ConnectWithParams(params);
  if (conn == nullptr) return ResourceExhausted("libpq could not allocate a connection");
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  auto fail = [&](const std::string& what) {
    std::string msg = OneLinePgMessage(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable(fmt::format("metadata database {}: change listener: {}: {}", describe_,
                                   what, msg));
  };
  if (PQstatus(conn) != CONNECTION_OK) return fail("cannot connect");
  PGresult* r = PQexec(conn, fmt::format("LISTEN {}", kChangeChannel).c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return fail("LISTEN");
  if (PQsetnonblocking(conn, 1) != 0) return fail("non-blocking mode");
  conn_ = conn;
  return Status::Ok();
}

bool PostgresListener::WaitReadable(int timeout_ms) {
  pollfd fds[2] = {{PQsocket(conn_), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  int n = ::poll(fds, 2, timeout_ms);
  return !(n > 0 && (fds[1].revents & POLLIN));
}

bool PostgresListener::SleepUnlessStopped(int ms) {
  pollfd fd = {stop_pipe_[0], POLLIN, 0};
  return ::poll(&fd, 1, ms) <= 0;
}

void PostgresListener::Loop() {
  auto log = Logger("metadata");
  int backoff_ms = 500;
  while (true) {
    if (conn_ == nullptr) {
      if (!SleepUnlessStopped(backoff_ms)) return;
      Status st = Connect();
      if (!st.ok()) {
        log->warn("{} (trying again in {} ms)", st.message(), std::min(backoff_ms * 2, 10'000));
        backoff_ms = std::min(backoff_ms * 2, 10'000);
        continue;
      }
      backoff_ms = 500;
      log->info("metadata database {}: change listener connected again; re-reading what "
                "other servers may have changed",
                describe_);
      DispatchAll("");
    }
    // Wakes at least every 30 s, so that a connection the keepalives gave up on is noticed.
    if (!WaitReadable(30'000)) return;
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) {
      std::string msg = OneLinePgMessage(PQerrorMessage(conn_));
      log->warn("metadata database {}: change listener lost its connection: {}", describe_, msg);
      PQfinish(conn_);
      conn_ = nullptr;
      continue;
    }
    while (PGnotify* n = PQnotifies(conn_)) {
      auto notice = ParseChangeNotice(n->extra ? n->extra : "");
      PQfreemem(n);
      if (!notice || notice->schema != schema_ || notice->sender == self_) continue;
      Dispatch(notice->topic, notice->key);
    }
  }
}

void PostgresListener::Dispatch(const std::string& topic, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [begin, end] = watchers_.equal_range(topic);
  for (auto it = begin; it != end; ++it) it->second.second(key);
}

void PostgresListener::DispatchAll(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [topic, watcher] : watchers_) watcher.second(key);
}

std::unique_ptr<ChangeWatch> PostgresListener::Watch(const std::string& topic, ChangeFn fn) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  watchers_.emplace(topic, std::make_pair(id, std::move(fn)));
  return std::make_unique<Registration>(this, id);
}

void PostgresListener::Unwatch(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
    if (it->second.first == id) {
      watchers_.erase(it);
      return;
    }
  }
}

}  // namespace tributary::metadata
