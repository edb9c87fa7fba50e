#include "training/job_spec.h"

#include <cctype>
#include <set>

namespace tributary::training {

namespace {

using nlohmann::json;

Status Bad(const std::string& field, const std::string& problem) { return InvalidArgument(field + ": " + problem); }

// The member `key` of object `j` (at `where`), or nullptr when absent or null.
const json* Member(const json& j, const std::string& key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

Result<const json*> RequiredObject(const json& j, const std::string& key, const std::string& where) {
  const json* v = Member(j, key);
  if (v == nullptr) return Bad(where + key, "missing");
  if (!v->is_object()) return Bad(where + key, "must be an object");
  return v;
}

Result<std::string> RequiredString(const json& j, const std::string& key, const std::string& where) {
  const json* v = Member(j, key);
  if (v == nullptr) return Bad(where + key, "missing");
  if (!v->is_string() || v->get<std::string>().empty()) return Bad(where + key, "must be a non-empty string");
  return v->get<std::string>();
}

Status OnlyKnownKeys(const json& j, const std::string& where, const std::set<std::string>& known) {
  for (const auto& [key, value] : j.items()) {
    if (known.count(key)) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return Bad(where + key, "unknown field (expected one of " + list + ")");
  }
  return Status::Ok();
}

// "deepar", "forecasting-deepar", or a registry URI ending in "/forecasting-deepar[:tag]".
bool IsDeepArImage(const std::string& image) {
  std::string last = image.substr(image.rfind('/') == std::string::npos ? 0 : image.rfind('/') + 1);
  last = last.substr(0, last.find(':'));
  return image == "deepar" || last == "forecasting-deepar";
}

Result<lake::LakePath> ParseLocation(const json& j, const std::string& key, const std::string& where) {
  TRY_ASSIGN(std::string uri, RequiredString(j, key, where));
  Result<lake::LakePath> path = lake::LakePath::Parse(uri);
  if (!path.ok()) return Bad(where + key, path.status().message());
  return *path;
}

Status ParseAlgorithm(const json& request, TrainingJobSpec& spec) {
  const std::string where = "AlgorithmSpecification.";
  TRY_ASSIGN(const json* algo, RequiredObject(request, "AlgorithmSpecification", ""));
  TRY(OnlyKnownKeys(*algo, where, {"TrainingImage", "TrainingInputMode", "AlgorithmName", "MetricDefinitions",
                                   "EnableSageMakerMetricsTimeSeries"}));
  if (Member(*algo, "AlgorithmName") != nullptr) {
    return Bad(where + "AlgorithmName", "algorithm resources are not supported; give TrainingImage \"deepar\"");
  }
  TRY_ASSIGN(spec.training_image, RequiredString(*algo, "TrainingImage", where));
  if (!IsDeepArImage(spec.training_image)) {
    return Bad(where + "TrainingImage", "'" + spec.training_image +
                                            "' is not a built-in algorithm here; the one there is: \"deepar\" "
                                            "(or \"forecasting-deepar\")");
  }
  if (const json* mode = Member(*algo, "TrainingInputMode"); mode != nullptr) {
    if (!mode->is_string() || mode->get<std::string>() != "File") {
      return Bad(where + "TrainingInputMode", "must be \"File\" (channels are copied to local files), got " + mode->dump());
    }
  }
  return Status::Ok();
}

Status ParseHyperParameters(const json& request, TrainingJobSpec& spec) {
  const json* hp = Member(request, "HyperParameters");
  if (hp == nullptr) return Bad("HyperParameters", "missing (DeepAR needs at least time_freq, prediction_length and epochs)");
  if (!hp->is_object()) return Bad("HyperParameters", "must be an object of strings");
  for (const auto& [key, value] : hp->items()) {
    if (!value.is_string()) {
      return Bad("HyperParameters." + key, "must be a string, as SageMaker passes hyperparameters (\"" + key +
                                               "\": " + json(value.dump()).dump() + "), got " + value.dump());
    }
    spec.hyperparameters[key] = value.get<std::string>();
  }
  return Status::Ok();
}

Status ParseChannels(const json& request, TrainingJobSpec& spec) {
  const json* channels = Member(request, "InputDataConfig");
  if (channels == nullptr || !channels->is_array() || channels->empty() || channels->size() > 2) {
    return Bad("InputDataConfig", "must be an array of 1..2 channels: \"train\" and optionally \"test\"");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < channels->size(); ++i) {
    const json& c = (*channels)[i];
    const std::string where = "InputDataConfig[" + std::to_string(i) + "].";
    if (!c.is_object()) return Bad("InputDataConfig[" + std::to_string(i) + "]", "must be an object");
    TRY(OnlyKnownKeys(c, where, {"ChannelName", "DataSource", "ContentType", "CompressionType", "InputMode",
                                 "RecordWrapperType", "ShuffleConfig"}));
    if (const json* wrap = Member(c, "RecordWrapperType"); wrap != nullptr && *wrap != "None") {
      return Bad(where + "RecordWrapperType", "must be \"None\" (DeepAR reads JSON Lines), got " + wrap->dump());
    }
    TRY_ASSIGN(std::string name, RequiredString(c, "ChannelName", where));
    if (name != "train" && name != "test") {
      return Bad(where + "ChannelName", "'" + name + "' is not a DeepAR channel (train, test)");
    }
    if (!seen.insert(name).second) return Bad(where + "ChannelName", "'" + name + "' given twice");
    if (const json* mode = Member(c, "InputMode"); mode != nullptr && *mode != "File") {
      return Bad(where + "InputMode", "must be \"File\", got " + mode->dump());
    }
    if (const json* comp = Member(c, "CompressionType"); comp != nullptr && *comp != "None" && *comp != "Gzip") {
      return Bad(where + "CompressionType", "must be \"None\" or \"Gzip\" (gzip files are read either way)");
    }
    TRY_ASSIGN(const json* source, RequiredObject(c, "DataSource", where));
    TRY_ASSIGN(const json* s3, RequiredObject(*source, "S3DataSource", where + "DataSource."));
    const std::string s3_where = where + "DataSource.S3DataSource.";
    TRY(OnlyKnownKeys(*s3, s3_where, {"S3Uri", "S3DataType", "S3DataDistributionType"}));
    if (const json* type = Member(*s3, "S3DataType"); type != nullptr && *type != "S3Prefix") {
      return Bad(s3_where + "S3DataType", "must be \"S3Prefix\" (every object under the prefix), got " + type->dump());
    }
    TRY_ASSIGN(lake::LakePath path, ParseLocation(*s3, "S3Uri", s3_where));
    if (name == "train") {
      spec.train = path;
    } else {
      spec.test = path;
    }
  }
  if (!seen.count("train")) return Bad("InputDataConfig", "needs a \"train\" channel");
  return Status::Ok();
}

}  // namespace

Status ValidateTrainingJobName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) {
    return Bad("TrainingJobName", "'" + name +
                                      "' is not valid: use 1..63 letters, digits and '-', not starting or "
                                      "ending with '-'");
  }
  return Status::Ok();
}

