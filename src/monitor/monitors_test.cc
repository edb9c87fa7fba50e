// The monitor loop over stand-in services (testing/fake_services.h): evaluations on
// demand, drift, a retraining that puts a new model in service and a new baseline,
// a rollback, refusal while retraining, persistence across a restart, and the errors
// of Create.
#include "monitor/monitors.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/fault_points.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"
#include "monitor/testing/fake_services.h"

namespace tributary::monitor {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class MonitorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db").value();
    Reopen();
  }

  void Reopen() {
    monitors_.reset();
    MonitorOptions o;
    // Relative, as a server started with a relative --data-dir gives it.
    o.scratch_dir = std::filesystem::relative(dir_.path() + "/scratch").string();
    o.metrics = &metrics_;
    o.poll_ms = 10;
    o.ms_per_schedule_second = 5;  // ScheduleIntervalSeconds 60 -> 300 ms
    monitors_ = Monitors::Open(db_.get(), &services_, o).value();
  }

  static json Body(const std::string& name = "m") {
    return {{"MonitorName", name},
            {"EndpointName", "ep"},
            {"Data", {{"table", "raw"}, {"target", "pm25"}, {"prediction_length", 2}}},
            {"Baseline", {{"TrainingJobName", "base"}}},
            {"DriftThreshold", 2},
            {"Retraining", {{"TrainingJobTemplate", "base"}, {"ChannelsUri", "s3://data/monitor/m/"}}}};
  }

  // Requests an evaluation and waits until it (and any retraining it started) ended.
  json EvaluateAndSettle(const std::string& name = "m") {
    auto k = monitors_->Evaluate(name);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    int64_t want = (*k)["EvaluationNumber"];
    json d;
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
      d = monitors_->Describe(name).value();
      if (d["EvaluationsCompleted"] >= want && d["MonitorStatus"] == "Scheduled") {
        EXPECT_EQ(d["Evaluations"].back()["EvaluationNumber"], want);
        return d;
      }
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "not settled: " << d.dump(2);
    return d;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  MetricsRegistry metrics_;
  testing::FakeServices services_;
  std::unique_ptr<Monitors> monitors_;
};

