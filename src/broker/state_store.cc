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
  TRY(db->Migrate("broker", 2,
                  "CREATE TABLE wills(client_id TEXT PRIMARY KEY, data BLOB NOT NULL);"));
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

namespace {

// Every row of `table` (keyed by client_id) decoded; a row that fails is logged, counted in
// `*skipped` and left out.
template <typename State>
Result<std::vector<State>> LoadByClientId(metadata::Database* db, const std::string& table,
                                          std::string_view what,
                                          Result<State> (*decode)(std::string_view),
                                          size_t* skipped) {
  TRY_ASSIGN(auto rows, db->Query("SELECT client_id, data FROM " + table));
  std::vector<State> out;
  for (const auto& row : rows) {
    auto s = decode(row.Text(1));
    if (!s.ok()) {
      Logger("broker")->warn("skipping persisted {} client_id={} error=\"{}\"", what, row.Text(0),
                             s.status().ToString());
      ++*skipped;
      continue;
    }
    out.push_back(std::move(s).value());
  }
  return out;
}

// Upserts then deletes rows of `table` (keyed by client_id), kMaxBatch per transaction.
template <typename State, typename Encode>
Status SaveByClientId(metadata::Database* db, const std::string& table,
                      const std::vector<State>& upserts, const std::vector<std::string>& deletes,
                      Encode encode) {
  const std::string upsert = "INSERT OR REPLACE INTO " + table + "(client_id, data) VALUES(?, ?)";
  const std::string remove = "DELETE FROM " + table + " WHERE client_id=?";
  size_t total = upserts.size() + deletes.size();
  for (size_t start = 0; start < total; start += StateStore::kMaxBatch) {
    size_t end = std::min(total, start + StateStore::kMaxBatch);
    TRY(db->Transaction([&]() -> Status {
      for (size_t i = start; i < end; ++i) {
        if (i < upserts.size()) {
          TRY(db->Exec(upsert, {Value(upserts[i].client_id), Value(encode(upserts[i]))}).status());
        } else {
          TRY(db->Exec(remove, {Value(deletes[i - upserts.size()])}).status());
        }
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<SessionState>> StateStore::LoadSessions(size_t* skipped) {
  return LoadByClientId(db_.get(), "sessions", "session", DecodeSession, skipped);
}

Result<std::vector<WillState>> StateStore::LoadWills(size_t* skipped) {
  return LoadByClientId(db_.get(), "wills", "will", DecodeWill, skipped);
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
  return SaveByClientId(db_.get(), "sessions", upserts, deletes, EncodeSession);
}

Status StateStore::SaveWills(const std::vector<WillState>& upserts,
                             const std::vector<std::string>& deletes) {
  return SaveByClientId(db_.get(), "wills", upserts, deletes, EncodeWill);
}

}  // namespace tributary::broker
