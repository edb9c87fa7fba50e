// The hosting resources as SageMaker names them, as plain values with their JSON
// (the HTTP API's shapes, src/serving/README.md) and their validation:
//   Model           a name and what runs it: a DeepAR artifact directory, a command
//                   speaking the worker protocol, or a directory of artifacts (multi-model)
//   EndpointConfig  immutable production variants: model, initial weight, instances;
//                   optionally what of the traffic to capture into the lake
//   DeploymentConfig  how an update shifts traffic and when it rolls back
// Parse functions return InvalidArgument naming the JSON field ("ProductionVariants[1].
// InitialInstanceCount: must be 1..16").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tributary::serving {

// SageMaker's resource names: 1..63 of [A-Za-z0-9-], not starting or ending with '-'.
Status ValidateResourceName(const std::string& kind, const std::string& name);

struct Model {
  std::string name;
  std::string artifact;      // absolute directory ("" for a command without one)
  std::string artifact_uri;  // the lake prefix `artifact` is a copy of ("" for a local directory)
  std::string command;   // "" for a DeepAR artifact
  bool multi_model = false;
  int64_t created_ms = 0;
};
// Checks the shape and that the artifact exists: model.json inside for a DeepAR model,
// at least one such subdirectory for a multi-model one. "Artifact" is an absolute
// directory or a lake URI ("s3://bucket/models/job/output/model/", a training job's
// S3ModelArtifacts): then only `artifact_uri` is set, and artifact_fetch.h copies it
// into a local directory (where CheckArtifactDirectory checks it).
Result<Model> ParseModel(const nlohmann::json& j);
Status CheckArtifactDirectory(const Model& m);
// "Artifact" is what was given (the lake URI, or the directory); "ArtifactCache" the
// local copy of a lake artifact.
nlohmann::json ToJson(const Model& m);

struct VariantConfig {
  std::string name;
  std::string model;
  double initial_weight = 1;
  int instances = 1;
  int max_queued_per_instance = 16;
  int memory_budget_mib = 2048;  // multi-model variants: loaded models' RSS bound
};

// SageMaker's DataCaptureConfig: a sample of the requests and answers written as JSON
// Lines to the lake (capture_writer.h), under
// <destination><endpoint>/<variant>/yyyy/mm/dd/hh/.
struct DataCaptureConfig {
  bool enabled = true;              // EnableCapture (SageMaker's default: on)
  int sampling_percentage = 0;      // InitialSamplingPercentage, 0..100
  std::string bucket;               // DestinationS3Uri "s3://bucket/prefix/"
  std::string prefix;               // "" or ending in '/'
  bool capture_input = false;       // CaptureOptions: Input, Output, InputAndOutput
  bool capture_output = false;
  // CaptureContentTypeHeader: bodies of these types are kept as text (encoding JSON or
  // CSV); anything else as base64, as SageMaker does when no type is listed.
  std::vector<std::string> json_content_types;
  std::vector<std::string> csv_content_types;
  // Tributary's: a variant's buffer becomes an object after this long (or at 8 MiB).
  int flush_interval_s = 60;

  std::string DestinationUri() const { return "s3://" + bucket + "/" + prefix; }
};
// `where` prefixes the field names of errors ("DataCaptureConfig.").
Result<DataCaptureConfig> ParseDataCaptureConfig(const nlohmann::json& j, const std::string& where);
nlohmann::json ToJson(const DataCaptureConfig& c);

struct EndpointConfig {
  std::string name;
  std::vector<VariantConfig> variants;
  int64_t created_ms = 0;
  std::optional<DataCaptureConfig> data_capture;
};
Result<EndpointConfig> ParseEndpointConfig(const nlohmann::json& j);
nlohmann::json ToJson(const EndpointConfig& c);

enum class TrafficType { kAllAtOnce, kCanary, kLinear };

struct RollbackAlarm {
  std::string name;
  enum class Metric { kErrorRate, kModelLatencyP99Ms } metric = Metric::kErrorRate;
  double threshold = 0;
};

struct DeploymentConfig {
  TrafficType type = TrafficType::kAllAtOnce;
  double canary_percent = 10;       // CANARY: share of capacity for the bake
  double linear_step_percent = 25;  // LINEAR: share added per step
  int wait_interval_s = 0;          // bake time per step (and after the final shift)
  int termination_wait_s = 0;       // the old fleet stays up this long after the shift
  int max_execution_timeout_s = 3600;
  std::vector<RollbackAlarm> alarms;
};
// {} or null gives the defaults (all at once, no waits, no alarms).
Result<DeploymentConfig> ParseDeploymentConfig(const nlohmann::json& j);
nlohmann::json ToJson(const DeploymentConfig& d);

}  // namespace tributary::serving