TEST_F(MonitorsTest, DriftRetrainsAndTheNewModelBecomesTheBaseline) {
  auto created = monitors_->Create(Body());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["BaselineValue"], 0.1);
  EXPECT_EQ((*created)["BaselineSource"], "TrainingJob base");
  EXPECT_FALSE(created->contains("NextEvaluationTime"));  // on demand only

  // The world as the model knows it: level 10 forecast 10.
  json d = EvaluateAndSettle();
  const json& first = d["LastEvaluation"];
  EXPECT_EQ(first["Status"], "Completed") << first.dump();
  EXPECT_EQ(first["Series"], 3);
  EXPECT_EQ(first["Value"], 0.0);
  EXPECT_EQ(first["Breach"], false);
  EXPECT_EQ(first["ForecastStart"], "2026-01-01 02:00:00");
  EXPECT_EQ(first["Objects"], 2);
  EXPECT_EQ(first["Rows"], 12);
  EXPECT_FALSE(first.contains("ObjectsSkipped")) << first.dump();
  EXPECT_FALSE(first.contains("BadRecords")) << first.dump();
  EXPECT_EQ(first["WorstSeries"][0]["Group"], "sensor-0");
  EXPECT_TRUE(d["Retrainings"].empty());

  // The world moves to 50; the model still says 10: wQL = 40/50 = 0.8, 8x the baseline.
  services_.SetWorldLevel(50);
  d = EvaluateAndSettle();
  const json& drifted = d["Evaluations"][1];
  EXPECT_NEAR(drifted["Value"].get<double>(), 0.8, 1e-9);
  EXPECT_NEAR(drifted["Ratio"].get<double>(), 8, 1e-9);
  EXPECT_EQ(drifted["Breach"], true);
  EXPECT_EQ(drifted["Drift"], true);
  ASSERT_EQ(d["Retrainings"].size(), 1u) << d.dump(2);
  const json& r = d["Retrainings"][0];
  EXPECT_EQ(r["Status"], "Deployed") << r.dump();
  EXPECT_NEAR(r["TriggerValue"].get<double>(), 0.8, 1e-9);
  EXPECT_EQ(services_.endpoint_config, r["EndpointConfigName"]);
  EXPECT_EQ(d["BaselineValue"], 0.12);
  EXPECT_EQ(d["BaselineSource"], "TrainingJob " + r["TrainingJobName"].get<std::string>());
  EXPECT_EQ(d["Breaches"], 0);
  ASSERT_EQ(services_.created_jobs.size(), 1u);
  EXPECT_EQ(services_.created_jobs[0]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"],
            "s3://data/monitor/m/" + r["TrainingJobName"].get<std::string>().substr(2) + "/train/");

  // The new model knows the new level.
  d = EvaluateAndSettle();
  EXPECT_EQ(d["LastEvaluation"]["Value"], 0.0);
  EXPECT_EQ(d["LastEvaluation"]["Breach"], false);
  EXPECT_EQ(d["Retrainings"].size(), 1u);

  // Every evaluation and each step of the retraining went to the alert topic. An
  // evaluation is published just after it is recorded: wait for the last one.
  std::vector<std::pair<std::string, json>> published;
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
    {
      std::lock_guard<std::mutex> lock(services_.mu);
      published = services_.published;
    }
    if (published.size() >= 7) break;
    std::this_thread::sleep_for(5ms);
  }
  std::vector<std::string> events;
  for (const auto& [topic, event] : published) {
    EXPECT_EQ(topic, "$SYS/monitors/m");
    EXPECT_EQ(event["MonitorName"], "m");
    EXPECT_EQ(event["EndpointName"], "ep");
    events.push_back(event["Event"].get<std::string>() + ":" +
                     (event["Event"] == "Evaluation" ? std::string(event["Drift"] ? "drift" : "ok")
                                                     : event["Status"].get<std::string>()));
  }
  EXPECT_EQ(events, (std::vector<std::string>{"Evaluation:ok", "Evaluation:drift", "Retraining:Preparing",
                                              "Retraining:Training", "Retraining:Deploying", "Retraining:Deployed",
                                              "Evaluation:ok"}));

  std::string text = metrics_.Render();
  EXPECT_NE(text.find("tributary_monitor_evaluations_total{monitor=\"m\",outcome=\"ok\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("tributary_monitor_evaluations_total{monitor=\"m\",outcome=\"breach\"} 1"), std::string::npos);
  EXPECT_NE(text.find("tributary_monitor_retrainings_total{monitor=\"m\",outcome=\"deployed\"} 1"), std::string::npos);
  EXPECT_NE(text.find("tributary_monitor_baseline{monitor=\"m\"} 0.12"), std::string::npos);

  // All of it comes back after a restart.
  Reopen();
  json again = monitors_->Describe("m").value();
  EXPECT_EQ(again["Evaluations"].size(), 3u);
  EXPECT_EQ(again["Retrainings"][0]["Status"], "Deployed");
  EXPECT_EQ(again["BaselineValue"], 0.12);
  EXPECT_EQ(again["EvaluationsCompleted"], 3);
  EXPECT_EQ(monitors_->List().size(), 1u);
}

