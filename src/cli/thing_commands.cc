// tributary thing create|list|describe|update|deactivate|activate|delete|update-certificate
#include <cstdio>
#include <memory>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "devices/connection_kit.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

// --attribute KEY=VALUE flags as a JSON object of strings (a key given twice: the last).
Result<json> AttributesOf(const std::vector<std::string>& flags) {
  json attributes = json::object();
  for (const std::string& kv : flags) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--attribute '" + kv + "': must be KEY=VALUE");
    }
    attributes[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return attributes;
}

int CreateThing(const ClientOptions& opts, const std::string& name, std::string out_dir,
                const std::vector<std::string>& attribute_flags) {
  auto attributes = AttributesOf(attribute_flags);
  if (!attributes.ok()) return Fail("thing create", attributes.status());
  ApiClient api(opts);
  json body{{"name", name}, {"attributes", *attributes}};
  auto created = api.Call("POST", "/v1/things", &body);
  if (!created.ok()) return Fail("thing create", created.status());
  if (out_dir.empty()) out_dir = "./" + name + "-kit";
  const json& c = *created;
  devices::ConnectionKitInput kit;
  kit.thing = name;
  kit.cert_pem = c["certificate"]["certificate_pem"];
  kit.key_pem = c["certificate"]["private_key_pem"];
  kit.ca_pem = c["ca_pem"];
  kit.endpoint.host = c["endpoint"]["host"];
  kit.endpoint.mqtt_tls_port = c["endpoint"]["mqtt_tls_port"];
  kit.endpoint.mqtt_ws_port = c["endpoint"]["mqtt_ws_port"];
  kit.endpoint.http_port = c["endpoint"]["http_port"];
  kit.endpoint.https_port = c["endpoint"].value("https_port", -1);
  Status st = devices::WriteConnectionKit(out_dir, kit);
  if (!st.ok()) {
    return Fail("thing create",
                st.WithContext("thing '" + name + "' was registered but its kit could not be written; "
                               "issue a new certificate with the API"));
  }
  if (opts.json) {
    json out = c;
    out["certificate"].erase("private_key_pem");
    out["kit_dir"] = out_dir;
    PrintJson(out);
  } else {
    std::printf("created thing %s (certificate %s)\n", name.c_str(),
                c["certificate"]["fingerprint"].get<std::string>().substr(0, 16).c_str());
    std::printf("connection kit written to %s\n", out_dir.c_str());
  }
  return 0;
}

