// Device shadows over HTTP, in AWS IoT's data plane shape (REST-JSON, signed for service
// "iotdata"; or the bearer token), so that applications read and set what devices
// should do with AWS's own clients (an SDK's IoT Data Plane client, `aws iot-data`):
//   GET    /things/{thing}/shadow[?name=N]   GetThingShadow: the document, with its delta
//   POST   /things/{thing}/shadow[?name=N]   UpdateThingShadow: the update/accepted answer;
//                                            devices hear it on .../update/accepted,
//                                            .../update/documents and .../update/delta
//   DELETE /things/{thing}/shadow[?name=N]   DeleteThingShadow
//   GET    /api/things/shadow/ListNamedShadowsForThing/{thing}[?nextToken&pageSize]
// The same service answers MQTT requests (devices/shadow_service.h); errors carry AWS's
// types: InvalidRequestException (400), ResourceNotFoundException (404),
// ConflictException (409), RequestEntityTooLargeException (413), ThrottlingException (429).
#include "app/api.h"
#include "app/aws_api.h"
#include "app/server.h"
#include "base/clock.h"
#include "devices/shadow_service.h"
#include "devices/shadow_store.h"

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
  json results = json::array();
  std::string last;
  bool more = false;
  for (const std::string& n : *names) {
    if (!after.empty() && n <= after) continue;
    if (results.size() == page_size) {
      more = true;
      break;
    }
    results.push_back(n);
    last = n;
  }
  json out = {{"results", results}, {"timestamp", WallMillis() / 1000}};
  if (more) out["nextToken"] = last;
  return AwsResponse(kIotDataService, out);
}

}  // namespace

void AddShadowRoutes(net::Router* router, Server* server) {
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
