// Model hosting over HTTP (src/serving/README.md), after SageMaker's CreateModel,
// CreateEndpointConfig, CreateEndpoint, UpdateEndpoint, UpdateEndpointWeightsAndCapacities,
// DescribeEndpoint, DeleteEndpoint and InvokeEndpoint:
//   POST|GET /v1/models                 GET|DELETE /v1/models/{name}
//   POST|GET /v1/endpoint-configs       GET|DELETE /v1/endpoint-configs/{name}
//   POST|GET /v1/endpoints              GET|DELETE /v1/endpoints/{name}
//   POST /v1/endpoints/{name}/update    POST /v1/endpoints/{name}/weights
//   POST /endpoints/{name}/invocations  (answered asynchronously: the model runs in a worker)
//   POST|GET /v1/transform-jobs         GET /v1/transform-jobs/{name}   (batch transform)
//   POST /v1/transform-jobs/{name}/stop
#include "app/api.h"
#include "app/aws_tags.h"
#include "app/sagemaker_api.h"
#include "app/server.h"
#include "base/ids.h"
#include "base/json_text.h"
#include "serving/artifact_fetch.h"
#include "serving/endpoint_manager.h"
#include "serving/store.h"
#include "serving/transform_jobs.h"

namespace tributary::app {

namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

HttpResponse CreateModel(Server* server, const HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto model = serving::RegisterModel(*body, server->serving_store(), server->lake(),
                                      server->config().data_dir + "/models");
  if (!model.ok()) return ErrorResponse(model.status());
  return JsonResponse(serving::ToJson(*model), 201);
}

HttpResponse CreateConfig(Server* server, const HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto config = serving::ParseEndpointConfig(*body);
  if (!config.ok()) return ErrorResponse(config.status());
  Status st = server->serving_store().CreateConfig(*config);
  if (!st.ok()) return ErrorResponse(st);
  return JsonResponse(serving::ToJson(*config), 201);
}

Result<std::string> StringField(const json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string()) {
    return InvalidArgument(std::string("request body needs '") + key + "' (a string)");
  }
  return body[key].get<std::string>();
}

HttpResponse CreateEndpoint(Server* server, const HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto name = StringField(*body, "EndpointName");
  if (!name.ok()) return ErrorResponse(name.status());
  auto config = StringField(*body, "EndpointConfigName");
  if (!config.ok()) return ErrorResponse(config.status());
  Status st = server->endpoints().Create(*name, *config);
  if (!st.ok()) return ErrorResponse(st);
  auto d = server->endpoints().Describe(*name);
  if (!d.ok()) return ErrorResponse(d.status());
  return JsonResponse(*d, 202);
}

HttpResponse UpdateEndpoint(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto config = StringField(*body, "EndpointConfigName");
  if (!config.ok()) return ErrorResponse(config.status());
  auto deployment = serving::ParseDeploymentConfig(body->value("DeploymentConfig", json()));
  if (!deployment.ok()) return ErrorResponse(deployment.status());
  const std::string& name = req.params["name"];
  Status st = server->endpoints().Update(name, *config, *deployment);
  if (!st.ok()) return ErrorResponse(st);
  auto d = server->endpoints().Describe(name);
  if (!d.ok()) return ErrorResponse(d.status());
  return JsonResponse(*d, 202);
}

HttpResponse UpdateWeights(Server* server, HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  const json* list = body->is_object() && body->contains("DesiredWeightsAndCapacities")
                         ? &(*body)["DesiredWeightsAndCapacities"]
                         : nullptr;
  if (list == nullptr || !list->is_array() || list->empty()) {
    return ErrorResponse(InvalidArgument("request body needs 'DesiredWeightsAndCapacities': "
                                         "[{\"VariantName\": ..., \"DesiredWeight\": ...}]"));
  }
  std::map<std::string, double> weights;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& w = (*list)[i];
    if (!w.is_object() || !w.contains("VariantName") || !w["VariantName"].is_string() ||
        !w.contains("DesiredWeight") || !w["DesiredWeight"].is_number()) {
      return ErrorResponse(InvalidArgument("DesiredWeightsAndCapacities[" + std::to_string(i) +
                                           "]: needs 'VariantName' (string) and 'DesiredWeight' (number)"));
    }
    weights[w["VariantName"].get<std::string>()] = w["DesiredWeight"].get<double>();
  }
  const std::string& name = req.params["name"];
  Status st = server->endpoints().UpdateWeights(name, weights);
  if (!st.ok()) return ErrorResponse(st);
  auto d = server->endpoints().Describe(name);
  if (!d.ok()) return ErrorResponse(d.status());
  return JsonResponse(*d);
}