lake::LakePath TrainingJobSpec::ModelArtifacts() const { return output.Child(name + "/output/model"); }

Result<TrainingJobSpec> ParseTrainingJob(const json& request) {
  if (!request.is_object()) return InvalidArgument("training job: expected a JSON object (CreateTrainingJob's request)");
  TRY(OnlyKnownKeys(request, "",
                    {"TrainingJobName", "AlgorithmSpecification", "HyperParameters", "InputDataConfig",
                     "OutputDataConfig", "StoppingCondition", "RoleArn", "ResourceConfig", "Tags",
                     // What SageMaker's SDKs send about AWS's machinery, meaningless here.
                     "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                     "EnableManagedSpotTraining", "VpcConfig", "DebugHookConfig", "DebugRuleConfigurations",
                     "ProfilerConfig", "ProfilerRuleConfigurations", "TensorBoardOutputConfig",
                     "ExperimentConfig", "CheckpointConfig", "RetryStrategy", "Environment"}));
  if (const json* env = Member(request, "Environment"); env != nullptr && !(env->is_object() && env->empty())) {
    return Bad("Environment", "DeepAR takes no environment variables; give its settings as HyperParameters");
  }
  TrainingJobSpec spec;
  TRY_ASSIGN(spec.name, RequiredString(request, "TrainingJobName", ""));
  TRY(ValidateTrainingJobName(spec.name));
  TRY(ParseAlgorithm(request, spec));
  TRY(ParseHyperParameters(request, spec));
  TRY(ParseChannels(request, spec));
  spec.output = lake::LakePath{spec.train.bucket, "models/"};
  if (const json* out = Member(request, "OutputDataConfig"); out != nullptr) {
    if (!out->is_object()) return Bad("OutputDataConfig", "must be an object");
    TRY(OnlyKnownKeys(*out, "OutputDataConfig.", {"S3OutputPath", "KmsKeyId", "CompressionType"}));
    if (Member(*out, "S3OutputPath") != nullptr) {
      TRY_ASSIGN(spec.output, ParseLocation(*out, "S3OutputPath", "OutputDataConfig."));
    }
  }
  if (const json* stop = Member(request, "StoppingCondition"); stop != nullptr) {
    if (!stop->is_object()) return Bad("StoppingCondition", "must be an object");
    TRY(OnlyKnownKeys(*stop, "StoppingCondition.", {"MaxRuntimeInSeconds", "MaxWaitTimeInSeconds"}));
    if (const json* max = Member(*stop, "MaxRuntimeInSeconds"); max != nullptr) {
      if (!max->is_number_integer() || max->get<int64_t>() < 1 || max->get<int64_t>() > kLongestMaxRuntimeSeconds) {
        return Bad("StoppingCondition.MaxRuntimeInSeconds",
                   "must be an integer 1.." + std::to_string(kLongestMaxRuntimeSeconds) + ", got " + max->dump());
      }
      spec.max_runtime_seconds = max->get<int64_t>();
    }
  }
  return spec;
}

json RequestJson(const TrainingJobSpec& spec) {
  auto channel = [](const std::string& name, const lake::LakePath& path) {
    return json{{"ChannelName", name},
                {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", path.ToUri()}}}}}};
  };
  json channels = json::array({channel("train", spec.train)});
  if (spec.test) channels.push_back(channel("test", *spec.test));
  return {{"TrainingJobName", spec.name},
          {"AlgorithmSpecification", {{"TrainingImage", spec.training_image}, {"TrainingInputMode", "File"}}},
          {"HyperParameters", spec.hyperparameters},
          {"InputDataConfig", channels},
          {"OutputDataConfig", {{"S3OutputPath", spec.output.ToUri()}}},
          {"StoppingCondition", {{"MaxRuntimeInSeconds", spec.max_runtime_seconds}}}};
}

}  // namespace tributary::training
