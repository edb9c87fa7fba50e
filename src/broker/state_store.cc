#include "broker/state_store.h"

#include "base/files.h"
#include "base/log.h"
#include "broker/state_codec.h"

namespace tributary::broker {

using metadata::Value;

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& state_dir) {
  TRY(MakeDirs(state_dir, 0700));
  TRY_ASSIGN(auto db, metadata::Database::Open(state_dir + "/broker.db"));
  TRY(db->Migrate("broker", 1,
                  "CREATE TABLE retained(topic TEXT PRIMARY KEY, data BLOB NOT NULL);"
                  "CREATE TABLE sessions(client_id TEXT PRIMARY KEY, data BLOB NOT NULL);"));
  return std::unique_ptr<StateStore>(new StateStore(std::move(db)));
}

Result<std::vector<MessagePtr>> StateStore::LoadRetained(size_t* skipped) {
  TRY_ASSIGN(auto rows, db_->Query("SELECT topic, data FROM retained"));
  std::vector<MessagePtr> out;
  for (const auto& row : rows) {
    auto m = DecodeMessage(row.Text(1));
    if (!m.ok()) {
      Logger("broker")->warn("skipping retained message topic={} error=\"{}\"", row.Text(0),
                             m.status().ToString());
      ++*skipped;
      continue;
    }
    out.push_back(std::move(m).value());
  }
  return out;
}

Result<std::vector<SessionState>> StateStore::LoadSessions(size_t* skipped) {
  TRY_ASSIGN(auto rows, db_->Query("SELECT client_id, data FROM sessions"));
  std::vector<SessionState> out;
  for (const auto& row : rows) {
    auto s = DecodeSession(row.Text(1));
    if (!s.ok()) {
      Logger("broker")->warn("skipping persisted session client_id={} error=\"{}\"",
                             row.Text(0), s.status().ToString());
      ++*skipped;
      continue;
    }
    out.push_back(std::move(s).value());
  }
  return out;
}

Status StateStore::SaveRetained(const std::vector<std::pair<std::string, MessagePtr>>& changes) {
  for (size_t start = 0; start < changes.size(); start += kMaxBatch) {
    size_t end = std::min(changes.size(), start + kMaxBatch);
    TRY(db_->Transaction([&]() -> Status {
      for (size_t i = start; i < end; ++i) {
        const auto& [topic, msg] = changes[i];
        if (msg) {
          TRY(db_->Exec("INSERT OR REPLACE INTO retained(topic, data) VALUES(?, ?)",
                        {Value(topic), Value(EncodeMessage(*msg))})
                  .status());
        } else {
          TRY(db_->Exec("DELETE FROM retained WHERE topic=?", {Value(topic)}).status());
        }
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status StateStore::SaveSessions(const std::vector<SessionState>& upserts,
                                const std::vector<std::string>& deletes) {
  size_t total = upserts.size() + deletes.size();
  for (size_t start = 0; start < total; start += kMaxBatch) {
    size_t end = std::min(total, start + kMaxBatch);
    TRY(db_->Transaction([&]() -> Status {
      for (size_t i = start; i < end; ++i) {
        if (i < upserts.size()) {
          const SessionState& s = upserts[i];
          TRY(db_->Exec("INSERT OR REPLACE INTO sessions(client_id, data) VALUES(?, ?)",
                        {Value(s.client_id), Value(EncodeSession(s))})
                  .status());
        } else {
          TRY(db_->Exec("DELETE FROM sessions WHERE client_id=?",
                        {Value(deletes[i - upserts.size()])})
                  .status());
        }
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

}  // namespace tributary::broker
