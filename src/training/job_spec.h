// A training job request in the shape of SageMaker's CreateTrainingJob, parsed and
// checked before anything runs. Errors are InvalidArgument naming the field
// ("InputDataConfig[1].DataSource.S3DataSource.S3Uri: ..."). Hyperparameter values
// are kept as the strings SageMaker passes; their meaning is checked by the trainer
// itself when the job starts (its error becomes the job's FailureReason).
//
//   {"TrainingJobName": "pollution-1",
//    "AlgorithmSpecification": {"TrainingImage": "forecasting-deepar", "TrainingInputMode": "File"},
//    "HyperParameters": {"time_freq": "H", "prediction_length": "24", "epochs": "20"},
//    "InputDataConfig": [
//      {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://iot-data/deepar/train/"}}},
//      {"ChannelName": "test",  "DataSource": {"S3DataSource": {"S3Uri": "s3://iot-data/deepar/test/"}}}],
//    "OutputDataConfig": {"S3OutputPath": "s3://iot-data/models/"},
//    "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}
//
// Lake locations are lake::LakePath's ("s3://bucket/prefix/" or "bucket/prefix/").
// "RoleArn", "ResourceConfig", "Tags" and the settings of AWS's machinery the SDKs send
// (network isolation, spot training, debugger, profiler, checkpoints, retries, an empty
// "Environment") are accepted and ignored, so that a SageMaker request reads unchanged;
// any other unknown field is an error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lake/catalog.h"

namespace tributary::training {

inline constexpr int64_t kDefaultMaxRuntimeSeconds = 86400;     // SageMaker's default: one day
inline constexpr int64_t kLongestMaxRuntimeSeconds = 28 * 86400;  // and its upper bound

struct TrainingJobSpec {
  std::string name;
  std::string training_image;  // as given: "deepar", "forecasting-deepar" or an image URI of it
  std::map<std::string, std::string> hyperparameters;
  lake::LakePath train;
  std::optional<lake::LakePath> test;
  lake::LakePath output;  // S3OutputPath; default "<train bucket>/models/"
  int64_t max_runtime_seconds = kDefaultMaxRuntimeSeconds;

  // Where the model goes: <output><name>/output/model/.
  lake::LakePath ModelArtifacts() const;
};

Result<TrainingJobSpec> ParseTrainingJob(const nlohmann::json& request);

// The request as DescribeTrainingJob shows it, defaults filled in.
nlohmann::json RequestJson(const TrainingJobSpec& spec);

// SageMaker's training job names: 1..63 letters, digits and '-', not starting or ending with '-'.
Status ValidateTrainingJobName(const std::string& name);

}  // namespace tributary::training