int ListThings(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/things");
  if (!r.ok()) return Fail("thing list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : (*r)["things"])
    rows.push_back({Cell(t["name"]), t["active"].get<bool>() ? "active" : "inactive", Cell(t["created_at"])});
  PrintTable({"NAME", "STATUS", "CREATED"}, rows);
  return 0;
}

int DescribeThing(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", "/v1/things/" + net::UrlEncode(name));
  if (!r.ok()) return Fail("thing describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  const json& t = *r;
  std::printf("name:       %s\nstatus:     %s\ncreated:    %s\npolicies:   %s\nattributes: %s\n",
              Cell(t["name"]).c_str(), t["active"].get<bool>() ? "active" : "inactive",
              Cell(t["created_at"]).c_str(), Cell(t["policies"]).c_str(), Cell(t["attributes"]).c_str());
  std::printf("certificates:\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : t["certificates"])
    rows.push_back({Cell(c["fingerprint"]).substr(0, 16), Cell(c["status"]), Cell(c["created_at"]), Cell(c["expires_at"])});
  PrintTable({"  FINGERPRINT", "STATUS", "CREATED", "EXPIRES"}, rows);
  return 0;
}

// The flags' attributes merged into the thing's (--remove-attribute: gone), or with
// `replace` its only ones.
int UpdateThing(const ClientOptions& opts, const std::string& name,
                const std::vector<std::string>& set, const std::vector<std::string>& removed,
                bool replace) {
  auto attributes = AttributesOf(set);
  if (!attributes.ok()) return Fail("thing update", attributes.status());
  if (set.empty() && removed.empty() && !replace) {
    return Fail("thing update", InvalidArgument("nothing to change: give --attribute KEY=VALUE, "
                                                "--remove-attribute KEY or --replace"));
  }
  if (replace && !removed.empty()) {
    return Fail("thing update", InvalidArgument("--remove-attribute with --replace: the attributes "
                                                "not given are removed already"));
  }
  for (const std::string& key : removed) (*attributes)[key] = nullptr;
  json body{{"attributes", *attributes}, {"merge", !replace}};
  auto r = ApiClient(opts).Call("PATCH", "/v1/things/" + net::UrlEncode(name), &body);
  if (!r.ok()) return Fail("thing update", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::printf("updated thing %s: attributes %s\n", name.c_str(), Cell((*r)["attributes"]).c_str());
  return 0;
}

int SimplePost(const ClientOptions& opts, const std::string& command, const std::string& method,
               const std::string& path, const std::string& done) {
  auto r = ApiClient(opts).Call(method, path);
  if (!r.ok()) return Fail(command, r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::printf("%s\n", done.c_str());
  return 0;
}

}  // namespace

void AddThingCommands(CLI::App* parent, CommandContext* ctx) {
  auto* thing = parent->add_subcommand("thing", "Register and manage things (devices)");
  thing->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();

  auto* create = thing->add_subcommand("create", "Register a thing, issue its certificate, write its connection kit");
  create->add_option("name", *name, "thing name (1-128 of a-z A-Z 0-9 : _ -)")->required();
  auto out = std::make_shared<std::string>();
  create->add_option("--out", *out, "kit directory (default ./<name>-kit)");
  auto attributes = std::make_shared<std::vector<std::string>>();
  OneValueEach(create->add_option(
      "--attribute", *attributes,
      "an attribute KEY=VALUE (repeatable), read by rules with get_registry_data()"));
  AddClientFlags(create, opts.get());
  create->callback(
      [=] { ctx->run = [=] { return CreateThing(*opts, *name, *out, *attributes); }; });

  auto* update = thing->add_subcommand("update", "Set or remove a thing's attributes");
  update->add_option("name", *name, "thing name")->required();
  OneValueEach(
      update->add_option("--attribute", *attributes, "set attribute KEY=VALUE (repeatable)"));
  auto removed = std::make_shared<std::vector<std::string>>();
  OneValueEach(
      update->add_option("--remove-attribute", *removed, "remove attribute KEY (repeatable)"));
  auto replace = std::make_shared<bool>(false);
  update->add_flag("--replace", *replace, "the attributes given become the thing's only ones");
  AddClientFlags(update, opts.get());
  update->callback([=] {
    ctx->run = [=] { return UpdateThing(*opts, *name, *attributes, *removed, *replace); };
  });

  auto* list = thing->add_subcommand("list", "List things");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListThings(*opts); }; });

  auto* describe = thing->add_subcommand("describe", "Show a thing, its certificates and policies");
  describe->add_option("name", *name, "thing name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeThing(*opts, *name); }; });

  struct Verb {
    const char* verb;
    const char* help;
    const char* method;
    const char* suffix;
    const char* done;
  };
  static const Verb kVerbs[] = {
      {"deactivate", "Deactivate a thing: its certificates stop working and its connections close", "POST", "/deactivate", "deactivated"},
      {"activate", "Activate a deactivated thing", "POST", "/activate", "activated"},
      {"delete", "Delete a thing and its certificates", "DELETE", "", "deleted"},
  };
  auto fingerprint = std::make_shared<std::string>();
  auto status = std::make_shared<std::string>();
  auto* update_cert = thing->add_subcommand(
      "update-certificate", "Set one certificate active, inactive or revoked (revoked is final); leaving active closes "
                            "the thing's connections");
  update_cert
      ->add_option("fingerprint", *fingerprint,
                   "the certificate's SHA-256 fingerprint, or a unique prefix of 8 or more hex "
                   "digits (as thing describe shows)")
      ->required();
  update_cert->add_option("--status", *status, "active, inactive or revoked")
      ->required()
      ->check(CLI::IsMember({"active", "inactive", "revoked"}));
  AddClientFlags(update_cert, opts.get());
  update_cert->callback([=] {
    ctx->run = [=] {
      json body{{"status", *status}};
      return CallAndReport(*opts, "thing update-certificate", "PUT", "/v1/certificates/" + net::UrlEncode(*fingerprint),
                           &body, "certificate " + fingerprint->substr(0, 16) + " is " + *status);
    };
  });

  for (const Verb& v : kVerbs) {
    auto* cmd = thing->add_subcommand(v.verb, v.help);
    cmd->add_option("name", *name, "thing name")->required();
    AddClientFlags(cmd, opts.get());
    cmd->callback([=] {
      ctx->run = [=] {
        return SimplePost(*opts, std::string("thing ") + v.verb, v.method,
                          "/v1/things/" + net::UrlEncode(*name) + v.suffix,
                          std::string(v.done) + " thing " + *name);
      };
    });
  }
}

}  // namespace tributary::cli
