// tributary servers list|forget: the deployment's servers (GET /v1/servers), each as it
// last reported itself, and forgetting one that is stopped or unresponsive.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

// "8883" for a port, "-" for a listener that is off.
std::string Port(const json& port) {
  return port.is_number_integer() && port.get<int64_t>() > 0 ? std::to_string(port.get<int64_t>()) : "-";
}

int ListServers(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/servers");
  if (!r.ok()) return Fail("servers list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : (*r)["servers"]) {
    const json& l = s["listeners"];
    std::string bridge = "-";
    if (s["bridge"].is_object()) bridge = s["bridge"].value("connected", false) ? "connected" : "down";
    rows.push_back({Cell(s["id"]) + (s.value("self", false) ? " *" : ""), Cell(s["role"]), Cell(s["status"]),
                    Cell(s["advertised_host"]), Cell(s["host"]), Port(l["mqtt_tls_port"]), Port(l["http_port"]),
                    Cell(s["version"]), Cell(s["started_at"]), fmt::format("{}s ago", Cell(s["last_seen_ago_s"])),
                    Cell(s["connections"]), fmt::format("{:.0f}", s.value("messages_received_per_s", 0.0)),
                    bridge});
  }
  PrintTable({"ID", "ROLE", "STATUS", "ADVERTISED", "HOST", "MQTTS", "HTTP", "VERSION", "STARTED", "SEEN",
              "CONNECTIONS", "IN MSG/S", "BRIDGE"},
             rows);
  std::printf("(* the server answering)\n");
  return 0;
}

}  // namespace

void AddServersCommands(CLI::App* parent, CommandContext* ctx) {
  auto* servers = parent->add_subcommand(
      "servers", "The deployment's servers: this one and those sharing its metadata database");
  servers->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto id = std::make_shared<std::string>();

  auto* list = servers->add_subcommand(
      "list", "List the servers with their role, status (running, stopped, unresponsive), "
              "addresses, version and traffic");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListServers(*opts); }; });

  auto* forget = servers->add_subcommand("forget", "Remove a stopped or unresponsive server from the list");
  forget->add_option("id", *id, "the server's id (servers list)")->required();
  AddClientFlags(forget, opts.get());
  forget->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "servers forget", "DELETE", "/v1/servers/" + net::UrlEncode(*id), nullptr,
                           "forgot server " + *id);
    };
  });
}

}  // namespace tributary::cli
