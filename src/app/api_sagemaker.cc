// SageMaker's control plane for hosting, in AWS's JSON 1.1 protocol (aws_api.h, X-Amz-Target
// "SageMaker.<operation>"), so that deployment scripts written against SageMaker (an SDK's
// SageMaker client, `aws sagemaker ...`, the reference's blue/green and A/B steps) drive
// Tributary's models, endpoint configs and endpoints (src/serving/README.md) unchanged:
//   CreateModel, DescribeModel, ListModels, DeleteModel,
//   CreateEndpointConfig, DescribeEndpointConfig, ListEndpointConfigs, DeleteEndpointConfig,
//   CreateEndpoint, DescribeEndpoint, ListEndpoints, UpdateEndpoint,
//   UpdateEndpointWeightsAndCapacities, DeleteEndpoint.
// The /v1 API already speaks SageMaker's field names; what this adds is the protocol:
// requests by X-Amz-Target, ARNs, times as epoch seconds, SageMaker's container shape
// and its error types. Training jobs are api_sagemaker_training.cc's (sagemaker_api.h has
// what both share). Control server only (endpoints and training run there).
#include <algorithm>
#include <ctime>
#include <set>

#include "app/api.h"
#include "app/aws_api.h"
#include "app/aws_tags.h"
#include "app/sagemaker_api.h"
#include "app/server.h"
#include "base/aws_arn.h"
#include "serving/artifact_fetch.h"
#include "serving/endpoint_manager.h"
#include "serving/store.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

// The environment variable of a container that names a Command model's program (what
// SageMaker's Image would be: here a program speaking the worker protocol).
constexpr char kCommandVariable[] = "TRIBUTARY_COMMAND";

}  // namespace

HttpResponse SageMakerError(int status, std::string_view type, const std::string& message) {
  return AwsError(kSageMakerService, status, type, message);
}

HttpResponse SageMakerError(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kNotFound:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kAlreadyExists:
      return SageMakerError(400, "ValidationException", st.message());
    case ErrorCode::kFailedPrecondition:
      return SageMakerError(400, "ResourceInUse", st.message());
    case ErrorCode::kResourceExhausted:
      return SageMakerError(400, "ResourceLimitExceeded", st.message());
    case ErrorCode::kUnavailable:
      return SageMakerError(503, "ServiceUnavailable", st.message());
    default:
      return SageMakerError(500, "InternalFailure", st.message());
  }
}

HttpResponse SageMakerOk(const json& body) { return AwsResponse(kSageMakerService, body); }

std::string SageMakerArn(std::string_view kind, const std::string& name) {
  return LocalArn("sagemaker", std::string(kind) + "/" + name);
}

Status FilterByJobStatus(const json& body, std::vector<json>* jobs, const char* status_key, std::string_view what) {
  auto it = body.find("StatusEquals");
  if (it == body.end()) return Status::Ok();
  static const std::set<std::string> kStatuses = {"InProgress", "Completed", "Failed", "Stopping", "Stopped"};
  const std::string status = it->is_string() ? it->get<std::string>() : it->dump();
  if (!kStatuses.count(status)) {
    return InvalidArgument("StatusEquals '" + status + "' is not a " + std::string(what) +
                           " status (InProgress, Completed, Failed, Stopping, Stopped)");
  }
  std::erase_if(*jobs, [&](const json& j) { return j.value(status_key, "") != status; });
  return Status::Ok();
}

