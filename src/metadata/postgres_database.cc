#include "metadata/postgres_database.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "base/ids.h"
#include "base/log.h"
#include "metadata/postgres_listener.h"
#include "metadata/sql_dialect.h"

namespace tributary::metadata {
namespace {

// PostgreSQL's type OIDs (pg_type.dat) of the columns read back as numbers or bytes.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26,
              kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

constexpr std::string_view kDefaultSchema = "tributary";

bool ValidSchema(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_'))
      return false;
  }
  return true;
}

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A column value in text format, by its type.
Value Decode(const char* text, int length, Oid type) {
  switch (type) {
    case kBool: return int64_t{text[0] == 't' ? 1 : 0};
    case kInt2: case kInt4: case kInt8: case kOid: return int64_t{std::strtoll(text, nullptr, 10)};
    case kFloat4: case kFloat8: return std::strtod(text, nullptr);
    case kNumeric: {
      std::string_view s(text, static_cast<size_t>(length));
      if (s.find_first_of(".eEN") == std::string_view::npos) {
        errno = 0;
        long long v = std::strtoll(text, nullptr, 10);
        if (errno == 0) return int64_t{v};
      }
      return std::strtod(text, nullptr);
    }
    case kBytea: {
      // bytea_output 'hex' (the default since PostgreSQL 9.0): \x then two digits a byte.
      std::string bytes;
      if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
        bytes.reserve(static_cast<size_t>(length - 2) / 2);
        for (int i = 2; i + 1 < length; i += 2) {
          bytes += static_cast<char>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1]));
        }
      }
      return bytes;
    }
    default: return std::string(text, static_cast<size_t>(length));
  }
}

}  // namespace

Result<std::unique_ptr<Database>> PostgresDatabase::Connect(const std::string& url) {
  // Take `schema` out of the query string: libpq refuses parameters it does not know.
  std::string base = url, schema(kDefaultSchema), rest;
  bool has_timeout = false;
  if (size_t q = url.find('?'); q != std::string::npos) {
    base = url.substr(0, q);
    std::string_view query(url);
    query.remove_prefix(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (pair.rfind("schema=", 0) == 0) {
        schema = std::string(pair.substr(7));
        continue;
      }
      if (pair.rfind("connect_timeout=", 0) == 0) has_timeout = true;
      rest += rest.empty() ? "?" : "&";
      rest += pair;
    }
  }
  if (!ValidSchema(schema)) {
    return InvalidArgument("metadata_url: schema '" + schema +
                           "' must be 1 to 63 lower-case letters, digits and '_', not starting "
                           "with a digit");
  }
  std::string conninfo = base + rest;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string app = fmt::format("tributary server (pid {} on {})", ::getpid(), host);
  std::vector<std::pair<std::string, std::string>> params = {{"dbname", conninfo},
                                                             {"application_name", app}};
  if (!has_timeout) params.emplace_back("connect_timeout", "10");
  PGconn* conn = ConnectWithParams(params);
  if (conn == nullptr) return ResourceExhausted("metadata database: libpq could not allocate a connection");
  std::unique_ptr<PostgresDatabase> db(new PostgresDatabase(conn, schema, std::move(params)));
  if (PQstatus(conn) != CONNECTION_OK) {
    return Unavailable(fmt::format("metadata database {}: cannot connect: {}", db->Describe(),
                                   OneLinePgMessage(PQerrorMessage(conn))));
  }
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  TRY(db->SetUpSession());
  TRY(db->Exec("CREATE TABLE IF NOT EXISTS schema_versions("
               "component TEXT COLLATE \"C\" PRIMARY KEY, version BIGINT NOT NULL)")
          .status());
  return std::unique_ptr<Database>(std::move(db));
}

PostgresDatabase::PostgresDatabase(pg_conn* conn, std::string schema,
                                   std::vector<std::pair<std::string, std::string>> params)
    : conn_(conn),
      schema_(std::move(schema)),
      params_(std::move(params)),
      sender_(NewUuid()) {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  const char* db = PQdb(conn_);
  describe_ = fmt::format("PostgreSQL {}:{}/{} schema {}", host && *host ? host : "localhost",
                          port && *port ? port : "5432", db ? db : "", schema_);
}

PostgresDatabase::~PostgresDatabase() {
  listener_.reset();
  PQfinish(conn_);
}

void PostgresDatabase::Announce(std::string_view topic, std::string_view key) {
  auto sent = Run("SELECT pg_notify(?, ?)",
                  {Value(std::string(kChangeChannel)),
                   Value(ChangeNoticePayload(schema_, sender_, topic, key))},
                  nullptr);
  if (!sent.ok()) {
    Logger("metadata")->warn("change of {} '{}' not announced to other servers: {}", topic, key,
                             sent.status().message());
  }
}

Result<std::unique_ptr<ChangeWatch>> PostgresDatabase::Watch(const std::string& topic,
                                                             ChangeFn fn) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!listener_) {
    TRY_ASSIGN(listener_, PostgresListener::Start(params_, schema_, sender_, describe_));
  }
  return listener_->Watch(topic, std::move(fn));
}

Status PostgresDatabase::Failure(const std::string& what) const {
  return IoError(fmt::format("metadata database {}: {}: {}", describe_, what,
                             OneLinePgMessage(PQerrorMessage(conn_))));
}

