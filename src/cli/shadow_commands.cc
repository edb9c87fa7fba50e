// tributary shadow get|update|delete|list: device shadows (AWS IoT's Device Shadow
// service) through the server's data plane API (/things/<thing>/shadow).
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

std::string ShadowPath(const std::string& thing, const std::string& shadow) {
  std::string path = "/things/" + net::UrlEncode(thing) + "/shadow";
  if (!shadow.empty()) path += "?name=" + net::UrlEncode(shadow);
  return path;
}

// The update to send: --document FILE as it is, or --desired/--reported JSON objects.
Result<json> UpdateRequest(const std::string& file, const std::string& desired, const std::string& reported) {
  if (!file.empty()) {
    if (!desired.empty() || !reported.empty()) {
      return InvalidArgument("give --document, or --desired and/or --reported, not both");
    }
    TRY_ASSIGN(std::string text, ReadFile(file));
    return ParseJsonText(text, "'" + file + "'");
  }
  if (desired.empty() && reported.empty()) return InvalidArgument("give --desired, --reported or --document");
  json state = json::object();
  for (auto [name, text] : {std::pair<const char*, const std::string*>{"desired", &desired}, {"reported", &reported}}) {
    if (text->empty()) continue;
    json value = json::parse(*text, nullptr, false);
    if (value.is_discarded() || !(value.is_object() || value.is_null())) {
      return InvalidArgument(std::string("--") + name + " '" + *text + "' is not a JSON object (or null)");
    }
    state[name] = value;
  }
  return json{{"state", state}};
}

}  // namespace

void AddShadowCommands(CLI::App* parent, CommandContext* ctx) {
  auto* shadow = parent->add_subcommand("shadow", "Read and set device shadows (AWS IoT's Device Shadow service)");
  shadow->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto thing = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto desired = std::make_shared<std::string>();
  auto reported = std::make_shared<std::string>();

  auto* get = shadow->add_subcommand("get", "Show a shadow: desired, reported, their delta, metadata and version");
  get->add_option("thing", *thing, "thing name")->required();
  get->add_option("--name", *name, "a named shadow (default: the classic shadow)");
  AddClientFlags(get, opts.get());
  get->callback([=] {
    ctx->run = [=] {
      auto r = ApiClient(*opts).Call("GET", ShadowPath(*thing, *name));
      if (!r.ok()) return Fail("shadow get", r.status());
      return PrintJson(*r), 0;
    };
  });

  auto* update = shadow->add_subcommand(
      "update", "Change a shadow: members merge, null removes one; the device hears the delta");
  update->add_option("thing", *thing, "thing name")->required();
  update->add_option("--name", *name, "a named shadow (default: the classic shadow)");
  update->add_option("--desired", *desired, "what the device should do, a JSON object ('{\"color\": \"green\"}')");
  update->add_option("--reported", *reported, "what the device does, a JSON object");
  update->add_option("--document", *file, "the whole update request (JSON file: state, version, clientToken)");
  AddClientFlags(update, opts.get());
  update->callback([=] {
    ctx->run = [=] {
      auto body = UpdateRequest(*file, *desired, *reported);
      if (!body.ok()) return Fail("shadow update", body.status());
      auto r = ApiClient(*opts).Call("POST", ShadowPath(*thing, *name), &*body);
      if (!r.ok()) return Fail("shadow update", r.status());
      if (opts->json) return PrintJson(*r), 0;
      std::printf("updated the %s shadow of %s: version %lld\n", name->empty() ? "classic" : name->c_str(),
                  thing->c_str(), static_cast<long long>(r->value("version", int64_t{0})));
      return 0;
    };
  });

  auto* del = shadow->add_subcommand("delete", "Delete a shadow");
  del->add_option("thing", *thing, "thing name")->required();
  del->add_option("--name", *name, "a named shadow (default: the classic shadow)");
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "shadow delete", "DELETE", ShadowPath(*thing, *name), nullptr,
                           "deleted the " + (name->empty() ? std::string("classic") : *name) + " shadow of " + *thing);
    };
  });

  auto* list = shadow->add_subcommand("list", "List a thing's named shadows");
  list->add_option("thing", *thing, "thing name")->required();
  AddClientFlags(list, opts.get());
  list->callback([=] {
    ctx->run = [=] {
      json names = json::array();
      std::string token;
      do {  // every page
        std::string path = "/api/things/shadow/ListNamedShadowsForThing/" + net::UrlEncode(*thing) + "?pageSize=100";
        if (!token.empty()) path += "&nextToken=" + net::UrlEncode(token);
        auto r = ApiClient(*opts).Call("GET", path);
        if (!r.ok()) return Fail("shadow list", r.status());
        for (const auto& n : (*r)["results"]) names.push_back(n);
        token = r->value("nextToken", "");
      } while (!token.empty());
      if (opts->json) return PrintJson(json{{"thing", *thing}, {"named_shadows", names}}), 0;
      for (const auto& n : names) std::printf("%s\n", n.get<std::string>().c_str());
      return 0;
    };
  });
}

}  // namespace tributary::cli