TEST_F(MonitorsTest, ConsecutiveBreachesRollbackAndFailures) {
  json body = Body();
  body["ConsecutiveBreaches"] = 2;
  ASSERT_TRUE(monitors_->Create(body).ok());
  services_.SetWorldLevel(50);
  services_.roll_back = true;
  json d = EvaluateAndSettle();
  EXPECT_EQ(d["LastEvaluation"]["Breach"], true);
  EXPECT_EQ(d["LastEvaluation"]["Drift"], false);  // one breach of two
  EXPECT_EQ(d["Breaches"], 1);
  // The list says as much, without a description per monitor.
  json listed = monitors_->List()[0];
  EXPECT_EQ(listed["Breaches"], 1);
  EXPECT_EQ(listed["ConsecutiveBreaches"], 2);
  EXPECT_EQ(listed["DriftThreshold"], d["DriftThreshold"]);
  EXPECT_EQ(listed["LastRatio"], d["LastEvaluation"]["Ratio"]);
  EXPECT_EQ(listed["LastValue"], d["LastEvaluation"]["Value"]);
  d = EvaluateAndSettle();
  EXPECT_EQ(d["LastEvaluation"]["Drift"], true);
  ASSERT_EQ(d["Retrainings"].size(), 1u);
  EXPECT_EQ(d["Retrainings"][0]["Status"], "RolledBack");
  EXPECT_NE(d["Retrainings"][0]["FailureReason"].get<std::string>().find("rolled back"), std::string::npos);
  EXPECT_EQ(d["BaselineValue"], 0.1);  // unchanged
  EXPECT_EQ(d["Breaches"], 0);         // counting starts again

  // What the preparation left out of the table is in the evaluation, named.
  services_.SetWorldLevel(10);  // no breach: the count stays 0
  services_.objects_skipped = 3;
  services_.bad_records = 5;
  d = EvaluateAndSettle();
  EXPECT_EQ(d["LastEvaluation"]["ObjectsSkipped"], 3) << d["LastEvaluation"].dump();
  EXPECT_EQ(d["LastEvaluation"]["SkippedObjects"][0], "data/raw/stray.json");
  EXPECT_EQ(d["LastEvaluation"]["BadRecords"], 5);

  // An evaluation that fails is recorded with the reason and does not judge.
  services_.prepare_error = NotFound("table 'raw' does not exist");
  d = EvaluateAndSettle();
  EXPECT_EQ(d["LastEvaluation"]["Status"], "Failed");
  EXPECT_EQ(d["LastEvaluation"]["FailureReason"], "table 'raw' does not exist");
  EXPECT_EQ(d["Breaches"], 0);
  EXPECT_NE(metrics_.Render().find("tributary_monitor_retrainings_total{monitor=\"m\",outcome=\"rolled_back\"} 1"),
            std::string::npos);
}

TEST_F(MonitorsTest, RefusesEvaluationsWhileRetrainingAndRecordsAStop) {
  ASSERT_TRUE(monitors_->Create(Body()).ok());
  services_.SetWorldLevel(50);
  services_.next_job_status = "InProgress";  // the new job never ends
  ASSERT_TRUE(monitors_->Evaluate("m").ok());
  json d;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    d = monitors_->Describe("m").value();
    if (!d["Retrainings"].empty() && d["Retrainings"][0]["Status"] == "Training") break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(d["MonitorStatus"], "Retraining") << d.dump(2);
  auto refused = monitors_->Evaluate("m");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);

  monitors_->Shutdown();  // stops the retraining at its next check
  Reopen();
  d = monitors_->Describe("m").value();
  EXPECT_EQ(d["Retrainings"][0]["Status"], "Failed");
  EXPECT_NE(d["Retrainings"][0]["FailureReason"].get<std::string>().find("stopped during the retraining"),
            std::string::npos)
      << d.dump(2);

  ASSERT_TRUE(monitors_->Delete("m").ok());
  EXPECT_EQ(monitors_->Describe("m").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(monitors_->Delete("m").code(), ErrorCode::kNotFound);
  Reopen();
  EXPECT_TRUE(monitors_->List().empty());
}

