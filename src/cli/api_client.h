// What every client command shares: the --endpoint/--token/--data-dir/--json flags,
// token discovery, and calling the HTTP API with errors turned into Status.
//
// Token lookup order: --token, then TRIBUTARY_TOKEN, then <data-dir>/admin.token.
// Endpoint: --endpoint, then TRIBUTARY_ENDPOINT, then the "endpoint" in
// <data-dir>/server.json (written by a running server), then http://127.0.0.1:8080.
// An https:// endpoint's certificate is checked against --ca-file, then TRIBUTARY_CA_FILE,
// then <data-dir>/pki/ca.crt (the server's own CA) when it exists, else the system's CAs.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "net/http_types.h"

namespace tributary::cli {

struct ClientOptions {
  std::string endpoint;
  std::string token;
  std::string ca_file;  // for an https:// endpoint
  std::string data_dir = "./tributary-data";
  bool json = false;
};

// Adds the shared flags to a client subcommand.
void AddClientFlags(CLI::App* command, ClientOptions* options);

// A subcommand `<verb> NAME` of `group` with the shared flags; `what` describes NAME in
// --help ("training job name").
CLI::App* AddNamedCommand(CLI::App* group, const std::string& verb, const std::string& help, const std::string& what,
                          ClientOptions* options, std::string* name);

class ApiClient {
 public:
  explicit ApiClient(const ClientOptions& options) : options_(options) {}

  // Calls the API; a non-2xx answer becomes a Status carrying the server's message.
  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              const nlohmann::json* body = nullptr) const;

  // The same request with any body and extra headers; the answer whatever its status
  // (for routes that answer with other bytes than API JSON, such as invocations).
  Result<net::HttpResponse> Send(const std::string& method, const std::string& path, const std::string& body,
                                 std::map<std::string, std::string> headers = {}, int timeout_s = 30) const;

 private:
  Result<std::string> Token() const;
  std::string Endpoint() const;
  std::string CaFile() const;
  ClientOptions options_;
};

// Calls the API and reports: the JSON answer with --json, else `done` on one line; a
// refusal passes through `explain`, when given, before it is printed (Fail). Each of the
// answer's "warnings" (the change was made, but something is amiss) is printed on stderr
// as "tributary <command>: warning: <text>". Returns the exit code.
int CallAndReport(const ClientOptions& options, const std::string& command,
                  const std::string& method, const std::string& path, const nlohmann::json* body,
                  const std::string& done,
                  const std::function<Status(const Status&)>& explain = {});

// An API field and the flag that sets it, for the commands that build a request from flags.
using FieldFlag = std::pair<std::string_view, std::string_view>;

// A refusal that begins with one of `flags`' API fields ("buffer_size_mib: 500 is not in
// 1..128") begins with the flag instead ("--buffer-size-mib: ..."): on the command line
// the flag is what was typed; so does another field it mentions in backquotes ("prefix:
// ... not a key of `partition_query`" -> "--prefix: ... not a key of --partition-query").
// Other messages are returned as they are.
Status WithFlagName(const Status& status, std::span<const FieldFlag> flags);

// Prints the error as "tributary <command>: <message>" on stderr and returns 1.
int Fail(const std::string& command, const Status& status);

}  // namespace tributary::cli
