// PostgresListener: the receiving end of the metadata database's change notices
// (Database::Watch, database.h) on PostgreSQL. A connection of its own LISTENs on one
// channel; a thread waits on its socket and calls the watchers of each notice's topic.
//
// A notice is a pg_notify on channel kChangeChannel with the payload
// "<schema>\t<sender>\t<topic>\t<key>": every server of every schema in the database hears
// it, and each keeps those of its own schema that another process (another sender id)
// sent. When the connection is lost the thread makes it again (backoff 0.5 s doubling to
// 10 s, logged), LISTENs again and calls every watcher with "" (notices sent meanwhile
// were lost).
//
// Thread-safety: Watch and dropping a ChangeWatch may be called from any thread but not
// from a watcher's own call.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "metadata/database.h"

struct pg_conn;

namespace tributary::metadata {

inline constexpr const char* kChangeChannel = "tributary_metadata";

// libpq's messages end in a newline and continue on tab-indented lines: one line.
std::string OneLinePgMessage(const char* msg);

// PQconnectdbParams over `params` (libpq's keywords and values; the database's
// connection and the listener's are made the same way). Null only if libpq cannot
// allocate; check PQstatus.
pg_conn* ConnectWithParams(const std::vector<std::pair<std::string, std::string>>& params);

// The payload of a notice, and back; nullopt for one that is not ours.
std::string ChangeNoticePayload(std::string_view schema, std::string_view sender,
                                std::string_view topic, std::string_view key);
struct ChangeNotice {
  std::string schema, sender, topic, key;
};
std::optional<ChangeNotice> ParseChangeNotice(std::string_view payload);

class PostgresListener {
 public:
  // `params`: libpq's connection keywords and values (as the database's own connection
  // was made). Connects and LISTENs before returning: Unavailable if it cannot.
  static Result<std::unique_ptr<PostgresListener>> Start(
      std::vector<std::pair<std::string, std::string>> params, std::string schema,
      std::string self_sender, std::string describe);
  ~PostgresListener();
  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  std::unique_ptr<ChangeWatch> Watch(const std::string& topic, ChangeFn fn);

 private:
  class Registration;
  PostgresListener(std::vector<std::pair<std::string, std::string>> params, std::string schema,
                   std::string self_sender, std::string describe);
  Status Connect();  // conn_ connected and listening, or an error
  void Loop();
  // Waits for the socket (or the stop pipe) up to `timeout_ms`; false when stopping.
  bool WaitReadable(int timeout_ms);
  bool SleepUnlessStopped(int ms);
  void Dispatch(const std::string& topic, const std::string& key);
  void DispatchAll(const std::string& key);
  void Unwatch(uint64_t id);

  const std::vector<std::pair<std::string, std::string>> params_;
  const std::string schema_, self_, describe_;
  pg_conn* conn_ = nullptr;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;

  std::mutex mu_;  // watchers_; held while a watcher runs, so Unwatch waits for it
  uint64_t next_id_ = 1;
  std::multimap<std::string, std::pair<uint64_t, ChangeFn>> watchers_;  // by topic
};

}  // namespace tributary::metadata
