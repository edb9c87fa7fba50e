// tributary rule create|replace|list|describe|enable|disable|delete|test
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

std::string RulePath(const std::string& name) { return "/v1/rules/" + net::UrlEncode(name); }

int PutRule(const ClientOptions& opts, const std::string& verb, const std::string& name,
            const std::string& file) {
  const std::string command = "rule " + verb;
  auto text = ReadFile(file);
  if (!text.ok()) return Fail(command, text.status());
  Result<json> payload = ParseJsonText(*text, "'" + file + "'");
  if (!payload.ok()) return Fail(command, payload.status());
  return CallAndReport(opts, command, verb == "create" ? "POST" : "PUT", RulePath(name), &*payload,
                       (verb == "create" ? "created rule " : "replaced rule ") + name);
}

int ListRules(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/rules");
  if (!r.ok()) return Fail("rule list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& rule : (*r)["rules"]) {
    std::string actions;
    for (const auto& a : rule["actions"]) actions += (actions.empty() ? "" : ",") + a.begin().key();
    // A stored rule that does not compile: `rule describe` says why.
    std::string state = rule.contains("error")             ? "disabled (error)"
                        : rule["ruleDisabled"].get<bool>() ? "disabled"
                                                           : "enabled";
    rows.push_back({Cell(rule["ruleName"]), state, actions, Cell(rule["sql"])});
  }
  PrintTable({"NAME", "STATE", "ACTIONS", "SQL"}, rows);
  return 0;
}

// What rule `name` (or the definition in `file`) would do with one message.
// One message for `rule test`, as the flags give it.
struct TrialMessage {
  std::string topic, payload, client_id = "test", source_ip, principal, content_type;
  std::vector<std::string> user_properties;  // "key=value"
};

int TestRule(const ClientOptions& opts, const std::string& name, const TrialMessage& m,
             const std::string& file) {
  json body = {{"topic", m.topic}, {"payload", m.payload}, {"clientId", m.client_id}};
  if (!m.source_ip.empty()) body["sourceIp"] = m.source_ip;
  if (!m.principal.empty()) body["principal"] = m.principal;
  if (!m.content_type.empty()) body["contentType"] = m.content_type;
  if (!m.user_properties.empty()) {
    json list = json::array();
    for (const std::string& kv : m.user_properties) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        return Fail("rule test", InvalidArgument("--user-property '" + kv +
                                                 "': must be KEY=VALUE"));
      }
      list.push_back({{"key", kv.substr(0, eq)}, {"value", kv.substr(eq + 1)}});
    }
    body["userProperties"] = list;
  }
  if (!file.empty()) {
    auto text = ReadFile(file);
    if (!text.ok()) return Fail("rule test", text.status());
    Result<json> rule = ParseJsonText(*text, "'" + file + "'");
    if (!rule.ok()) return Fail("rule test", rule.status());
    body["rule"] = std::move(*rule);
  }
  auto r = ApiClient(opts).Call("POST", RulePath(name) + "/test", &body);
  if (!r.ok()) return Fail("rule test", r.status());
  PrintJson(*r);
  return 0;
}

int DescribeRule(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", RulePath(name));
  if (!r.ok()) return Fail("rule describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  const json& j = *r;
  std::printf("name:        %s\nstate:       %s\n", Cell(j["ruleName"]).c_str(),
              j["ruleDisabled"].get<bool>() ? "disabled" : "enabled");
  if (j.contains("error")) std::printf("error:       %s\n", Cell(j["error"]).c_str());
  std::printf("sql:         %s\nsqlVersion:  %s\n", Cell(j["sql"]).c_str(),
              Cell(j.value("awsIotSqlVersion", json())).c_str());
  if (!j.value("description", "").empty()) {
    std::printf("description: %s\n", Cell(j["description"]).c_str());
  }
  for (const auto& a : j["actions"]) std::printf("action:      %s\n", a.dump().c_str());
  if (j.contains("errorAction")) std::printf("errorAction: %s\n", j["errorAction"].dump().c_str());
  if (j.contains("metrics")) {
    const json& m = j["metrics"];
    std::printf(
        "matched:     %s\nerrors:      %s (evaluation)\nfailures:    %s (actions), %s (error "
        "action)\n",
        Cell(m["matched"]).c_str(), Cell(m["errors"]).c_str(), Cell(m["actionFailures"]).c_str(),
        Cell(m.value("errorActionFailures", json(0))).c_str());
  }
  std::printf("created:     %s\nupdated:     %s\n", Cell(j["createdAt"]).c_str(),
              Cell(j["updatedAt"]).c_str());
  return 0;
}

}  // namespace