Status PostgresDatabase::SetUpSession() {
  // CREATE SCHEMA IF NOT EXISTS wants the CREATE privilege even when the schema exists:
  // create it only when it is absent.
  TRY_ASSIGN(auto found, Run("SELECT 1 FROM pg_namespace WHERE nspname=?", {Value(schema_)}, nullptr));
  if (found.empty()) {
    // Quoted: the name is checked (lower-case letters, digits, '_') but may be a keyword.
    ResultPtr r(PQexec(conn_, ("CREATE SCHEMA IF NOT EXISTS \"" + schema_ + "\"").c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Failure("create schema " + schema_);
  }
  ResultPtr r(PQexec(conn_, ("SET search_path TO \"" + schema_ + "\"").c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Failure("set search_path");
  if (hold_lock_) TRY(TakeLock());
  return Status::Ok();
}

namespace {
// The advisory lock's key: a non-negative 32-bit hash of the schema's name, so that
// pg_locks shows it as classid 0, objid key.
constexpr const char* kLockKey = "(hashtext('tributary/' || ?::text) & 2147483647)";
}  // namespace

Status PostgresDatabase::TakeLock() {
  TRY_ASSIGN(auto got, Run(fmt::format("SELECT pg_try_advisory_lock({}::bigint)", kLockKey),
                           {Value(schema_)}, nullptr));
  if (!got.empty() && got[0].Int(0) == 1) return Status::Ok();
  std::string holder = "another process";
  auto who = Run(fmt::format("SELECT a.application_name, coalesce(host(a.client_addr), 'a local "
                             "socket'), a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = "
                             "l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                             "AND l.objid = {}::oid AND l.objsubid = 1",
                             kLockKey),
                 {Value(schema_)}, nullptr);
  if (who.ok() && !who->empty()) {
    const Row& w = (*who)[0];
    holder = fmt::format("'{}', connected from {} (backend pid {})", w.Text(0), w.Text(1), w.Int(2));
  }
  return FailedPrecondition(fmt::format(
      "metadata database {} is in use by another server: {}; one server per schema (give this "
      "one another with ?schema=name, or stop the other)",
      describe_, holder));
}

Status PostgresDatabase::HoldExclusively() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  TRY(TakeLock());
  hold_lock_ = true;
  return Status::Ok();
}

Status PostgresDatabase::Reconnect() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return Failure("connection lost and not made again");
  // The session's own statements do not reconnect again if it drops once more.
  reconnecting_ = true;
  Status st = SetUpSession();
  reconnecting_ = false;
  return st;
}

Result<std::vector<Row>> PostgresDatabase::Run(const std::string& sql,
                                               const std::vector<Value>& params,
                                               int64_t* changed) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  auto it = translated_.find(sql);
  if (it == translated_.end()) {
    TRY_ASSIGN(std::string pg, ToPostgres(sql, SqlKind::kStatement));
    it = translated_.emplace(sql, std::move(pg)).first;
  }
  const std::string& pg_sql = it->second;
  // Numbers as text, strings as bytes (binary format): the server gives each parameter
  // the type its place in the statement wants, so a string fits TEXT and BYTEA alike.
  std::vector<std::string> numbers(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0), formats(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (auto* n = std::get_if<int64_t>(&v)) {
      numbers[i] = std::to_string(*n);
    } else if (auto* d = std::get_if<double>(&v)) {
      numbers[i] = std::isnan(*d) ? "NaN" : std::isinf(*d) ? (*d > 0 ? "Infinity" : "-Infinity")
                                                            : fmt::format("{}", *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      values[i] = s->data();
      lengths[i] = static_cast<int>(s->size());
      formats[i] = 1;
      continue;
    } else {
      continue;  // NULL
    }
    values[i] = numbers[i].c_str();
  }
  ResultPtr r;
  for (int attempt = 0;; ++attempt) {
    r.reset(PQexecParams(conn_, pg_sql.c_str(), static_cast<int>(params.size()), nullptr,
                         values.data(), lengths.data(), formats.data(), /*resultFormat=*/0));
    ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) break;
    if (PQstatus(conn_) == CONNECTION_BAD && in_transaction_ == 0 && attempt == 0 &&
        !reconnecting_) {
      TRY(Reconnect());
      continue;
    }
    return IoError(fmt::format("metadata database {}: run '{}': {}", describe_, sql,
                               OneLinePgMessage(PQresultErrorMessage(r.get()))));
  }
  if (changed != nullptr) {
    const char* n = PQcmdTuples(r.get());
    *changed = n && *n ? std::strtoll(n, nullptr, 10) : 0;
  }
  std::vector<Row> rows;
  int nrows = PQntuples(r.get()), ncols = PQnfields(r.get());
  rows.reserve(static_cast<size_t>(nrows));
  for (int i = 0; i < nrows; ++i) {
    Row row;
    row.values.reserve(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(r.get(), i, c)) {
        row.values.emplace_back(std::monostate{});
      } else {
        row.values.push_back(
            Decode(PQgetvalue(r.get(), i, c), PQgetlength(r.get(), i, c), PQftype(r.get(), c)));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<Row>> PostgresDatabase::Query(const std::string& sql,
                                                 const std::vector<Value>& params) {
  return Run(sql, params, nullptr);
}

Result<int64_t> PostgresDatabase::Exec(const std::string& sql, const std::vector<Value>& params) {
  int64_t changed = 0;
  TRY(Run(sql, params, &changed).status());
  return changed;
}

Status PostgresDatabase::ExecScript(const std::string& ddl) {
  TRY_ASSIGN(std::string pg, ToPostgres(ddl, SqlKind::kScript));
  ResultPtr r(PQexec(conn_, pg.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return IoError(OneLinePgMessage(PQresultErrorMessage(r.get())));
  }
  return Status::Ok();
}

Status PostgresDatabase::Transaction(const std::function<Status()>& fn) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  TRY(Exec("BEGIN").status());
  ++in_transaction_;
  Status st = fn();
  if (!st.ok()) {
    (void)Exec("ROLLBACK");
    --in_transaction_;
    return st;
  }
  Status committed = Exec("COMMIT").status();
  --in_transaction_;
  return committed;
}

}  // namespace tributary::metadata
