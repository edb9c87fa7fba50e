// tributary transform ...: batch transform jobs over the HTTP API (serving/README.md).
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

namespace tributary::cli::serving {

namespace {

using nlohmann::json;

// ---- batch transform ---------------------------------------------------------------

struct TransformArgs {
  std::string name, model, input, output;
  int instances = 1;
  WaitArgs wait;
};

// "bucket/prefix" (or "s3://bucket/prefix") -> {"Bucket", "Prefix"}.
Result<json> BucketPrefix(const std::string& flag, const std::string& text) {
  std::string s = text.rfind("s3://", 0) == 0 ? text.substr(5) : text;
  size_t slash = s.find('/');
  std::string bucket = s.substr(0, slash);
  if (bucket.empty()) return InvalidArgument(flag + " '" + text + "': expected bucket/prefix");
  return json{{"Bucket", bucket},
              {"Prefix", slash == std::string::npos ? "" : s.substr(slash + 1)}};
}

std::string TransformStatus(const json& j) {
  json s = Get(j, "TransformJobStatus");
  if (s.is_null()) s = Get(j, "Status");
  return Cell(s);
}

int WaitForTransform(const ClientOptions& opts, const std::string& name, int timeout_s) {
  ApiClient client(opts);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    auto r = client.Call("GET", TransformPath(name));
    if (!r.ok()) return Fail("transform create", r.status());
    const std::string status = TransformStatus(*r);
    if (status != "InProgress" && status != "Stopping") {
      if (opts.json) {
        PrintJson(*r);
      } else {
        PrintObject(*r);
      }
      if (status == "Completed") return 0;
      return Fail("transform create", Internal("transform job " + name + " ended " + status + ": " +
                                               Cell(Get(*r, "FailureReason"))));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail("transform create", Unavailable("transform job " + name + " still " + status +
                                                  " after " + std::to_string(timeout_s) + " s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int CreateTransform(const ClientOptions& opts, const TransformArgs& a) {
  auto in = BucketPrefix("--input", a.input);
  if (!in.ok()) return Fail("transform create", in.status());
  auto out = BucketPrefix("--output", a.output);
  if (!out.ok()) return Fail("transform create", out.status());
  json body{{"TransformJobName", a.name},
            {"ModelName", a.model},
            {"TransformInput", *in},
            {"TransformOutput", *out},
            {"InstanceCount", a.instances}};
  if (!a.wait.wait) {
    return CallAndReport(opts, "transform create", "POST", "/v1/transform-jobs", &body,
                         "started transform job " + a.name + ": " + a.input + " -> " + a.output);
  }
  auto r = ApiClient(opts).Call("POST", "/v1/transform-jobs", &body);
  if (!r.ok()) return Fail("transform create", r.status());
  return WaitForTransform(opts, a.name, a.wait.timeout_s);
}

int ListTransforms(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/transform-jobs");
  if (!r.ok()) return Fail("transform list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : Items(*r, "TransformJobSummaries")) {
    rows.push_back({Cell(Get(t, "TransformJobName")), TransformStatus(t), Cell(Get(t, "ModelName")),
                    Cell(Get(t, "CreationTime"))});
  }
  PrintTable({"NAME", "STATUS", "MODEL", "CREATED"}, rows);
  return 0;
}

}  // namespace

void AddTransformCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("transform",
                                       "Batch transform: a model over every object under a prefix");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto t = std::make_shared<TransformArgs>();

  auto* create = group->add_subcommand("create", "Start a transform job");
  create->add_option("name", t->name, "transform job name")->required();
  create->add_option("--model", t->model, "model name")->required();
  create->add_option("--input", t->input, "bucket/prefix of the JSON Lines requests")->required();
  create->add_option("--output", t->output, "bucket/prefix for the answers")->required();
  WholeNumberIn(create->add_option("--instances", t->instances, "worker processes"), 1, INT32_MAX)
      ->capture_default_str();
  AddWaitFlags(create, &t->wait);
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateTransform(*opts, *t); }; });

  auto* list = group->add_subcommand("list", "List transform jobs");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListTransforms(*opts); }; });
  AddNamedCall(group, ctx, opts, "describe", "Show a transform job", "transform job",
               &TransformPath);

  auto stop_name = std::make_shared<std::string>();
  auto* stop =
      group->add_subcommand("stop", "Stop a running transform job (Stopping, then Stopped)");
  stop->add_option("name", *stop_name, "transform job name")->required();
  AddClientFlags(stop, opts.get());
  stop->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "transform stop", "POST", TransformPath(*stop_name) + "/stop",
                           nullptr, "stopping transform job " + *stop_name);
    };
  });
}

}  // namespace tributary::cli::serving