TEST_F(MonitorsTest, EvaluatesOnItsScheduleWithoutBeingAsked) {
  json body = Body();
  body["ScheduleIntervalSeconds"] = 60;  // 300 ms here
  auto created = monitors_->Create(body);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->contains("NextEvaluationTime"));
  json d;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    d = monitors_->Describe("m").value();
    if (d["EvaluationsCompleted"] >= 3) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(d["EvaluationsCompleted"], 3) << d.dump(2);
  EXPECT_EQ(d["EvaluationsRequested"], 0);  // none asked for
  EXPECT_EQ(d["LastEvaluation"]["Status"], "Completed");
  // And a monitor that comes back after a restart keeps its schedule.
  Reopen();
  int64_t before = monitors_->Describe("m").value()["EvaluationsCompleted"];
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    if (monitors_->Describe("m").value()["EvaluationsCompleted"] > before) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GT(monitors_->Describe("m").value()["EvaluationsCompleted"], before);
}

// A monitor whose thread the system refuses (the server at its limit of threads) is not
// created (the answer names the thread); one refused at a server's start is listed,
// deletable, and runs from the next start.
TEST_F(MonitorsTest, AMonitorWhoseThreadTheSystemRefusesIsAnswered) {
  testing_support::ArmFault("thread.start:monitor", EAGAIN);
  auto refused = monitors_->Create(Body());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(
      refused.status().message().find("monitor 'm' not created: cannot start thread 'monitor'"),
      std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE(monitors_->List().empty());

  ASSERT_TRUE(monitors_->Create(Body()).ok()) << "created again, with threads to spare";
  testing_support::ArmFault("thread.start:monitor", EAGAIN);
  Reopen();
  ASSERT_EQ(monitors_->List().size(), 1u);
  Reopen();
  EXPECT_EQ(EvaluateAndSettle()["EvaluationsCompleted"], 1) << "runs again from the next start";
  ASSERT_TRUE(monitors_->Delete("m").ok());
}

TEST_F(MonitorsTest, CreateChecksWhatTheDefinitionNames) {
  auto fails = [&](json body, const std::string& want) {
    auto r = monitors_->Create(body);
    ASSERT_FALSE(r.ok()) << want;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  };
  json body = Body();
  body["EndpointName"] = "nope";
  fails(body, "EndpointName: endpoint 'nope' does not exist");
  body = Body();
  body["Baseline"]["TrainingJobName"] = "ghost";
  fails(body, "Baseline.TrainingJobName: training job 'ghost' does not exist");
  body = Body();
  body["Metric"] = "test:RMSE";
  fails(body, "has no test:RMSE above 0 in its FinalMetricDataList");
  body = Body();
  body["Retraining"]["TrainingJobTemplate"] = "ghost";
  fails(body, "Retraining.TrainingJobTemplate: training job 'ghost' does not exist");
  // A model trained for another prediction length answers with that many values: every
  // evaluation would fail, so the definition is refused, naming both lengths.
  body = Body();
  body["Data"]["prediction_length"] = 24;
  fails(body,
        "Data.prediction_length: 24 but the baseline training job 'base' has prediction_length 2");
  body.erase("Baseline");
  fails(body,
        "Data.prediction_length: 24 but the retraining template training job 'base' has "
        "prediction_length 2");
  body.erase("Retraining");
  ASSERT_TRUE(
      monitors_->Create(body).ok());  // nothing to compare with: the endpoint's answers will tell
  ASSERT_TRUE(monitors_->Delete("m").ok());
  EXPECT_TRUE(monitors_->List().empty());

  ASSERT_TRUE(monitors_->Create(Body()).ok());
  EXPECT_EQ(monitors_->Create(Body()).status().code(), ErrorCode::kAlreadyExists);

  // Without a baseline the first evaluation sets it.
  json first = Body("n");
  first.erase("Baseline");
  ASSERT_TRUE(monitors_->Create(first).ok());
  json d = EvaluateAndSettle("n");
  EXPECT_EQ(d["BaselineValue"], 0.0);
  EXPECT_EQ(d["BaselineSource"].get<std::string>().rfind("FirstEvaluation ", 0), 0u);
}

}  // namespace
}  // namespace tributary::monitor
