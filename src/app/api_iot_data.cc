// AWS IoT's data plane over HTTP (REST-JSON, signed for service "iotdata"; or the bearer
// token), so that applications read and set what devices should do, and publish to them,
// with AWS's own clients (an SDK's IoT Data Plane client, `aws iot-data`):
//   GET    /things/{thing}/shadow[?name=N]   GetThingShadow: the document, with its delta
//   POST   /things/{thing}/shadow[?name=N]   UpdateThingShadow: the update/accepted answer;
//                                            devices hear it on .../update/accepted,
//                                            .../update/documents and .../update/delta
//   DELETE /things/{thing}/shadow[?name=N]   DeleteThingShadow
//   GET    /api/things/shadow/ListNamedShadowsForThing/{thing}[?nextToken&pageSize]
//   POST   /topics/{topic}[?qos=0|1&retain=true|false]   Publish: the body is the payload,
//                                            published as a device's (rules, shadows, then
//                                            subscribers); QoS 1 answers after the rules took it
// The same service answers MQTT requests (devices/shadow_service.h); errors carry AWS's
// types: InvalidRequestException (400), ResourceNotFoundException (404),
// ConflictException (409), RequestEntityTooLargeException (413), ThrottlingException (429).
#include "app/api.h"
#include "app/aws_api.h"
#include "app/client_publish.h"
#include "app/name_paging.h"
#include "app/server.h"
#include "base/clock.h"
#include "devices/shadow_service.h"
#include "devices/shadow_store.h"
#include "mqtt/topic.h"

namespace tributary::app {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

std::string_view ErrorType(int status) {
  switch (status) {
    case 400:
      return "InvalidRequestException";
    case 404:
      return "ResourceNotFoundException";
    case 409:
      return "ConflictException";
    case 413:
      return "RequestEntityTooLargeException";
    case 429:
      return "ThrottlingException";
    default:
      return "InternalFailureException";
  }
}

HttpResponse Answer(const devices::ShadowOutcome& outcome) {
  if (outcome.status == 200) return AwsResponse(kIotDataService, outcome.body);
  return AwsError(kIotDataService, outcome.status, ErrorType(outcome.status), outcome.body.value("message", ""));
}

void Shadow(Server* server, HttpRequest& req, const char* operation, net::HttpRespond respond) {
  auto name = req.query.find("name");
  const std::string shadow = name == req.query.end() ? "" : name->second;
  if (Status st = devices::ValidateShadowNames(req.params["thing"], shadow); !st.ok()) {
    return respond(AwsError(kIotDataService, 400, "InvalidRequestException", st.message()));
  }
  server->shadows().Execute(req.params["thing"], shadow, operation, std::move(req.body),
                            [respond = std::move(respond)](devices::ShadowOutcome outcome) {
                              respond(Answer(outcome));
                            });
}

HttpResponse ListNamed(Server* server, HttpRequest& req) {
  const std::string& thing = req.params["thing"];
  if (Status st = devices::ValidateShadowNames(thing, ""); !st.ok()) {
    return AwsError(kIotDataService, 400, "InvalidRequestException", st.message());
  }
  size_t page_size = 25;
  if (auto it = req.query.find("pageSize"); it != req.query.end()) {
    const std::string& v = it->second;
    if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 ||
        std::stoi(v) > 100) {
      return AwsError(kIotDataService, 400, "InvalidRequestException", "pageSize '" + v + "' is not 1..100");
    }
    page_size = std::stoul(v);
  }
  auto names = server->shadow_store().ListNamed(thing);
  if (!names.ok()) return AwsError(kIotDataService, 500, "InternalFailureException", names.status().message());
  const std::string after = req.query.count("nextToken") ? req.query["nextToken"] : "";
  NamePage<std::string> page = PageByName(*names, after, page_size, [](const std::string& n) { return n; });
  json results = json::array();
  for (const std::string* n : page.items) results.push_back(*n);
  json out = {{"results", results}, {"timestamp", WallMillis() / 1000}};
  if (page.more) out["nextToken"] = page.last;
  return AwsResponse(kIotDataService, out);
}

// AWS IoT's HTTPS publish. Topics under "$" are the server's, but for device shadows'.
void Publish(Server* server, HttpRequest& req, net::HttpRespond respond) {
  const std::string topic = req.params["topic"];
  auto refuse = [&](int status, std::string_view type, const std::string& message) {
    respond(AwsError(kIotDataPublishService, status, type, message));
  };
  if (!mqtt::IsValidTopicName(topic)) {
    return refuse(400, "InvalidRequestException", "topic '" + topic + "' is not one a message may be published to");
  }
  if (topic[0] == '$' && !devices::ParseShadowTopic(topic)) {
    return refuse(403, "UnauthorizedException",
                  "topic '" + topic + "': topics under '$' are the server's (but for $aws/things/<thing>/shadow/...)");
  }
  int qos = 0;
  if (auto it = req.query.find("qos"); it != req.query.end()) {
    if (it->second != "0" && it->second != "1") return refuse(400, "InvalidRequestException", "qos must be 0 or 1");
    qos = it->second == "1" ? 1 : 0;
  }
  bool retain = false;
  if (auto it = req.query.find("retain"); it != req.query.end()) {
    if (it->second != "true" && it->second != "false") {
      return refuse(400, "InvalidRequestException", "retain must be true or false");
    }
    retain = it->second == "true";
  }
  if (req.body.size() > server->config().max_payload_bytes) {
    return refuse(413, "RequestEntityTooLargeException",
                  "the payload is " + std::to_string(req.body.size()) + " bytes; the broker takes at most " +
                      std::to_string(server->config().max_payload_bytes));
  }
  PublishAsClient(server, {kAwsAccessKeyId, topic, std::move(req.body), qos, retain},
                  [topic, respond = std::move(respond)](broker::PublishVerdict verdict) {
                    if (verdict == broker::PublishVerdict::kAccepted) {
                      return respond(AwsResponse(kIotDataPublishService, json::object()));
                    }
                    respond(AwsError(kIotDataPublishService, 503, "ServiceUnavailableException",
                                     verdict == broker::PublishVerdict::kQuotaExceeded
                                         ? "a delivery stream behind a rule on '" + topic + "' is backed up: retry"
                                         : "a rule on '" + topic + "' could not take the message: retry"));
                  });
}

}  // namespace

void AddIotDataRoutes(net::Router* router, Server* server) {
  router->AddAsync("POST", "/topics/{topic+}", [server](HttpRequest& req, net::HttpRespond respond) {
    Publish(server, req, std::move(respond));
  });
  router->AddAsync("GET", "/things/{thing}/shadow", [server](HttpRequest& req, net::HttpRespond respond) {
    Shadow(server, req, "get", std::move(respond));
  });
  router->AddAsync("POST", "/things/{thing}/shadow", [server](HttpRequest& req, net::HttpRespond respond) {
    Shadow(server, req, "update", std::move(respond));
  });
  router->AddAsync("DELETE", "/things/{thing}/shadow", [server](HttpRequest& req, net::HttpRespond respond) {
    Shadow(server, req, "delete", std::move(respond));
  });
  router->Add("GET", "/api/things/shadow/ListNamedShadowsForThing/{thing}",
              [server](HttpRequest& req) { return ListNamed(server, req); });
}

}  // namespace tributary::app
