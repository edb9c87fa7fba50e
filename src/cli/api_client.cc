#include "cli/api_client.h"

#include <cstdlib>
#include <filesystem>

#include "base/files.h"
#include "cli/output.h"
#include "net/http_client.h"

namespace tributary::cli {

void AddClientFlags(CLI::App* cmd, ClientOptions* o) {
  cmd->add_option("--endpoint", o->endpoint,
                  "API endpoint (env TRIBUTARY_ENDPOINT, default http://127.0.0.1:8080)");
  cmd->add_option("--token", o->token, "API token (env TRIBUTARY_TOKEN, else <data-dir>/admin.token)");
  cmd->add_option("--ca-file", o->ca_file,
                  "CA of an https:// endpoint's certificate (env TRIBUTARY_CA_FILE, else <data-dir>/pki/ca.crt)");
  cmd->add_option("--data-dir", o->data_dir, "where to find admin.token")->capture_default_str();
  cmd->add_flag("--json", o->json, "print JSON instead of text");
}

CLI::App* AddNamedCommand(CLI::App* group, const std::string& verb, const std::string& help, const std::string& what,
                          ClientOptions* options, std::string* name) {
  CLI::App* command = group->add_subcommand(verb, help);
  command->add_option("name", *name, what)->required();
  AddClientFlags(command, options);
  return command;
}

std::string ApiClient::Endpoint() const {
  if (!options_.endpoint.empty()) return options_.endpoint;
  if (const char* e = std::getenv("TRIBUTARY_ENDPOINT"); e && *e) return e;
  // A server started on this data directory says where it listens.
  if (auto info = ReadFile(options_.data_dir + "/server.json"); info.ok()) {
    auto j = nlohmann::json::parse(*info, nullptr, false);
    if (j.is_object() && j.contains("endpoint") && j["endpoint"].is_string()) return j["endpoint"];
  }
  return "http://127.0.0.1:8080";
}

std::string ApiClient::CaFile() const {
  if (!options_.ca_file.empty()) return options_.ca_file;
  if (const char* f = std::getenv("TRIBUTARY_CA_FILE"); f && *f) return f;
  const std::string own = options_.data_dir + "/pki/ca.crt";
  std::error_code ec;
  if (std::filesystem::exists(own, ec)) return own;
  return "";  // the system's CAs
}

Result<std::string> ApiClient::Token() const {
  if (!options_.token.empty()) return options_.token;
  if (const char* t = std::getenv("TRIBUTARY_TOKEN"); t && *t) return std::string(t);
  std::string path = options_.data_dir + "/admin.token";
  auto text = ReadFile(path);
  if (!text.ok())
    return Unauthenticated("no API token: pass --token, set TRIBUTARY_TOKEN, or point --data-dir at the "
                           "server's data directory (looked for '" + path + "')");
  std::string token = *text;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

Result<net::HttpResponse> ApiClient::Send(const std::string& method, const std::string& path,
                                          const std::string& body, std::map<std::string, std::string> headers,
                                          int timeout_s) const {
  TRY_ASSIGN(std::string token, Token());
  headers["Authorization"] = "Bearer " + token;
  const std::string endpoint = Endpoint();
  return net::HttpCall(endpoint, method, path, body, headers, timeout_s,
                       endpoint.rfind("https://", 0) == 0 ? CaFile() : std::string());
}

Result<nlohmann::json> ApiClient::Call(const std::string& method, const std::string& path,
                                       const nlohmann::json* body) const {
  std::string text;
  if (body != nullptr) {
    try {
      text = body->dump();
    } catch (const nlohmann::json::exception& e) {  // type_error 316: a string that is not UTF-8
      return InvalidArgument(std::string("the request holds text that is not UTF-8: ") + e.what());
    }
  }
  TRY_ASSIGN(net::HttpResponse res, Send(method, path, text));
  nlohmann::json parsed = nlohmann::json::parse(res.body, nullptr, false);
  if (res.status >= 200 && res.status < 300) {
    if (parsed.is_discarded()) return nlohmann::json(res.body);
    return parsed;
  }
  std::string message = "HTTP " + std::to_string(res.status);
  ErrorCode code = ErrorCode::kInternal;
  if (!parsed.is_discarded() && parsed.contains("error")) {
    message = parsed["error"].value("message", message);
    std::string name = parsed["error"].value("code", "");
    for (int c = 0; c <= static_cast<int>(kLastErrorCode); ++c) {
      if (ErrorCodeName(static_cast<ErrorCode>(c)) == name) code = static_cast<ErrorCode>(c);
    }
  } else if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("__type")) {
    // An AWS-shaped error (the routes AWS's clients call): {"__type", "message"}.
    message = parsed.value("message", message);
    code = res.status == 404   ? ErrorCode::kNotFound
           : res.status == 409 ? ErrorCode::kFailedPrecondition
           : res.status < 500  ? ErrorCode::kInvalidArgument
                               : ErrorCode::kInternal;
  }
  return Status(code, message);
}

Status WithFlagName(const Status& status, std::span<const FieldFlag> flags) {
  if (status.ok()) return status;
  std::string message = status.message();
  // Another field the message mentions, in backquotes.
  for (const auto& [api, flag] : flags) {
    const std::string quoted = "`" + std::string(api) + "`";
    for (size_t at = message.find(quoted); at != std::string::npos;
         at = message.find(quoted, at + flag.size())) {
      message.replace(at, quoted.size(), flag);
    }
  }
  const size_t colon = message.find(": ");
  if (colon != std::string::npos) {
    const std::string_view field = std::string_view(message).substr(0, colon);
    for (const auto& [api, flag] : flags) {
      if (field == api) return Status(status.code(), std::string(flag) + message.substr(colon));
    }
  }
  return Status(status.code(), std::move(message));
}

int Fail(const std::string& command, const Status& status) {
  std::fprintf(stderr, "tributary %s: %s\n", command.c_str(), status.message().c_str());
  return 1;
}

int CallAndReport(const ClientOptions& options, const std::string& command,
                  const std::string& method, const std::string& path, const nlohmann::json* body,
                  const std::string& done, const std::function<Status(const Status&)>& explain) {
  auto r = ApiClient(options).Call(method, path, body);
  if (!r.ok()) return Fail(command, explain ? explain(r.status()) : r.status());
  if (r->is_object() && r->contains("warnings") && (*r)["warnings"].is_array()) {
    for (const auto& w : (*r)["warnings"]) {
      std::fprintf(stderr, "tributary %s: warning: %s\n", command.c_str(),
                   w.is_string() ? w.get<std::string>().c_str() : w.dump().c_str());
    }
  }
  if (options.json) {
    PrintJson(*r);
  } else {
    std::printf("%s\n", done.c_str());
  }
  return 0;
}

}  // namespace tributary::cli