void ToEpochSeconds(json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return;
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(it->get<std::string>().c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7) {
    return;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *it = static_cast<double>(timegm(&tm)) + millis / 1000.0;
}

namespace {

HttpResponse Ok(const json& body) { return SageMakerOk(body); }

std::string Arn(const char* kind, const std::string& name) { return SageMakerArn(kind, name); }

// SageMaker's container: ModelDataUrl (a lake URI or a directory), Mode, and the
// program of a Command model in Environment.TRIBUTARY_COMMAND; Image names the
// container, which here is DeepAR's worker unless a command is given.
HttpResponse CreateModel(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "ModelName");
  if (!name.ok()) return SageMakerError(name.status());
  auto tags = TagListOf(body, "Tags");  // checked before anything is made
  if (!tags.ok()) return SageMakerError(tags.status());
  const json* container = nullptr;
  if (auto it = body.find("PrimaryContainer"); it != body.end() && it->is_object()) {
    container = &*it;
  } else if (auto c = body.find("Containers"); c != body.end() && c->is_array() && c->size() == 1 && (*c)[0].is_object()) {
    container = &(*c)[0];
  } else if (c != body.end()) {
    return SageMakerError(InvalidArgument("Containers: one container is served per model (an inference pipeline of "
                                          "several is not); give PrimaryContainer"));
  }
  if (container == nullptr) return SageMakerError(InvalidArgument("PrimaryContainer is required (an object)"));
  json request = {{"ModelName", *name}};
  if (auto url = container->find("ModelDataUrl"); url != container->end() && url->is_string()) request["Artifact"] = *url;
  if (auto env = container->find("Environment"); env != container->end() && env->is_object()) {
    if (auto command = env->find(kCommandVariable); command != env->end() && command->is_string()) {
      request["Command"] = *command;
    }
  }
  auto mode_field = OptionalAwsString(*container, "Mode", "SingleModel", "PrimaryContainer.");
  if (!mode_field.ok()) return SageMakerError(mode_field.status());
  const std::string mode = *mode_field;
  if (mode != "SingleModel" && mode != "MultiModel") {
    return SageMakerError(InvalidArgument("PrimaryContainer.Mode '" + mode + "' is neither SingleModel nor MultiModel"));
  }
  request["MultiModel"] = mode == "MultiModel";
  if (!request.contains("Artifact") && !request.contains("Command")) {
    return SageMakerError(InvalidArgument(
        "PrimaryContainer needs ModelDataUrl (a trained model: s3://bucket/prefix/ in the lake, or a directory) or "
        "Environment." + std::string(kCommandVariable) + " (a program speaking the worker protocol)"));
  }
  auto model = serving::RegisterModel(request, server->serving_store(), server->lake(),
                                      server->config().data_dir + "/models");
  if (!model.ok()) return SageMakerError(model.status());
  if (Status st = KeepTags(server, Arn("model", model->name), *tags); !st.ok()) return SageMakerError(st);
  return Ok({{"ModelArn", Arn("model", model->name)}});
}

json ModelJson(const serving::Model& m) {
  json container = {{"Mode", m.multi_model ? "MultiModel" : "SingleModel"}};
  const std::string& url = m.artifact_uri.empty() ? m.artifact : m.artifact_uri;
  if (!url.empty()) container["ModelDataUrl"] = url;
  if (!m.command.empty()) container["Environment"] = {{kCommandVariable, m.command}};
  return {{"ModelName", m.name},
          {"ModelArn", Arn("model", m.name)},
          {"PrimaryContainer", container},
          {"CreationTime", EpochSeconds(m.created_ms)}};
}

HttpResponse DescribeModel(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "ModelName");
  if (!name.ok()) return SageMakerError(name.status());
  auto model = server->serving_store().GetModel(*name);
  if (!model.ok()) return SageMakerError(model.status());
  return Ok(ModelJson(*model));
}

HttpResponse ListModels(Server* server, const json& body) {
  auto models = server->serving_store().ListModels();
  if (!models.ok()) return SageMakerError(models.status());
  auto sorted = SageMakerFilterAndSort(body, std::move(*models), [](const serving::Model& m) { return m.name; },
                              [](const serving::Model& m) { return m.created_ms; });
  if (!sorted.ok()) return SageMakerError(sorted.status());
  return SageMakerListPage(body, *sorted, "Models", [](const serving::Model& m) {
    return json{{"ModelName", m.name}, {"ModelArn", Arn("model", m.name)}, {"CreationTime", EpochSeconds(m.created_ms)}};
  });
}

HttpResponse DeleteModel(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "ModelName");
  if (!name.ok()) return SageMakerError(name.status());
  auto model = server->serving_store().GetModel(*name);
  if (!model.ok()) return SageMakerError(model.status());
  if (Status st = server->serving_store().DeleteModel(*name); !st.ok()) return SageMakerError(st);
  serving::RemoveModelArtifactCopy(*model);
  ForgetTags(server, Arn("model", *name));
  return Ok(json::object());
}

HttpResponse CreateEndpointConfig(Server* server, const json& body) {
  auto config = serving::ParseEndpointConfig(body);
  if (!config.ok()) return SageMakerError(config.status());
  auto tags = TagListOf(body, "Tags");
  if (!tags.ok()) return SageMakerError(tags.status());
  if (Status st = server->serving_store().CreateConfig(*config); !st.ok()) return SageMakerError(st);
  if (Status st = KeepTags(server, Arn("endpoint-config", config->name), *tags); !st.ok()) return SageMakerError(st);
  return Ok({{"EndpointConfigArn", Arn("endpoint-config", config->name)}});
}

