#include "cli/serving_cli.h"

#include <cmath>
#include <memory>
#include <string>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "flags/flag_checks.h"
#include "net/http_client.h"
#include "net/http_types.h"

namespace tributary::cli::serving {

using nlohmann::json;

std::string ModelPath(const std::string& n) { return "/v1/models/" + net::UrlEncode(n); }
std::string ConfigPath(const std::string& n) { return "/v1/endpoint-configs/" + net::UrlEncode(n); }
std::string EndpointPath(const std::string& n) { return "/v1/endpoints/" + net::UrlEncode(n); }
std::string TransformPath(const std::string& n) {
  return "/v1/transform-jobs/" + net::UrlEncode(n);
}

json Items(const json& answer, const char* key) {
  if (answer.is_array()) return answer;
  if (answer.is_object()) {
    if (answer.contains(key) && answer[key].is_array()) return answer[key];
    for (const auto& [k, v] : answer.items()) {
      if (v.is_array()) return v;
    }
  }
  return json::array();
}

json Get(const json& j, const char* key) {
  return j.is_object() && j.contains(key) ? j[key] : json();
}

Result<double> ParseNumber(const std::string& what, const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v))
    return InvalidArgument(what + ": '" + text + "' is not a number");
  return v;
}

Result<int64_t> ParsePositive(const std::string& what, const std::string& text) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < 1)
    return InvalidArgument(what + ": '" + text + "' is not a positive integer");
  return static_cast<int64_t>(v);
}

int Describe(const ClientOptions& opts, const std::string& command, const std::string& path) {
  auto r = ApiClient(opts).Call("GET", path);
  if (!r.ok()) return Fail(command, r.status());
  if (opts.json) return PrintJson(*r), 0;
  PrintObject(*r);
  return 0;
}

void AddWaitFlags(CLI::App* cmd, WaitArgs* w) {
  cmd->add_flag("--wait", w->wait, "wait until it is done; exit 1 if it failed");
  WholeNumberIn(
      cmd->add_option("--timeout-s", w->timeout_s, "give up waiting after this many seconds"), 1,
      INT32_MAX)
      ->capture_default_str();
}

void AddNamedCall(CLI::App* group, CommandContext* ctx, std::shared_ptr<ClientOptions> opts,
                  const char* verb, const std::string& help, const std::string& noun,
                  std::string (*path)(const std::string&)) {
  auto name = std::make_shared<std::string>();
  auto* cmd = group->add_subcommand(verb, help);
  cmd->add_option("name", *name, noun + " name")->required();
  AddClientFlags(cmd, opts.get());
  const std::string command = group->get_name() + " " + verb;
  const bool del = std::string(verb) == "delete";
  cmd->callback([=] {
    ctx->run = [=] {
      if (!del) return Describe(*opts, command, path(*name));
      return CallAndReport(*opts, command, "DELETE", path(*name), nullptr,
                           "deleted " + noun + " " + *name);
    };
  });
}

}  // namespace tributary::cli::serving
