// tributary model|endpoint-config|endpoint|transform: model hosting over the HTTP API
// (the resources and their JSON are in serving/README.md).
//
//   tributary model create m1 --artifact model/          (the path is sent absolute)
//   tributary model create m2 --artifact s3://iot-data/models/job-1/output/model/
//       (a lake URI: the server copies it)
//   tributary endpoint-config create c1 --variant name=blue,model=m1,weight=1,instances=2
//       [--data-capture s3://iot-data/capture/ --capture-percent 20 --capture-mode both]
//   tributary endpoint create ep --config c1 --wait
//   tributary endpoint update ep --config c2 --traffic canary --canary-percent 10
//       --wait-s 30 --rollback-max-error-rate 0.05 --wait
//   tributary endpoint invoke ep --body request.json      (the answer on stdout)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/serving_cli.h"
#include "flags/flag_checks.h"
#include "net/http_client.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;
using serving::AddNamedCall;
using serving::ConfigPath;
using serving::Get;
using serving::Items;
using serving::ModelPath;
using serving::ParseNumber;
using serving::ParsePositive;

// ---- models ----------------------------------------------------------------------

struct ModelArgs {
  std::string name, artifact, command;
  bool multi_model = false;
};

// The model request's fields that flags set, and the flags.
constexpr FieldFlag kModelFlags[] = {
    {"ModelName", "name"},
    {"Artifact", "--artifact"},
    {"Command", "--command"},
};

Status WithModelFlagName(const Status& status) { return WithFlagName(status, kModelFlags); }

int CreateModel(const ClientOptions& opts, const ModelArgs& a) {
  json body{{"ModelName", a.name}, {"MultiModel", a.multi_model}};
  std::string source;
  if (a.artifact.find("://") != std::string::npos) {
    body["Artifact"] = a.artifact;  // a lake URI: the server copies it to its model cache
    source = "artifact " + a.artifact;
  } else if (!a.artifact.empty()) {
    // The server resolves paths against its own working directory, not ours.
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(a.artifact, ec);
    if (ec) return Fail("model create", InvalidArgument("--artifact '" + a.artifact + "': " + ec.message()));
    body["Artifact"] = abs.lexically_normal().string();
    source = "artifact " + body["Artifact"].get<std::string>();
  } else {
    body["Command"] = a.command;
    source = "command '" + a.command + "'";
  }
  return CallAndReport(opts, "model create", "POST", "/v1/models", &body,
                       "created model " + a.name + " from " + source, WithModelFlagName);
}

int ListModels(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/models");
  if (!r.ok()) return Fail("model list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : Items(*r, "Models")) {
    json source = Get(m, "Artifact");
    if (source.is_null() || source == "") source = Get(m, "Command");
    rows.push_back({Cell(Get(m, "ModelName")), Cell(source), Cell(Get(m, "MultiModel")), Cell(Get(m, "CreationTime"))});
  }
  PrintTable({"NAME", "ARTIFACT OR COMMAND", "MULTI-MODEL", "CREATED"}, rows);
  return 0;
}

// ---- endpoint configs --------------------------------------------------------------

// "name=blue,model=m1,weight=1,instances=2[,max-queued=16][,memory-budget-mib=2048]"
Result<json> ParseVariant(const std::string& spec) {
  json v{{"InitialVariantWeight", 1.0}, {"InitialInstanceCount", 1}};
  std::set<std::string> seen;
  size_t begin = 0;
  while (begin <= spec.size()) {
    size_t end = spec.find(',', begin);
    if (end == std::string::npos) end = spec.size();
    std::string item = spec.substr(begin, end - begin);
    begin = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    std::string where = "--variant '" + spec + "': " + item;
    if (eq == std::string::npos || value.empty())
      return InvalidArgument(where + ": expected key=value");
    if (!seen.insert(key).second) return InvalidArgument(where + ": '" + key + "' given twice");
    if (key == "name") {
      v["VariantName"] = value;
    } else if (key == "model") {
      v["ModelName"] = value;
    } else if (key == "weight") {
      TRY_ASSIGN(double w, ParseNumber(where, value));
      if (w < 0) return InvalidArgument(where + ": the weight must be >= 0");
      v["InitialVariantWeight"] = w;
    } else if (key == "instances") {
      TRY_ASSIGN(v["InitialInstanceCount"], ParsePositive(where, value));
    } else if (key == "max-queued") {
      TRY_ASSIGN(v["MaxQueuedRequestsPerInstance"], ParsePositive(where, value));
    } else if (key == "memory-budget-mib") {
      TRY_ASSIGN(v["MemoryBudgetMiB"], ParsePositive(where, value));
    } else {
      return InvalidArgument(where + ": unknown key '" + key +
                             "' (keys: name, model, weight, instances, max-queued, memory-budget-mib)");
    }
  }
  for (const char* required : {"name", "model"}) {
    if (!seen.count(required))
      return InvalidArgument("--variant '" + spec + "': " + required + "=... is required");
  }
  return v;
}

