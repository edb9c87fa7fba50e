// Drift monitors over HTTP (src/monitor/README.md):
//   POST   /v1/monitors                  the definition -> 201 + description
//   GET    /v1/monitors                  {"Monitors": [...]}
//   GET    /v1/monitors/{name}           the definition, state, evaluations and retrainings
//   POST   /v1/monitors/{name}/evaluate  -> 202 {"MonitorName", "EvaluationsRequested"}
//   DELETE /v1/monitors/{name}           -> {"deleted": name}
#include "app/api.h"
#include "app/server.h"
#include "monitor/monitors.h"

namespace tributary::app {

using net::HttpRequest;

void AddMonitorRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/monitors", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto d = server->monitors().Create(*body);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d, 201);
  });
  router->Add("GET", "/v1/monitors", [server](HttpRequest&) {
    return JsonResponse({{"Monitors", server->monitors().List()}});
  });
  router->Add("GET", "/v1/monitors/{name}", [server](HttpRequest& req) {
    auto d = server->monitors().Describe(req.params["name"]);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d);
  });
  router->Add("POST", "/v1/monitors/{name}/evaluate", [server](HttpRequest& req) {
    auto k = server->monitors().Evaluate(req.params["name"]);
    if (!k.ok()) return ErrorResponse(k.status());
    return JsonResponse(*k, 202);
  });
  router->Add("DELETE", "/v1/monitors/{name}", [server](HttpRequest& req) {
    Status st = server->monitors().Delete(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"deleted", req.params["name"]}});
  });
}

}  // namespace tributary::app
