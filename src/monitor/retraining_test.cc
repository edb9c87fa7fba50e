// The retraining's pure parts (the new job's request, the new endpoint config, the
// metric read back) and its steps over stand-in services: deployed, rolled back, a
// failed job, a stop half-way.
#include "monitor/retraining.h"

#include <gtest/gtest.h>

#include <atomic>

#include "monitor/testing/fake_services.h"

namespace tributary::monitor {
namespace {

using nlohmann::json;

MonitorSpec Spec() {
  json body = {{"MonitorName", "m"},
               {"EndpointName", "ep"},
               {"Data", {{"table", "raw"}, {"target", "pm25"}, {"prediction_length", 2}}},
               {"Retraining", {{"TrainingJobTemplate", "base"}, {"ChannelsUri", "s3://data/monitor/m/"}}}};
  return MonitorSpec::FromJson(body).value();
}

TEST(RetrainingTest, TheNewJobCopiesTheTemplateWithFreshChannels) {
  json request = RetrainingJobRequest(testing::FakeServices::Completed("base", 0.1), "m-20261201-230501",
                                      "s3://data/monitor/m/20261201-230501/");
  EXPECT_EQ(request["TrainingJobName"], "m-20261201-230501");
  EXPECT_EQ(request["HyperParameters"]["epochs"], "3");
  EXPECT_EQ(request["OutputDataConfig"]["S3OutputPath"], "s3://data/models/");
  EXPECT_EQ(request["StoppingCondition"]["MaxRuntimeInSeconds"], 600);
  EXPECT_FALSE(request.contains("FinalMetricDataList"));
  EXPECT_FALSE(request.contains("TrainingJobStatus"));
  ASSERT_EQ(request["InputDataConfig"].size(), 2u);
  EXPECT_EQ(request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"],
            "s3://data/monitor/m/20261201-230501/train/");
  EXPECT_EQ(request["InputDataConfig"][1]["ChannelName"], "test");

  serving::EndpointConfig current{"c1", {serving::VariantConfig{"blue", "m1", 0.7, 2}, serving::VariantConfig{"green", "m2", 0.3}}, 5, std::nullopt};
  current.data_capture = serving::DataCaptureConfig{};
  current.data_capture->bucket = "data";
  serving::EndpointConfig next = ConfigServing(current, "c2", "m3");
  ASSERT_TRUE(next.data_capture.has_value());  // the retrained model's traffic is captured as before
  EXPECT_EQ(next.data_capture->bucket, "data");
  EXPECT_EQ(next.name, "c2");
  ASSERT_EQ(next.variants.size(), 2u);
  EXPECT_EQ(next.variants[0].model, "m3");
  EXPECT_EQ(next.variants[1].model, "m3");
  EXPECT_EQ(next.variants[0].instances, 2);
  EXPECT_EQ(next.variants[1].initial_weight, 0.3);

  EXPECT_EQ(FinalMetric(testing::FakeServices::Completed("j", 0.25), "test:mean_wQuantileLoss"), 0.25);
  EXPECT_FALSE(FinalMetric(testing::FakeServices::Completed("j", 0.25), "test:RMSE").has_value());
  EXPECT_FALSE(FinalMetric(json::object(), "test:RMSE").has_value());
}

struct Recorder {
  std::vector<std::string> statuses;
  int64_t ticks = 0;
  RetrainingContext Context(testing::FakeServices* services, std::function<bool()> stopping = nullptr) {
    RetrainingContext c;
    c.services = services;
    c.poll_ms = 10;
    c.now_ms = [this] { return int64_t{1764630000000} + 1000 * ticks++; };  // a second a reading
    c.stopping = stopping;
    c.progress = [this](const RetrainingRecord& r) {
      if (statuses.empty() || statuses.back() != r.status) statuses.push_back(r.status);
    };
    return c;
  }
};

TEST(RetrainingTest, DeploysTheNewModel) {
  testing::FakeServices services;
  Recorder rec;
  RetrainingRecord r = RunRetraining(Spec(), "20261201-230501", 0.8, rec.Context(&services));
  EXPECT_EQ(r.status, "Deployed") << r.failure_reason;
  EXPECT_EQ(rec.statuses, (std::vector<std::string>{"Preparing", "Training", "Deploying", "Deployed"}));
  EXPECT_TRUE(r.Ended());
  EXPECT_EQ(r.training_job, "m-20261201-230501");
  EXPECT_EQ(r.model, "m-20261201-230501");
  EXPECT_EQ(r.endpoint_config, "m-20261201-230501");
  EXPECT_EQ(r.previous_endpoint_config, "c1");
  EXPECT_EQ(r.new_baseline, 0.12);
  EXPECT_EQ(r.trigger_value, 0.8);
  // Each step with its times, one ending where the next starts; the ending status last.
  ASSERT_EQ(r.steps.size(), 4u);
  for (size_t i = 0; i < r.steps.size(); ++i) {
    EXPECT_EQ(r.steps[i].status, rec.statuses[i]);
    EXPECT_LE(r.steps[i].start_ms, r.steps[i].end_ms) << i;
    if (i > 0) {
      EXPECT_EQ(r.steps[i].start_ms, r.steps[i - 1].end_ms) << i;
    }
  }
  EXPECT_EQ(r.steps[0].start_ms, r.start_ms);
  EXPECT_EQ(r.steps.back().start_ms, r.end_ms);
  EXPECT_EQ(r.steps.back().end_ms, r.end_ms);
  EXPECT_LT(r.steps[1].start_ms, r.steps[1].end_ms);  // training took readings of the clock
  EXPECT_EQ(r.ToJson()["StatusTransitions"][1]["Status"], "Training");
  EXPECT_EQ(services.prepared, std::vector<std::string>{"s3://data/monitor/m/20261201-230501/"});
  EXPECT_EQ(services.model_artifacts["m-20261201-230501"], "s3://data/models/m-20261201-230501/output/model/");
  EXPECT_EQ(services.endpoint_config, "m-20261201-230501");
  EXPECT_EQ(services.configs["m-20261201-230501"].variants.at(0).model, "m-20261201-230501");
  // The record reads back as written.
  RetrainingRecord back = RetrainingRecord::FromJson(r.ToJson());
  EXPECT_EQ(back.ToJson(), r.ToJson());
}

TEST(RetrainingTest, RollbackFailureAndStopAreRecordedWithTheReason) {
  {
    testing::FakeServices services;
    services.roll_back = true;
    Recorder rec;
    RetrainingRecord r = RunRetraining(Spec(), "s1", 0.8, rec.Context(&services));
    EXPECT_EQ(r.status, "RolledBack");
    ASSERT_FALSE(r.steps.empty());
    EXPECT_EQ(r.steps.back().status, "RolledBack");
    EXPECT_EQ(r.steps[r.steps.size() - 2].status, "Deploying");
    EXPECT_NE(r.failure_reason.find("rolled back: alarm errors"), std::string::npos) << r.failure_reason;
    EXPECT_FALSE(r.new_baseline.has_value());
    EXPECT_EQ(services.endpoint_config, "c1");
  }
  {
    testing::FakeServices services;
    services.next_job_status = "Failed";
    Recorder rec;
    RetrainingRecord r = RunRetraining(Spec(), "s2", 0.8, rec.Context(&services));
    EXPECT_EQ(r.status, "Failed");
    EXPECT_EQ(r.failure_reason, "training job 'm-s2' ended Failed: the trainer said no");
    EXPECT_TRUE(services.model_artifacts.empty());
  }
  {
    testing::FakeServices services;
    services.prepare_error = NotFound("table 'raw' does not exist");
    Recorder rec;
    RetrainingRecord r = RunRetraining(Spec(), "s3", 0.8, rec.Context(&services));
    EXPECT_EQ(r.status, "Failed");
    EXPECT_EQ(r.failure_reason, "preparing channels in s3://data/monitor/m/s3/: table 'raw' does not exist");
  }
  {
    testing::FakeServices services;
    services.next_job_status = "InProgress";  // never ends
    std::atomic<int> checks{0};
    Recorder rec;
    RetrainingRecord r = RunRetraining(Spec(), "s4", 0.8, rec.Context(&services, [&] { return ++checks > 5; }));
    EXPECT_EQ(r.status, "Failed");
    EXPECT_EQ(r.failure_reason, "the monitor stopped during the retraining (step Training)");
  }
}

}  // namespace
}  // namespace tributary::monitor
