// /v1/forecast: preparing DeepAR's channels from catalog tables (forecast/prepare.h).
//   POST /v1/forecast/prepare  {"table", "target", "prediction_length", "out", ...}
//        -> 200 the summary (series, points, NaN shares, time range, split, files)
// `out` is an absolute local directory (written by the server: the CLI and the server
// share one machine and its data directory) or a lake path s3://bucket/prefix/. The
// preparation runs on the request's thread: it reads the whole table once.
#include <nlohmann/json.hpp>

#include "app/api.h"
#include "app/server.h"
#include "forecast/prepare.h"

namespace tributary::app {

void AddForecastRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/forecast/prepare", [server](net::HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto request = forecast::PrepareRequest::FromJson(*body);
    if (!request.ok()) return ErrorResponse(request.status());
    auto summary = forecast::PrepareFromTable(*request, &server->catalog(), &server->lake());
    if (!summary.ok()) return ErrorResponse(summary.status());
    return JsonResponse(summary->ToJson());
  });
}

}  // namespace tributary::app