HttpResponse DescribeEndpointConfig(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointConfigName");
  if (!name.ok()) return SageMakerError(name.status());
  auto config = server->serving_store().GetConfig(*name);
  if (!config.ok()) return SageMakerError(config.status());
  json j = serving::ToJson(*config);
  j.erase("CreatedMs");
  j["CreationTime"] = EpochSeconds(config->created_ms);
  j["EndpointConfigArn"] = Arn("endpoint-config", config->name);
  return Ok(j);
}

HttpResponse ListEndpointConfigs(Server* server, const json& body) {
  auto configs = server->serving_store().ListConfigs();
  if (!configs.ok()) return SageMakerError(configs.status());
  auto sorted = SageMakerFilterAndSort(body, std::move(*configs), [](const serving::EndpointConfig& c) { return c.name; },
                              [](const serving::EndpointConfig& c) { return c.created_ms; });
  if (!sorted.ok()) return SageMakerError(sorted.status());
  return SageMakerListPage(body, *sorted, "EndpointConfigs", [](const serving::EndpointConfig& c) {
    return json{{"EndpointConfigName", c.name},
                {"EndpointConfigArn", Arn("endpoint-config", c.name)},
                {"CreationTime", EpochSeconds(c.created_ms)}};
  });
}

HttpResponse DeleteEndpointConfig(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointConfigName");
  if (!name.ok()) return SageMakerError(name.status());
  if (Status st = server->serving_store().DeleteConfig(*name); !st.ok()) return SageMakerError(st);
  ForgetTags(server, Arn("endpoint-config", *name));
  return Ok(json::object());
}

HttpResponse CreateEndpoint(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointName");
  if (!name.ok()) return SageMakerError(name.status());
  auto config = RequiredAwsString(body, "EndpointConfigName");
  if (!config.ok()) return SageMakerError(config.status());
  auto tags = TagListOf(body, "Tags");
  if (!tags.ok()) return SageMakerError(tags.status());
  if (Status st = server->endpoints().Create(*name, *config); !st.ok()) return SageMakerError(st);
  if (Status st = KeepTags(server, Arn("endpoint", *name), *tags); !st.ok()) return SageMakerError(st);
  return Ok({{"EndpointArn", Arn("endpoint", *name)}});
}

HttpResponse DescribeEndpoint(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointName");
  if (!name.ok()) return SageMakerError(name.status());
  auto d = server->endpoints().Describe(*name);
  if (!d.ok()) return SageMakerError(d.status());
  json j = std::move(*d);
  j["EndpointArn"] = Arn("endpoint", *name);
  ToEpochSeconds(j, "CreationTime");
  ToEpochSeconds(j, "LastModifiedTime");
  if (auto p = j.find("PendingDeploymentSummary"); p != j.end() && p->is_object()) {
    ToEpochSeconds(*p, "StartTime");
    ToEpochSeconds(*p, "StageEndTime");
    // Where SageMaker's shape has the variants being deployed (the /v1 API has them beside).
    if (auto pending = j.find("PendingProductionVariants"); pending != j.end()) (*p)["ProductionVariants"] = *pending;
  }
  return Ok(j);
}

HttpResponse ListEndpoints(Server* server, const json& body) {
  json all = server->endpoints().List();
  std::vector<json> endpoints(all.begin(), all.end());
  for (json& e : endpoints) {
    e["EndpointArn"] = Arn("endpoint", e.value("EndpointName", ""));
    ToEpochSeconds(e, "CreationTime");
    ToEpochSeconds(e, "LastModifiedTime");
  }
  if (auto it = body.find("StatusEquals"); it != body.end()) {
    static const std::set<std::string> kStatuses = {"OutOfService", "Creating", "Updating", "SystemUpdating",
                                                    "RollingBack", "InService", "Deleting", "Failed",
                                                    "UpdateRollbackFailed"};
    const std::string status = it->is_string() ? it->get<std::string>() : it->dump();
    if (!kStatuses.count(status)) return SageMakerError(InvalidArgument("StatusEquals '" + status + "' is not an endpoint status"));
    std::erase_if(endpoints, [&](const json& e) { return e.value("EndpointStatus", "") != status; });
  }
  auto sorted = SageMakerFilterAndSort(body, std::move(endpoints), [](const json& e) { return e.value("EndpointName", ""); },
                              [](const json& e) { return e.value("CreationTime", 0.0); });
  if (!sorted.ok()) return SageMakerError(sorted.status());
  return SageMakerListPage(body, *sorted, "Endpoints", [](const json& e) { return e; });
}

