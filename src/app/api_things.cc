// /v1/things and /v1/policies: the device registry over HTTP.
#include <cctype>

#include "app/api.h"
#include "app/server.h"
#include "broker/broker.h"
#include "devices/thing_registry.h"

namespace tributary::app {

namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

// Where a device should connect: written into connection kits by the CLI.
json EndpointInfo(Server* server) {
  return json{{"host", server->config().advertised_host},
              {"mqtt_tls_port", server->broker().tls_port()},
              {"mqtt_ws_port", server->broker().ws_port()},
              {"http_port", server->http_port()},
              {"https_port", server->https_port()}};
}

Result<std::string> RequiredString(const json& body, const std::string& key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string())
    return InvalidArgument("request body needs a string field '" + key + "'");
  return body[key].get<std::string>();
}

template <typename T>
HttpResponse Reply(const Result<T>& r, int status = 200) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(devices::ToJson(*r), status);
}

HttpResponse ReplyStatus(const Status& st, json ok_body) {
  if (!st.ok()) return ErrorResponse(st);
  return JsonResponse(ok_body);
}

void AddThings(net::Router* router, Server* server) {
  router->Add("POST", "/v1/things", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto name = RequiredString(*body, "name");
    if (!name.ok()) return ErrorResponse(name.status());
    json attributes = body->value("attributes", json::object());
    if (!attributes.is_object()) return ErrorResponse(InvalidArgument("'attributes' must be an object"));
    std::vector<std::string> policies{devices::kDefaultPolicyName};
    if (body->contains("policies")) {
      if (!(*body)["policies"].is_array()) return ErrorResponse(InvalidArgument("'policies' must be an array of names"));
      policies.clear();
      for (const auto& p : (*body)["policies"]) {
        if (!p.is_string()) return ErrorResponse(InvalidArgument("'policies' must be an array of names"));
        policies.push_back(p.get<std::string>());
      }
    }
    auto created = server->devices().CreateThing(*name, attributes, policies);
    if (!created.ok()) return ErrorResponse(created.status());
    json out = devices::ToJson(*created);
    out["ca_pem"] = server->devices().ca().ca_cert_pem();
    out["endpoint"] = EndpointInfo(server);
    return JsonResponse(out, 201);
  });
  router->Add("GET", "/v1/things", [server](HttpRequest&) {
    auto things = server->devices().ListThings();
    if (!things.ok()) return ErrorResponse(things.status());
    json list = json::array();
    for (const auto& t : *things) list.push_back(devices::ToJson(t));
    return JsonResponse({{"things", list}});
  });
  router->Add("GET", "/v1/things/{name}", [server](HttpRequest& req) {
    return Reply(server->devices().DescribeThing(req.params["name"]));
  });
  // {"attributes": {...}, "merge": true}: merged by default (null or "" removes one), or
  // with "merge": false the thing's attributes become these.
  router->Add("PATCH", "/v1/things/{name}", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    if (!body->is_object() || !body->contains("attributes") || !(*body)["attributes"].is_object()) {
      return ErrorResponse(InvalidArgument("request body needs an object field 'attributes'"));
    }
    for (const auto& [key, value] : body->items()) {
      if (key != "attributes" && key != "merge") {
        return ErrorResponse(InvalidArgument(
            "unknown field '" + key + "' (a thing's update takes 'attributes' and 'merge')"));
      }
    }
    bool merge = true;
    if (body->contains("merge")) {
      if (!(*body)["merge"].is_boolean())
        return ErrorResponse(InvalidArgument("'merge' must be true or false"));
      merge = (*body)["merge"].get<bool>();
    }
    return Reply(
        server->devices().UpdateThingAttributes(req.params["name"], (*body)["attributes"], merge));
  });
  router->Add("POST", "/v1/things/{name}/deactivate", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    return ReplyStatus(server->devices().DeactivateThing(name), {{"name", name}, {"active", false}});
  });
  router->Add("POST", "/v1/things/{name}/activate", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    return ReplyStatus(server->devices().ActivateThing(name), {{"name", name}, {"active", true}});
  });
  router->Add("DELETE", "/v1/things/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    return ReplyStatus(server->devices().DeleteThing(name), {{"name", name}, {"deleted", true}});
  });
  router->Add("POST", "/v1/things/{name}/certificates", [server](HttpRequest& req) {
    auto cert = server->devices().IssueCertificate(req.params["name"]);
    if (!cert.ok()) return ErrorResponse(cert.status());
    return JsonResponse({{"thing", req.params["name"]},
                         {"fingerprint", cert->fingerprint},
                         {"certificate_pem", cert->cert_pem},
                         {"private_key_pem", cert->key_pem},
                         {"ca_pem", server->devices().ca().ca_cert_pem()},
                         {"endpoint", EndpointInfo(server)}},
                        201);
  });
}

