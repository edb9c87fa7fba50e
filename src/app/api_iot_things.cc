// AWS IoT's thing registry calls (REST-JSON, signed for service iot, aws_api.h), so that
// the AWS SDKs' IoT client, `aws iot describe-thing` and `aws iot update-thing` read and
// change what the registry keeps of a thing:
//   GET   /things               ListThings (maxResults, nextToken, attributeName and
//                               attributeValue)
//   GET   /things/{thingName}   DescribeThing (thingName, thingArn, defaultClientId,
//                               attributes: what the rules' get_registry_data() reads)
//   PATCH /things/{thingName}   UpdateThing (attributePayload: attributes, merge)
// A thing here is made with its certificate and kit (`tributary thing create`, POST
// /v1/things) and deleted with them: CreateThing and DeleteThing are refused saying so,
// as are thing types and expected versions, which the registry does not keep.
#include "app/api.h"
#include "app/aws_api.h"
#include "app/name_paging.h"
#include "app/server.h"
#include "devices/thing_registry.h"

namespace tributary::app {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

constexpr int64_t kMaxListResults = 250;  // AWS's limit for ListThings

HttpResponse Ok(const json& body = json::object()) { return AwsResponse(kIotThingsService, body); }

// Attribute values as AWS gives them: strings (a number or boolean set over /v1/things as
// its JSON text).
json StringAttributes(const json& attributes) {
  json out = json::object();
  for (const auto& [key, value] : attributes.items())
    out[key] = value.is_string() ? value.get<std::string>() : value.dump();
  return out;
}

HttpResponse ListThings(Server* server, HttpRequest& req) {
  auto max = QueryInt(req, "maxResults", 50, kMaxListResults);
  if (!max.ok() || *max < 1) {
    return IotError(InvalidArgument("query parameter 'maxResults': '" +
                                    QueryParam(req, "maxResults") + "' is not an integer 1..250"));
  }
  const std::string attribute = QueryParam(req, "attributeName"),
                    value = QueryParam(req, "attributeValue");
  if (attribute.empty() != value.empty()) {
    return IotError(InvalidArgument("attributeName and attributeValue go together"));
  }
  if (!QueryParam(req, "thingTypeName").empty()) {
    return IotError(InvalidArgument("thingTypeName: the registry keeps no thing types"));
  }
  auto things = server->devices().ListThings();  // by name
  if (!things.ok()) return IotError(things.status());
  std::vector<devices::Thing> kept;
  for (devices::Thing& t : *things) {
    if (!attribute.empty()) {
      json attributes = StringAttributes(t.attributes);
      if (!attributes.contains(attribute) || attributes[attribute] != value) continue;
    }
    kept.push_back(std::move(t));
  }
  NamePage<devices::Thing> page =
      PageByName(kept, QueryParam(req, "nextToken"), static_cast<size_t>(*max),
                 [](const devices::Thing& t) { return t.name; });
  json list = json::array();
  for (const devices::Thing* t : page.items) {
    list.push_back({{"thingName", t->name},
                    {"thingArn", devices::ThingArn(t->name)},
                    {"attributes", StringAttributes(t->attributes)}});
  }
  json body = {{"things", list}};
  if (page.more) body["nextToken"] = page.last;
  return Ok(body);
}

HttpResponse DescribeThing(Server* server, HttpRequest& req) {
  const std::string& name = req.params["name"];
  auto d = server->devices().DescribeThing(name);
  if (!d.ok()) return IotError(d.status());
  return Ok({{"thingName", name},
             {"thingArn", devices::ThingArn(name)},
             {"defaultClientId", name},
             {"attributes", StringAttributes(d->thing.attributes)}});
}

HttpResponse UpdateThing(Server* server, HttpRequest& req) {
  HttpResponse refusal;
  auto body = ParseAwsBody(kIotThingsService, req, &refusal);
  if (!body) return refusal;
  for (const auto& [key, value] : body->items()) {
    if (key == "thingTypeName" || key == "removeThingType") {
      return IotError(InvalidArgument(key + ": the registry keeps no thing types"));
    }
    if (key == "expectedVersion") {
      return IotError(
          InvalidArgument("expectedVersion: the registry keeps no versions of a thing"));
    }
    if (key != "attributePayload") return IotError(InvalidArgument("unknown field '" + key + "'"));
  }
  const json payload = body->value("attributePayload", json::object());
  if (!payload.is_object()) return IotError(InvalidArgument("attributePayload must be an object"));
  const json attributes = payload.value("attributes", json::object());
  if (!attributes.is_object())
    return IotError(InvalidArgument("attributePayload.attributes must be an object"));
  for (const auto& [key, value] : attributes.items()) {
    if (!value.is_string()) {
      return IotError(InvalidArgument("attributePayload.attributes." + key + " must be a string"));
    }
  }
  const json merge = payload.value("merge", json(false));
  if (!merge.is_boolean())
    return IotError(InvalidArgument("attributePayload.merge must be true or false"));
  auto updated =
      server->devices().UpdateThingAttributes(req.params["name"], attributes, merge.get<bool>());
  if (!updated.ok()) return IotError(updated.status());
  return Ok();
}

HttpResponse NotServed(const std::string& call) {
  return IotError(
      InvalidArgument(call +
                      " is not served here: a thing is made with its certificate and connection "
                      "kit (`tributary thing create`, POST /v1/things) and deleted with them "
                      "(`tributary thing delete`)"));
}

}  // namespace

void AddIotThingRoutes(net::Router* router, Server* server) {
  // The data plane's shadows share /things: a call signed for another service is not one of these.
  auto iot = [server](HttpResponse (*call)(Server*, HttpRequest&)) {
    return [call, server](HttpRequest& req) {
      if (SignedServiceOf(req) != kIotThingsService.signing_name) {
        return IotError(NotFound(req.method + " " + req.path +
                                 " is AWS IoT's registry (DescribeThing, ListThings, "
                                 "UpdateThing): sign it for service iot"));
      }
      return call(server, req);
    };
  };
  router->Add("GET", "/things", iot(&ListThings));
  router->Add("GET", "/things/{name}", iot(&DescribeThing));
  router->Add("PATCH", "/things/{name}", iot(&UpdateThing));
  router->Add("POST", "/things/{name}", [](HttpRequest&) { return NotServed("CreateThing"); });
  router->Add("DELETE", "/things/{name}", [](HttpRequest&) { return NotServed("DeleteThing"); });
}

}  // namespace tributary::app