void AddRuleCommands(CLI::App* parent, CommandContext* ctx) {
  auto* rule = parent->add_subcommand("rule", "Manage topic rules (AWS IoT rule SQL and actions)");
  rule->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();

  for (const char* verb : {"create", "replace"}) {
    std::string v = verb;
    auto* cmd = rule->add_subcommand(
        v, v == "create" ? "Create a rule from a CreateTopicRule JSON payload"
                         : "Replace an existing rule's SQL and actions");
    cmd->add_option("name", *name, "rule name (letters, digits, _)")->required();
    cmd->add_option("--payload", *file,
                    "JSON file: {\"topicRulePayload\": {\"sql\": ..., \"actions\": [...]}}")
        ->required();
    AddClientFlags(cmd, opts.get());
    cmd->callback([=] { ctx->run = [=] { return PutRule(*opts, v, *name, *file); }; });
  }

  auto* list = rule->add_subcommand("list", "List rules");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListRules(*opts); }; });

  auto* describe = rule->add_subcommand("describe", "Show a rule, its actions and its counters");
  describe->add_option("name", *name, "rule name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeRule(*opts, *name); }; });

  for (const char* verb : {"enable", "disable"}) {
    std::string v = verb;
    auto* cmd = rule->add_subcommand(v, v == "enable" ? "Start running a rule" : "Stop running a rule");
    cmd->add_option("name", *name, "rule name")->required();
    AddClientFlags(cmd, opts.get());
    cmd->callback([=] {
      ctx->run = [=] {
        return CallAndReport(*opts, "rule " + v, "POST", RulePath(*name) + "/" + v, nullptr,
                             v + "d rule " + *name);
      };
    });
  }

  auto trial = std::make_shared<TrialMessage>();
  auto* test = rule->add_subcommand(
      "test", "Show what a rule would do with one message (its output, and where each action "
              "would send it), without doing it");
  test->add_option("name", *name, "rule name")->required();
  test->add_option("--topic", trial->topic, "the message's topic")->required();
  test->add_option("--message", trial->payload, "the message's payload (text)");
  test->add_option("--client-id", trial->client_id, "the client id clientid() sees")
      ->capture_default_str();
  test->add_option("--source-ip", trial->source_ip, "the address sourceip() sees");
  test->add_option("--principal", trial->principal,
                   "who principal() sees the sender as: a certificate's SHA-256 thumbprint, or a "
                   "user such as admin (default: none, Undefined)");
  test->add_option("--content-type", trial->content_type,
                   "the MQTT 5 content type get_mqtt_property('content_type') sees");
  OneValueEach(
      test->add_option("--user-property", trial->user_properties,
                       "an MQTT 5 user property KEY=VALUE (repeatable) for get_user_properties()"));
  test->add_option("--payload", *file,
                   "try this CreateTopicRule JSON file instead of the stored rule (not saved)");
  AddClientFlags(test, opts.get());
  test->callback([=] {
    ctx->run = [=] { return TestRule(*opts, *name, *trial, *file); };
  });

  auto* del = rule->add_subcommand("delete", "Delete a rule");
  del->add_option("name", *name, "rule name")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "rule delete", "DELETE", RulePath(*name), nullptr,
                           "deleted rule " + *name);
    };
  });
}

}  // namespace tributary::cli
