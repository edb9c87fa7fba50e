// The HTTP API: one function per resource family adds its routes to the Router.
// Handlers run on Runtime threads; they call into the stages' thread-safe facades.
// Errors become {"error": {"code", "message"}} with the status from base/error_code.h.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "net/router.h"

namespace tributary::app {

class Server;

void AddSystemRoutes(net::Router* router, Server* server);  // /healthz, /metrics, /v1/broker, /v1/server, /v1/servers
void AddThingRoutes(net::Router* router, Server* server);   // /v1/things, /v1/policies
// AWS IoT's data plane (api_iot_data.cc): device shadows (/things/{thing}/shadow) and
// HTTPS publish (/topics/{topic}).
void AddIotDataRoutes(net::Router* router, Server* server);
void AddRuleRoutes(net::Router* router, Server* server);    // /v1/rules
void AddStreamRoutes(net::Router* router, Server* server);  // /v1/streams (and Direct PUT)
// POST / in AWS's JSON protocol (aws_api.h), by X-Amz-Target: Firehose's own API
// (api_firehose.cc) and, on the control server (`with_glue`), Glue's catalog and
// crawlers (api_glue.cc).
void AddAwsJsonRoutes(net::Router* router, Server* server, bool with_glue);
void HandleFirehose(Server* server, net::HttpRequest& request, net::HttpRespond respond);
void HandleGlue(Server* server, net::HttpRequest& request, net::HttpRespond respond);
void HandleSageMaker(Server* server, net::HttpRequest& request, net::HttpRespond respond);
// /rules in AWS's REST-JSON protocol: AWS IoT's topic rule API (api_iot_rules.cc)
void AddIotRuleRoutes(net::Router* router, Server* server);
// AWS IoT's DescribeThing, ListThings and UpdateThing on /things (api_iot_things.cc).
void AddIotThingRoutes(net::Router* router, Server* server);
void AddCatalogRoutes(net::Router* router, Server* server); // /v1/catalog, /v1/crawlers
void AddJobRoutes(net::Router* router, Server* server);     // /v1/jobs (ETL)
// /v1/models, /v1/endpoint-configs, /v1/endpoints, /endpoints/{name}/invocations
void AddServingRoutes(net::Router* router, Server* server);
// /v1/training-jobs (create, list, describe, logs, stop)
void AddTrainingRoutes(net::Router* router, Server* server);

void AddForecastRoutes(net::Router* router, Server* server);  // /v1/forecast/prepare
void AddMonitorRoutes(net::Router* router, Server* server);   // /v1/monitors (drift monitors)
void AddLakeRoutes(net::Router* router, Server* server);      // /v1/lake (browsing buckets and objects)
void AddLiveRoutes(net::Router* router, Server* server);      // /v1/live (watching topics over HTTP)

// Helpers shared by the handlers.
net::HttpResponse JsonResponse(const nlohmann::json& body, int status = 200);
net::HttpResponse ErrorResponse(const Status& status);
// Parses a JSON request body; an error response names the position of the problem.
Result<nlohmann::json> ParseBody(const net::HttpRequest& request);
// A query parameter, or "".
std::string QueryParam(const net::HttpRequest& request, const std::string& name);
// A query parameter that must be a whole number 0..max, or `fallback` when absent or empty.
Result<int64_t> QueryInt(const net::HttpRequest& request, const std::string& key, int64_t fallback, int64_t max);

}  // namespace tributary::app
