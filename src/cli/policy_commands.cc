// tributary policy create|list|describe|delete|attach|detach
#include <cstdio>
#include <memory>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

int CreatePolicy(const ClientOptions& opts, const std::string& name, const std::string& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return Fail("policy create", text.status());
  Result<json> doc = ParseJsonText(*text, "'" + file + "'");
  if (!doc.ok()) return Fail("policy create", doc.status());
  json body{{"name", name}, {"document", std::move(*doc)}};
  auto r = ApiClient(opts).Call("POST", "/v1/policies", &body);
  if (!r.ok()) return Fail("policy create", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::printf("created policy %s\n", name.c_str());
  return 0;
}

int ListPolicies(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/policies");
  if (!r.ok()) return Fail("policy list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : (*r)["policies"])
    rows.push_back({Cell(p["name"]), std::to_string(p["things"].size()), Cell(p["created_at"])});
  PrintTable({"NAME", "THINGS", "CREATED"}, rows);
  return 0;
}

int DescribePolicy(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", "/v1/policies/" + net::UrlEncode(name));
  if (!r.ok()) return Fail("policy describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::printf("name:    %s\ncreated: %s\nthings:  %s\ndocument:\n%s\n", Cell((*r)["name"]).c_str(),
              Cell((*r)["created_at"]).c_str(), Cell((*r)["things"]).c_str(), (*r)["document"].dump(2).c_str());
  return 0;
}


}  // namespace

void AddPolicyCommands(CLI::App* parent, CommandContext* ctx) {
  auto* policy = parent->add_subcommand("policy", "Manage device policies (AWS IoT policy documents)");
  policy->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto thing = std::make_shared<std::string>();

  auto* create = policy->add_subcommand("create", "Create a policy from a JSON document");
  create->add_option("name", *name, "policy name")->required();
  create->add_option("--document", *file, "policy document (JSON file)")->required();
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreatePolicy(*opts, *name, *file); }; });

  auto* list = policy->add_subcommand("list", "List policies");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListPolicies(*opts); }; });

  auto* describe = policy->add_subcommand("describe", "Show a policy's document and the things it is attached to");
  describe->add_option("name", *name, "policy name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribePolicy(*opts, *name); }; });

  auto* del = policy->add_subcommand("delete", "Delete a policy (it must not be attached)");
  del->add_option("name", *name, "policy name")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "policy delete", "DELETE", "/v1/policies/" + net::UrlEncode(*name), nullptr,
                  "deleted policy " + *name);
    };
  });

  for (const char* verb : {"attach", "detach"}) {
    std::string v = verb;
    auto* cmd = policy->add_subcommand(v, v == "attach" ? "Attach a policy to a thing" : "Detach a policy from a thing");
    cmd->add_option("name", *name, "policy name")->required();
    cmd->add_option("--thing", *thing, "thing name")->required();
    AddClientFlags(cmd, opts.get());
    cmd->callback([=] {
      ctx->run = [=] {
        json body{{"thing", *thing}};
        return CallAndReport(*opts, "policy " + v, "POST", "/v1/policies/" + net::UrlEncode(*name) + "/" + v, &body,
                    v + "ed policy " + *name + (v == "attach" ? " to " : " from ") + *thing);
      };
    });
  }
}

}  // namespace tributary::cli
