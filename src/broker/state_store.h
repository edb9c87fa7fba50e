// Where the broker keeps what must survive a restart: <state_dir>/broker.db, an SQLite
// file of its own (not the metadata database: it is written far more often).
//
//   table      key               value (state_codec.h)
//   retained   topic TEXT        data BLOB: one message
//   sessions   client_id TEXT    data BLOB: one persistent session (expiry > 0) with its
//                                subscriptions, queued and in-flight QoS 1/2 messages in
//                                both directions (including the QoS 2 states)
//   wills      client_id TEXT    data BLOB: one delayed will waiting for its time, with
//                                its due time (Unix ms) and sender
//
// The broker writes through a background flusher (broker_impl.cc): every 500 ms it
// upserts the retained topics, the sessions and the delayed wills that changed since their
// last write, at most kMaxBatch rows per transaction, and deletes the rows of sessions
// that are gone and of wills published or cancelled; a flush spends at most 250 ms, and
// what it leaves waits for the next (gauge tributary_mqtt_state_unsaved).
// Stop() runs the flusher one last time for everything. A crash loses at most the last
// flush interval, and the backlog when changes came faster than the disk took them; a
// record that fails to decode is logged and skipped at load.
//
// Thread-safety: thread-safe (the Database serializes calls), used by the flusher thread
// and by Start/Stop.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "broker/message.h"
#include "broker/session.h"
#include "broker/will_state.h"
#include "metadata/database.h"

namespace tributary::broker {

class StateStore {
 public:
  static constexpr size_t kMaxBatch = 500;

  static Result<std::unique_ptr<StateStore>> Open(const std::string& state_dir);

  // Rows that fail to decode are skipped and counted in `*skipped`.
  Result<std::vector<MessagePtr>> LoadRetained(size_t* skipped);
  Result<std::vector<SessionState>> LoadSessions(size_t* skipped);
  Result<std::vector<WillState>> LoadWills(size_t* skipped);

  // (topic, message) pairs; a null message deletes the topic.
  Status SaveRetained(const std::vector<std::pair<std::string, MessagePtr>>& changes);
  Status SaveSessions(const std::vector<SessionState>& upserts,
                      const std::vector<std::string>& deletes);
  Status SaveWills(const std::vector<WillState>& upserts, const std::vector<std::string>& deletes);

 private:
  explicit StateStore(std::unique_ptr<metadata::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<metadata::Database> db_;
};

}  // namespace tributary::broker