// --data-capture and its companions: SageMaker's DataCaptureConfig.
struct CaptureArgs {
  std::string destination;  // "" = no capture
  int percent = 20;  // as SageMaker's SDK
  std::string mode = "both";
  std::vector<std::string> json_types = {"application/json", "application/jsonlines"};
  std::vector<std::string> csv_types = {"text/csv"};
  int flush_s = 60;
};

json CaptureConfig(const CaptureArgs& a) {
  const char* mode = a.mode == "input" ? "Input" : a.mode == "output" ? "Output" : "InputAndOutput";
  json header = json::object();
  if (!a.json_types.empty()) header["JsonContentTypes"] = a.json_types;
  if (!a.csv_types.empty()) header["CsvContentTypes"] = a.csv_types;
  return {{"EnableCapture", true},
          {"InitialSamplingPercentage", a.percent},
          {"DestinationS3Uri", a.destination},
          {"CaptureOptions", {{{"CaptureMode", mode}}}},
          {"CaptureContentTypeHeader", header},
          {"FlushIntervalInSeconds", a.flush_s}};
}

// A refusal about "ProductionVariants[i].<field>" names the --variant it came from and the
// key there, as ParseVariant's own messages do; one about the data capture, its flag.
Status WithVariantFlag(const Status& status, const std::vector<std::string>& specs) {
  static constexpr FieldFlag kVariantKeys[] = {
      {"VariantName", "name"},
      {"ModelName", "model"},
      {"InitialVariantWeight", "weight"},
      {"InitialInstanceCount", "instances"},
      {"MaxQueuedRequestsPerInstance", "max-queued"},
      {"MemoryBudgetMiB", "memory-budget-mib"},
  };
  std::vector<std::pair<std::string, std::string>> names;  // field, what to call it instead
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const auto& [api, key] : kVariantKeys) {
      names.emplace_back("ProductionVariants[" + std::to_string(i) + "]." + std::string(api),
                         "--variant '" + specs[i] + "': " + std::string(key));
    }
  }
  std::vector<FieldFlag> flags = {
      {"DataCaptureConfig.DestinationS3Uri", "--data-capture"},
      {"DataCaptureConfig.InitialSamplingPercentage", "--capture-percent"},
      {"DataCaptureConfig.FlushIntervalInSeconds", "--capture-flush-s"},
  };
  for (const auto& [field, flag] : names) flags.emplace_back(field, flag);
  return WithFlagName(status, flags);
}

int CreateEndpointConfig(const ClientOptions& opts, const std::string& name, const std::vector<std::string>& specs,
                         const CaptureArgs& capture) {
  json variants = json::array();
  for (const auto& spec : specs) {
    auto v = ParseVariant(spec);
    if (!v.ok()) return Fail("endpoint-config create", v.status());
    variants.push_back(*v);
  }
  json body{{"EndpointConfigName", name}, {"ProductionVariants", variants}};
  if (!capture.destination.empty()) body["DataCaptureConfig"] = CaptureConfig(capture);
  return CallAndReport(opts, "endpoint-config create", "POST", "/v1/endpoint-configs", &body,
                       "created endpoint config " + name + " with " +
                           std::to_string(variants.size()) +
                           (variants.size() == 1 ? " variant" : " variants"),
                       [&specs](const Status& status) { return WithVariantFlag(status, specs); });
}

int ListEndpointConfigs(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/endpoint-configs");
  if (!r.ok()) return Fail("endpoint-config list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : Items(*r, "EndpointConfigs")) {
    std::string variants;
    for (const auto& v : Get(c, "ProductionVariants")) {
      variants += (variants.empty() ? "" : ", ") + Cell(Get(v, "VariantName")) + "=" + Cell(Get(v, "ModelName"));
    }
    rows.push_back({Cell(Get(c, "EndpointConfigName")), variants.empty() ? "-" : variants, Cell(Get(c, "CreationTime"))});
  }
  PrintTable({"NAME", "VARIANTS", "CREATED"}, rows);
  return 0;
}

