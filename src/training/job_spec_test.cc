#include "training/job_spec.h"

#include <gtest/gtest.h>

namespace tributary::training {
namespace {

using nlohmann::json;

json Valid() {
  return json::parse(R"({
    "TrainingJobName": "job-1",
    "AlgorithmSpecification": {"TrainingImage": "deepar", "TrainingInputMode": "File"},
    "HyperParameters": {"time_freq": "H", "prediction_length": "24", "epochs": "5"},
    "InputDataConfig": [
      {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://iot-data/deepar/train/"}}},
      {"ChannelName": "test", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "iot-data/deepar/test"}}}],
    "StoppingCondition": {"MaxRuntimeInSeconds": 600}})");
}

TEST(JobSpecTest, ParsesSageMakersShapeWithDefaults) {
  auto spec = ParseTrainingJob(Valid());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "job-1");
  EXPECT_EQ(spec->hyperparameters.at("epochs"), "5");
  EXPECT_EQ(spec->train.ToUri(), "s3://iot-data/deepar/train/");
  ASSERT_TRUE(spec->test);
  EXPECT_EQ(spec->test->ToUri(), "s3://iot-data/deepar/test/");
  EXPECT_EQ(spec->output.ToUri(), "s3://iot-data/models/");  // default: models/ in the train bucket
  EXPECT_EQ(spec->ModelArtifacts().ToUri(), "s3://iot-data/models/job-1/output/model/");
  EXPECT_EQ(spec->max_runtime_seconds, 600);
  json shown = RequestJson(*spec);
  EXPECT_EQ(shown["OutputDataConfig"]["S3OutputPath"], "s3://iot-data/models/");
  EXPECT_EQ(shown["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"], "s3://iot-data/deepar/test/");
  // What RequestJson shows parses back to the same job.
  auto again = ParseTrainingJob(shown);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(RequestJson(*again), shown);
}

TEST(JobSpecTest, AcceptsImageUrisAndSageMakerOnlyFields) {
  json j = Valid();
  j["AlgorithmSpecification"]["TrainingImage"] = "522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1";
  j["RoleArn"] = "arn:aws:iam::1:role/x";
  j["ResourceConfig"] = {{"InstanceCount", 1}};
  j["OutputDataConfig"] = {{"S3OutputPath", "s3://other-bucket/trained"}};
  // What the SDKs send about AWS's machinery.
  j["EnableNetworkIsolation"] = false;
  j["EnableManagedSpotTraining"] = false;
  j["EnableInterContainerTrafficEncryption"] = false;
  j["DebugHookConfig"] = {{"S3OutputPath", "s3://x/debug"}};
  j["ProfilerConfig"] = {{"DisableProfiler", true}};
  j["Environment"] = json::object();
  j["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] = true;
  j["InputDataConfig"][0]["RecordWrapperType"] = "None";
  j["InputDataConfig"][0]["ContentType"] = "json";
  auto spec = ParseTrainingJob(j);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->ModelArtifacts().ToUri(), "s3://other-bucket/trained/job-1/output/model/");
}

// Each bad body is refused with the field it names.
TEST(JobSpecTest, ErrorsNameTheField) {
  struct Case {
    std::function<void(json&)> change;
    std::string expected;
  };
  std::vector<Case> cases = {
      {[](json& j) { j.erase("TrainingJobName"); }, "TrainingJobName: missing"},
      {[](json& j) { j["TrainingJobName"] = "-bad"; }, "TrainingJobName: '-bad' is not valid"},
      {[](json& j) { j["AlgorithmSpecification"]["TrainingImage"] = "xgboost"; }, "AlgorithmSpecification.TrainingImage"},
      {[](json& j) { j["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe"; }, "AlgorithmSpecification.TrainingInputMode"},
      {[](json& j) { j.erase("AlgorithmSpecification"); }, "AlgorithmSpecification: missing"},
      {[](json& j) { j["HyperParameters"]["epochs"] = 5; }, "HyperParameters.epochs: must be a string"},
      {[](json& j) { j.erase("HyperParameters"); }, "HyperParameters: missing"},
      {[](json& j) { j["InputDataConfig"] = json::array(); }, "InputDataConfig: must be an array"},
      {[](json& j) { j["InputDataConfig"].erase(0); }, "InputDataConfig: needs a \"train\" channel"},
      {[](json& j) { j["InputDataConfig"][1]["ChannelName"] = "validation"; }, "InputDataConfig[1].ChannelName: 'validation'"},
      {[](json& j) { j["InputDataConfig"][1]["ChannelName"] = "train"; }, "InputDataConfig[1].ChannelName: 'train' given twice"},
      {[](json& j) { j["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "http://x/y"; },
       "InputDataConfig[0].DataSource.S3DataSource.S3Uri: lake path 'http://x/y'"},
      {[](json& j) { j["InputDataConfig"][0]["DataSource"].erase("S3DataSource"); },
       "InputDataConfig[0].DataSource.S3DataSource: missing"},
      {[](json& j) { j["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataType"] = "ManifestFile"; },
       "InputDataConfig[0].DataSource.S3DataSource.S3DataType"},
      {[](json& j) { j["OutputDataConfig"] = {{"S3OutputPath", "s3://UPPER/x"}}; }, "OutputDataConfig.S3OutputPath"},
      {[](json& j) { j["StoppingCondition"]["MaxRuntimeInSeconds"] = 0; }, "StoppingCondition.MaxRuntimeInSeconds"},
      {[](json& j) { j["StoppingCondition"]["MaxRuntimeInSeconds"] = "60"; }, "StoppingCondition.MaxRuntimeInSeconds"},
      {[](json& j) { j["Colour"] = "red"; }, "Colour: unknown field"},
      {[](json& j) { j["Environment"] = {{"MODE", "fast"}}; }, "Environment: DeepAR takes no environment variables"},
      {[](json& j) { j["InputDataConfig"][0]["RecordWrapperType"] = "RecordIO"; },
       "InputDataConfig[0].RecordWrapperType: must be \"None\""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json j = Valid();
    cases[i].change(j);
    auto spec = ParseTrainingJob(j);
    ASSERT_FALSE(spec.ok()) << "case " << i << " (" << cases[i].expected << ") was accepted";
    EXPECT_EQ(spec.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(cases[i].expected), std::string::npos)
        << "case " << i << ": " << spec.status().message();
  }
  EXPECT_FALSE(ParseTrainingJob(json::array()).ok());
}

}  // namespace
}  // namespace tributary::training