// PUT /v1/certificates/{fingerprint or a unique prefix of 8+ hex digits} {"status": "active" |
// "inactive" | "revoked"} (AWS IoT's UpdateCertificate): one certificate of a thing on or off;
// leaving active closes the thing's connections; revoked is final.
void AddCertificates(net::Router* router, Server* server) {
  router->Add("PUT", "/v1/certificates/{fingerprint}", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto text = RequiredString(*body, "status");
    if (!text.ok()) return ErrorResponse(InvalidArgument("request body needs 'status': active, inactive or revoked"));
    std::string name = *text;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // AWS spells REVOKED
    auto status = devices::ParseCertificateStatus(name);
    if (!status.ok()) return ErrorResponse(status.status());
    // The whole fingerprint or a unique prefix of it (8 hex digits or more); the answer
    // names the whole one.
    auto fingerprint = server->devices().ResolveFingerprint(req.params["fingerprint"]);
    if (!fingerprint.ok()) return ErrorResponse(fingerprint.status());
    return ReplyStatus(server->devices().SetCertificateStatus(*fingerprint, *status),
                       {{"fingerprint", *fingerprint}, {"status", name}});
  });
}

void AddPolicies(net::Router* router, Server* server) {
  router->Add("POST", "/v1/policies", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto name = RequiredString(*body, "name");
    if (!name.ok()) return ErrorResponse(name.status());
    if (!body->contains("document")) return ErrorResponse(InvalidArgument("request body needs a 'document' object"));
    return Reply(server->devices().CreatePolicy(*name, (*body)["document"].dump()), 201);
  });
  router->Add("GET", "/v1/policies", [server](HttpRequest&) {
    auto policies = server->devices().ListPolicies();
    if (!policies.ok()) return ErrorResponse(policies.status());
    json list = json::array();
    for (const auto& p : *policies) list.push_back(devices::ToJson(p));
    return JsonResponse({{"policies", list}});
  });
  router->Add("GET", "/v1/policies/{name}", [server](HttpRequest& req) {
    return Reply(server->devices().GetPolicy(req.params["name"]));
  });
  router->Add("PUT", "/v1/policies/{name}", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    if (!body->contains("document")) return ErrorResponse(InvalidArgument("request body needs a 'document' object"));
    return Reply(server->devices().UpdatePolicy(req.params["name"], (*body)["document"].dump()));
  });
  router->Add("DELETE", "/v1/policies/{name}", [server](HttpRequest& req) {
    const std::string& name = req.params["name"];
    return ReplyStatus(server->devices().DeletePolicy(name), {{"name", name}, {"deleted", true}});
  });
  for (const char* verb : {"attach", "detach"}) {
    bool attach = std::string(verb) == "attach";
    router->Add("POST", std::string("/v1/policies/{name}/") + verb, [server, attach](HttpRequest& req) {
      auto body = ParseBody(req);
      if (!body.ok()) return ErrorResponse(body.status());
      auto thing = RequiredString(*body, "thing");
      if (!thing.ok()) return ErrorResponse(thing.status());
      const std::string& policy = req.params["name"];
      Status st = attach ? server->devices().AttachPolicy(policy, *thing)
                         : server->devices().DetachPolicy(policy, *thing);
      return ReplyStatus(st, {{"policy", policy}, {"thing", *thing}, {"attached", attach}});
    });
  }
}

}  // namespace

void AddThingRoutes(net::Router* router, Server* server) {
  AddThings(router, server);
  AddCertificates(router, server);
  AddPolicies(router, server);
}

}  // namespace tributary::app