// InvokeEndpoint's error type for an error answer: 429 ModelNotReadyException and 503
// ServiceUnavailable (which the SDKs retry); else ModelError when a model gave it (its
// status is kept), ValidationError for another 4xx (no such endpoint or variant, a bad
// request), InternalFailure for a 5xx.
std::string_view SageMakerErrorType(int status, bool from_model) {
  if (status == 429) return "ModelNotReadyException";
  if (status == 503) return "ServiceUnavailable";
  if (from_model || status == 424) return "ModelError";
  if (status < 500) return "ValidationError";
  return "InternalFailure";
}

// Makes an error answer one the AWS SDKs read: its type in x-amzn-ErrorType, and for the
// server's own errors ({"error": {"code", "message"}}) "__type" and "message" beside
// "error". A model's answer is passed on as the model wrote it.
void AddSageMakerError(HttpResponse* res, bool from_model) {
  std::string_view type = SageMakerErrorType(res->status, from_model);
  res->headers["x-amzn-ErrorType"] = std::string(type);
  res->headers["x-amzn-RequestId"] = NewUuid();
  if (from_model) return;
  json body = json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return;
  body["__type"] = type;
  body["message"] = body["error"].value("message", "");
  res->body = body.dump() + "\n";
}

HttpResponse InvokeError(int status, const std::string& code, const std::string& message) {
  HttpResponse res = net::JsonError(status, code, message);
  AddSageMakerError(&res, false);
  return res;
}

void Invoke(Server* server, HttpRequest& req, net::HttpRespond respond) {
  serving::InvokeRequest r;
  r.endpoint = req.params["name"];
  r.target_variant = req.Header("x-amzn-sagemaker-target-variant");
  r.target_model = req.Header("x-amzn-sagemaker-target-model");
  r.inference_id = req.Header("x-amzn-sagemaker-inference-id");
  bool printable = r.inference_id.size() <= 64;
  for (char c : r.inference_id) printable = printable && c >= 0x20 && c < 0x7f;
  if (!printable) {
    return respond(InvokeError(400, "invalid_argument",
                               "X-Amzn-SageMaker-Inference-Id must be at most 64 printable ASCII characters"));
  }
  std::string type = req.Header("content-type");
  if (type.empty()) type = "application/json";
  r.invocation.content_type = type.substr(0, type.find(';'));
  std::string accept = req.Header("accept");
  r.invocation.accept = accept.empty() || accept == "*/*" ? r.invocation.content_type : accept;
  const std::string& config = req.Header("x-tributary-inference-config");
  if (!config.empty()) {
    Result<json> parsed = ParseJsonText(config, "X-Tributary-Inference-Config");
    if (!parsed.ok())
      return respond(InvokeError(400, "invalid_argument", parsed.status().message()));
    if (!parsed->is_object()) {
      return respond(InvokeError(400, "invalid_argument", "X-Tributary-Inference-Config is not a JSON object"));
    }
    r.invocation.inference_config = std::move(*parsed);
  }
  r.invocation.body = std::move(req.body);
  server->endpoints().Invoke(std::move(r), [respond = std::move(respond)](serving::InvokeAnswer a) {
    HttpResponse res;
    res.status = a.status;
    res.content_type = a.content_type;
    res.body = std::move(a.body);
    if (!a.variant.empty()) res.headers["X-Amzn-Invoked-Production-Variant"] = a.variant;
    // SageMaker Runtime's error types, which the AWS SDKs raise by name.
    if (a.status >= 400) AddSageMakerError(&res, !a.variant.empty());
    if (a.retry_after_s > 0) res.headers["Retry-After"] = std::to_string(a.retry_after_s);
    respond(std::move(res));
  });
}

}  // namespace

void AddServingRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/models", [server](HttpRequest& req) { return CreateModel(server, req); });
  router->Add("GET", "/v1/models", [server](HttpRequest&) {
    auto models = server->serving_store().ListModels();
    if (!models.ok()) return ErrorResponse(models.status());
    json list = json::array();
    for (const auto& m : *models) list.push_back(serving::ToJson(m));
    return JsonResponse({{"Models", list}});
  });
  router->Add("GET", "/v1/models/{name}", [server](HttpRequest& req) {
    auto m = server->serving_store().GetModel(req.params["name"]);
    if (!m.ok()) return ErrorResponse(m.status());
    return JsonResponse(serving::ToJson(*m));
  });
  router->Add("DELETE", "/v1/models/{name}", [server](HttpRequest& req) {
    auto model = server->serving_store().GetModel(req.params["name"]);
    Status st = server->serving_store().DeleteModel(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    if (model.ok()) serving::RemoveModelArtifactCopy(*model);
    ForgetTags(server, SageMakerArn("model", req.params["name"]));  // SageMaker's tags on it
    return JsonResponse({{"deleted", req.params["name"]}});
  });

  router->Add("POST", "/v1/endpoint-configs", [server](HttpRequest& req) { return CreateConfig(server, req); });
  router->Add("GET", "/v1/endpoint-configs", [server](HttpRequest&) {
    auto configs = server->serving_store().ListConfigs();
    if (!configs.ok()) return ErrorResponse(configs.status());
    json list = json::array();
    for (const auto& c : *configs) list.push_back(serving::ToJson(c));
    return JsonResponse({{"EndpointConfigs", list}});
  });
  router->Add("GET", "/v1/endpoint-configs/{name}", [server](HttpRequest& req) {
    auto c = server->serving_store().GetConfig(req.params["name"]);
    if (!c.ok()) return ErrorResponse(c.status());
    return JsonResponse(serving::ToJson(*c));
  });
  router->Add("DELETE", "/v1/endpoint-configs/{name}", [server](HttpRequest& req) {
    Status st = server->serving_store().DeleteConfig(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    ForgetTags(server, SageMakerArn("endpoint-config", req.params["name"]));
    return JsonResponse({{"deleted", req.params["name"]}});
  });

  router->Add("POST", "/v1/endpoints", [server](HttpRequest& req) { return CreateEndpoint(server, req); });
  router->Add("GET", "/v1/endpoints", [server](HttpRequest&) {
    return JsonResponse({{"Endpoints", server->endpoints().List()}});
  });
  router->Add("GET", "/v1/endpoints/{name}", [server](HttpRequest& req) {
    auto d = server->endpoints().Describe(req.params["name"]);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d);
  });
  router->Add("DELETE", "/v1/endpoints/{name}", [server](HttpRequest& req) {
    Status st = server->endpoints().Delete(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    ForgetTags(server, SageMakerArn("endpoint", req.params["name"]));
    auto d = server->endpoints().Describe(req.params["name"]);
    return d.ok() ? JsonResponse(*d, 202) : JsonResponse({{"EndpointName", req.params["name"]}}, 202);
  });
  router->Add("POST", "/v1/endpoints/{name}/update", [server](HttpRequest& req) { return UpdateEndpoint(server, req); });
  router->Add("POST", "/v1/endpoints/{name}/weights", [server](HttpRequest& req) { return UpdateWeights(server, req); });
  router->Add("POST", "/v1/transform-jobs", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    Status st = server->transforms().Start(*body);
    if (!st.ok()) return ErrorResponse(st);
    auto d = server->transforms().Describe(body->value("TransformJobName", ""));
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d, 202);
  });
  router->Add("GET", "/v1/transform-jobs", [server](HttpRequest&) {
    auto list = server->transforms().List();
    if (!list.ok()) return ErrorResponse(list.status());
    return JsonResponse({{"TransformJobSummaries", *list}});
  });
  router->Add("POST", "/v1/transform-jobs/{name}/stop", [server](HttpRequest& req) {
    Status st = server->transforms().StopJob(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"TransformJobName", req.params["name"]}, {"stopping", true}}, 202);
  });
    router->Add("GET", "/v1/transform-jobs/{name}", [server](HttpRequest& req) {
    auto d = server->transforms().Describe(req.params["name"]);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d);
  });
  router->AddAsync("POST", "/endpoints/{name}/invocations",
                   [server](HttpRequest& req, net::HttpRespond respond) { Invoke(server, req, std::move(respond)); });
}

}  // namespace tributary::app