int DescribeEndpointConfig(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", ConfigPath(name));
  if (!r.ok()) return Fail("endpoint-config describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  json summary = *r;
  summary.erase("ProductionVariants");
  PrintObject(summary);
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : Get(*r, "ProductionVariants")) {
    rows.push_back({Cell(Get(v, "VariantName")), Cell(Get(v, "ModelName")), Cell(Get(v, "InitialVariantWeight")),
                    Cell(Get(v, "InitialInstanceCount")), Cell(Get(v, "MaxQueuedRequestsPerInstance")),
                    Cell(Get(v, "MemoryBudgetMiB"))});
  }
  std::printf("\n");
  PrintTable({"VARIANT", "MODEL", "WEIGHT", "INSTANCES", "MAX QUEUED", "MEMORY MIB"}, rows);
  return 0;
}

void AddModelCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("model", "Manage models: a DeepAR artifact or a command that serves");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto a = std::make_shared<ModelArgs>();

  auto* create = group->add_subcommand("create", "Register a model (a worker process runs it per instance)");
  create->add_option("name", a->name, "model name")->required();
  auto* artifact = create->add_option("--artifact", a->artifact,
                                      "model directory written by 'tributary train', or a lake URI of one "
                                      "(a training job's S3ModelArtifacts: s3://bucket/models/JOB/output/model/)");
  auto* command = create->add_option("--command", a->command,
                                     "a command speaking the worker protocol (run with /bin/sh -c)");
  artifact->excludes(command);
  create->add_flag("--multi-model", a->multi_model, "the artifact is a directory of model directories");
  AddClientFlags(create, opts.get());
  create->callback([=] {
    ctx->run = [=] {
      if (a->artifact.empty() && a->command.empty())
        return Fail("model create", InvalidArgument("give --artifact DIR or --command CMD"));
      return CreateModel(*opts, *a);
    };
  });

  auto* list = group->add_subcommand("list", "List models");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListModels(*opts); }; });
  AddNamedCall(group, ctx, opts, "describe", "Show a model", "model", &ModelPath);
  AddNamedCall(group, ctx, opts, "delete", "Delete a model no endpoint config uses", "model", &ModelPath);
}

void AddEndpointConfigCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("endpoint-config", "Manage endpoint configs (immutable sets of variants)");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto variants = std::make_shared<std::vector<std::string>>();

  auto* create = group->add_subcommand("create", "Create an endpoint config");
  create->add_option("name", *name, "endpoint config name")->required();
  OneValueEach(create->add_option("--variant", *variants,
                                  "a production variant: name=V,model=M[,weight=1][,instances=1]"
                                  "[,max-queued=16][,memory-budget-mib=2048]; repeat for more"))
      ->required();
  auto capture = std::make_shared<CaptureArgs>();
  auto* dest = create->add_option("--data-capture", capture->destination,
                                  "capture sampled requests and answers into the lake under this prefix "
                                  "(s3://bucket/prefix/), as JSON Lines per endpoint, variant and hour");
  auto needs_dest = [dest](CLI::Option* o) { o->needs(dest); };
  needs_dest(WholeNumberIn(create->add_option("--capture-percent", capture->percent,
                                              "share of requests captured, 0..100"),
                           0, 100)
                 ->capture_default_str());
  needs_dest(create->add_option("--capture-mode", capture->mode, "what is captured")
                 ->check(CLI::IsMember({"input", "output", "both"}))
                 ->capture_default_str());
  needs_dest(OneValueEach(create->add_option("--capture-json-type", capture->json_types,
                                             "content types kept as JSON text (others as base64); "
                                             "repeat for more"))
                 ->capture_default_str());
  needs_dest(OneValueEach(create->add_option("--capture-csv-type", capture->csv_types,
                                             "content types kept as CSV text; repeat for more"))
                 ->capture_default_str());
  needs_dest(WholeNumberIn(create->add_option("--capture-flush-s", capture->flush_s,
                                              "seconds a variant's captured lines wait before "
                                              "becoming an object, 1..900"),
                           1, 900)
                 ->capture_default_str());
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateEndpointConfig(*opts, *name, *variants, *capture); }; });

  auto* list = group->add_subcommand("list", "List endpoint configs");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListEndpointConfigs(*opts); }; });

  auto* describe = group->add_subcommand("describe", "Show an endpoint config and its variants");
  describe->add_option("name", *name, "endpoint config name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeEndpointConfig(*opts, *name); }; });
  AddNamedCall(group, ctx, opts, "delete", "Delete an endpoint config", "endpoint config", &ConfigPath);
}

}  // namespace

void AddServingCommands(CLI::App* parent, CommandContext* ctx) {
  AddModelCommands(parent, ctx);
  AddEndpointConfigCommands(parent, ctx);
  serving::AddEndpointCommands(parent, ctx);
  serving::AddTransformCommands(parent, ctx);
}

}  // namespace tributary::cli