HttpResponse UpdateEndpoint(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointName");
  if (!name.ok()) return SageMakerError(name.status());
  auto config = RequiredAwsString(body, "EndpointConfigName");
  if (!config.ok()) return SageMakerError(config.status());
  auto retain = OptionalAwsBool(body, "RetainAllVariantProperties", false);
  if (!retain.ok()) return SageMakerError(retain.status());
  if (*retain || body.contains("ExcludeRetainedVariantProperties")) {
    return SageMakerError(InvalidArgument("RetainAllVariantProperties is not served: the new config's variants "
                                          "are taken as they are"));
  }
  auto deployment = serving::ParseDeploymentConfig(body.value("DeploymentConfig", json()));
  if (!deployment.ok()) return SageMakerError(deployment.status());
  if (Status st = server->endpoints().Update(*name, *config, *deployment); !st.ok()) return SageMakerError(st);
  return Ok({{"EndpointArn", Arn("endpoint", *name)}});
}

HttpResponse UpdateWeights(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointName");
  if (!name.ok()) return SageMakerError(name.status());
  auto list = body.find("DesiredWeightsAndCapacities");
  if (list == body.end() || !list->is_array() || list->empty()) {
    return SageMakerError(InvalidArgument("DesiredWeightsAndCapacities is required: [{VariantName, DesiredWeight}]"));
  }
  std::map<std::string, double> weights;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& w = (*list)[i];
    const std::string where = "DesiredWeightsAndCapacities[" + std::to_string(i) + "]";
    if (!w.is_object() || !w.contains("VariantName") || !w["VariantName"].is_string()) {
      return SageMakerError(InvalidArgument(where + ": VariantName is required (a string)"));
    }
    if (w.contains("DesiredInstanceCount")) {
      return SageMakerError(InvalidArgument(where + ".DesiredInstanceCount: a variant's instances are its "
                                            "config's; deploy a config with the count instead"));
    }
    if (!w.contains("DesiredWeight") || !w["DesiredWeight"].is_number()) {
      return SageMakerError(InvalidArgument(where + ": DesiredWeight is required (a number)"));
    }
    weights[w["VariantName"].get<std::string>()] = w["DesiredWeight"].get<double>();
  }
  if (Status st = server->endpoints().UpdateWeights(*name, weights); !st.ok()) return SageMakerError(st);
  return Ok({{"EndpointArn", Arn("endpoint", *name)}});
}

HttpResponse DeleteEndpoint(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "EndpointName");
  if (!name.ok()) return SageMakerError(name.status());
  if (Status st = server->endpoints().Delete(*name); !st.ok()) return SageMakerError(st);
  ForgetTags(server, Arn("endpoint", *name));
  return Ok(json::object());
}

}  // namespace

void HandleSageMaker(Server* server, HttpRequest& req, net::HttpRespond respond) {
  auto operation = AwsOperation(req, kSageMakerService);
  HttpResponse refusal;
  auto body = ParseAwsBody(kSageMakerService, req, &refusal);
  if (!body) return respond(std::move(refusal));
  const std::string_view op = operation.value_or("");
  using Handler = HttpResponse (*)(Server*, const json&);
  static const std::pair<std::string_view, Handler> kOperations[] = {
      {"CreateModel", CreateModel},
      {"DescribeModel", DescribeModel},
      {"ListModels", ListModels},
      {"DeleteModel", DeleteModel},
      {"CreateEndpointConfig", CreateEndpointConfig},
      {"DescribeEndpointConfig", DescribeEndpointConfig},
      {"ListEndpointConfigs", ListEndpointConfigs},
      {"DeleteEndpointConfig", DeleteEndpointConfig},
      {"CreateEndpoint", CreateEndpoint},
      {"DescribeEndpoint", DescribeEndpoint},
      {"ListEndpoints", ListEndpoints},
      {"UpdateEndpoint", UpdateEndpoint},
      {"UpdateEndpointWeightsAndCapacities", UpdateWeights},
      {"DeleteEndpoint", DeleteEndpoint},
  };
  std::string served;
  for (const auto& [name, handler] : kOperations) {
    if (op == name) return respond(handler(server, *body));
    served += std::string(name) + ", ";
  }
  if (auto answer = HandleSageMakerTrainingOperation(server, op, *body)) return respond(std::move(*answer));
  if (auto answer = HandleSageMakerTransformOperation(server, op, *body)) return respond(std::move(*answer));
  if (auto answer = HandleSageMakerTagOperation(server, op, *body)) return respond(std::move(*answer));
  served += std::string(kSageMakerTrainingOperations) + ", " + kSageMakerTransformOperations +
            ", AddTags, ListTags, DeleteTags";
  respond(SageMakerError(400, "UnknownOperationException",
                         "SageMaker operation '" + std::string(op) + "' is not served here (" + served + ")"));
}

}  // namespace tributary::app
