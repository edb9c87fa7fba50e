// Training jobs over a local lake with a stand-in trainer (testdata/fake_trainer.js):
// the life cycle, artifacts and metrics, failure reasons, stop, max runtime, the FIFO
// queue and restart.
#include "training/training_jobs.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/testing/temp_dir.h"
#include "objstore/testing/forwarding_store.h"
#include "metadata/testing/test_database.h"

namespace tributary::training {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A bucket as a slow remote store would serve it: every read takes 100 ms, so that a
// download of many objects lasts long enough to be stopped half-way.
class SlowBucket : public objstore::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::string> Get(const std::string& key, std::optional<objstore::ByteRange> range) override {
    std::this_thread::sleep_for(100ms);
    return ForwardingStore::Get(key, range);
  }
};

class TrainingJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db").value();
    objstore::ObjectStoreConfig lake;
    lake.local_root = dir_.path() + "/lake";
    lake_ = objstore::OpenObjectStores(lake).value();
    auto bucket = lake_->Bucket("data").value();
    ASSERT_TRUE(bucket->Put("deepar/train/a.jsonl", "{\"start\":\"2026-01-01 00:00:00\",\"target\":[1,2]}\n"
                                                    "{\"start\":\"2026-01-01 00:00:00\",\"target\":[3,4]}\n").ok());
    ASSERT_TRUE(bucket->Put("deepar/train/more/b.jsonl", "{\"start\":\"2026-01-01 00:00:00\",\"target\":[5]}\n").ok());
    ASSERT_TRUE(bucket->Put("deepar/test/t.jsonl", "{\"start\":\"2026-01-01 00:00:00\",\"target\":[1,2,3]}\n").ok());
    Open();
  }

  void Open(objstore::ObjectStoreProvider* lake = nullptr) {
    TrainingOptions o;
    o.trainer = {"node", std::string(TRAINING_TESTDATA_DIR) + "/fake_trainer.js"};
    o.scratch_dir = dir_.path() + "/scratch";
    o.stop_grace_ms = 300;
    o.log_save_interval_ms = 100;
    auto jobs = TrainingJobs::Open(db_.get(), lake != nullptr ? lake : lake_.get(), o);
    ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
    jobs_ = std::move(*jobs);
  }

  static json Request(const std::string& name, json hyperparameters, bool with_test = true) {
    json channels = json::array(
        {{{"ChannelName", "train"}, {"DataSource", {{"S3DataSource", {{"S3Uri", "s3://data/deepar/train/"}}}}}}});
    if (with_test) {
      channels.push_back(
          {{"ChannelName", "test"}, {"DataSource", {{"S3DataSource", {{"S3Uri", "s3://data/deepar/test/"}}}}}});
    }
    return {{"TrainingJobName", name},
            {"AlgorithmSpecification", {{"TrainingImage", "deepar"}, {"TrainingInputMode", "File"}}},
            {"HyperParameters", hyperparameters},
            {"InputDataConfig", channels}};
  }

  json Create(const json& request) {
    auto d = jobs_->Create(request);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : json();
  }

  // Polls Describe until `done` holds (at most ~20 s).
  json WaitFor(const std::string& name, const std::function<bool(const json&)>& done) {
    json last;
    for (int i = 0; i < 400; ++i) {
      auto d = jobs_->Describe(name);
      if (d.ok()) {
        last = *d;
        if (done(last)) return last;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << name << " never reached the awaited state; last: " << last.dump(2);
    return last;
  }
  json WaitEnded(const std::string& name) {
    return WaitFor(name, [](const json& d) {
      return d["TrainingJobStatus"] != "InProgress" && d["TrainingJobStatus"] != "Stopping";
    });
  }
  json WaitTraining(const std::string& name) {  // and its first progress line
    return WaitFor(name, [](const json& d) { return d["SecondaryStatus"] == "Training" && d.contains("Progress"); });
  }

  std::string LogText(const std::string& name) {
    auto logs = jobs_->Logs(name, 0, 100000);
    EXPECT_TRUE(logs.ok()) << logs.status().ToString();
    std::string text;
    if (logs.ok()) {
      for (const auto& line : (*logs)["Lines"]) text += line.get<std::string>() + "\n";
    }
    return text;
  }

  static std::vector<std::string> Transitions(const json& d) {
    std::vector<std::string> out;
    for (const auto& t : d["SecondaryStatusTransitions"]) {
      out.push_back(t["Status"]);
      EXPECT_TRUE(t.contains("StartTime") && t.contains("EndTime")) << t.dump();
    }
    return out;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  // A training channel of 40 objects that takes about 4 s to download (SlowBucket).
  void OpenWithASlowDownload() {
    auto bucket = lake_->Bucket("data").value();
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(bucket->Put(fmt::format("slow/train/{:02}.jsonl", i),
                              "{\"start\":\"2026-01-01 00:00:00\",\"target\":[1,2]}\n").ok());
    }
    jobs_.reset();
    slow_lake_ = std::make_unique<objstore::testing::WrappingProvider>(
        lake_.get(), [](auto bucket) { return std::make_shared<SlowBucket>(std::move(bucket)); });
    Open(slow_lake_.get());
  }
  static json SlowRequest(const std::string& name) {
    json r = Request(name, {{"epochs", "1"}}, /*with_test=*/false);
    r["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://data/slow/train/";
    return r;
  }

  std::unique_ptr<objstore::ObjectStoreProvider> lake_;
  std::unique_ptr<objstore::ObjectStoreProvider> slow_lake_;  // outlives jobs_
  std::unique_ptr<TrainingJobs> jobs_;
};

TEST_F(TrainingJobsTest, CompletesUploadsTheModelAndReportsMetrics) {
  json created = Create(Request("ok", {{"epochs", "3"}, {"time_freq", "H"}}));
  EXPECT_EQ(created["TrainingJobStatus"], "InProgress");
  EXPECT_EQ(created["SecondaryStatus"], "Starting");
  json d = WaitEnded("ok");
  ASSERT_EQ(d["TrainingJobStatus"], "Completed") << d.dump(2);
  EXPECT_EQ(Transitions(d), (std::vector<std::string>{"Starting", "Downloading", "Training", "Uploading", "Completed"}));
  EXPECT_EQ(d["Progress"]["Epoch"], 3);
  EXPECT_EQ(d["Progress"]["Epochs"], 3);
  EXPECT_DOUBLE_EQ(d["Progress"]["ValidationLoss"].get<double>(), 2.0);
  EXPECT_EQ(d["ModelArtifacts"]["S3ModelArtifacts"], "s3://data/models/ok/output/model/");
  std::map<std::string, double> metrics;
  for (const auto& m : d["FinalMetricDataList"]) metrics[m["MetricName"]] = m["Value"];
  EXPECT_DOUBLE_EQ(metrics.at("test:RMSE"), 1.5);
  EXPECT_DOUBLE_EQ(metrics.at("test:mean_wQuantileLoss"), 0.125);
  EXPECT_TRUE(d.contains("TrainingStartTime") && d.contains("TrainingEndTime"));

  // The artifact is in the lake, with the hyperparameters the trainer was given.
  auto bucket = lake_->Bucket("data").value();
  for (const char* file : {"model.json", "metrics.json", "hyperparameters.json"}) {
    EXPECT_TRUE(bucket->Head(std::string("models/ok/output/model/") + file).ok()) << file;
  }
  json hp = json::parse(bucket->Get("models/ok/output/model/hyperparameters.json").value());
  EXPECT_EQ(hp["epochs"], "3");
  // Every trainer line is in the log: all channel objects were copied.
  std::string log = LogText("ok");
  EXPECT_TRUE(Contains(log, "train channel: 3 series")) << log;
  EXPECT_TRUE(Contains(log, "test channel: 1 series")) << log;
  EXPECT_TRUE(Contains(log, "epoch 3/3 loss=")) << log;
  EXPECT_TRUE(Contains(log, "uploaded 3 file(s) to s3://data/models/ok/output/model/")) << log;
  // The scratch copy is gone.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/scratch/ok"));

  // Names are unique; an ended job cannot be stopped.
  auto again = jobs_->Create(Request("ok", {{"epochs", "1"}}));
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(jobs_->StopJob("ok").code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(jobs_->StopJob("nope").code(), ErrorCode::kNotFound);
  EXPECT_EQ(jobs_->Describe("nope").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(jobs_->Logs("nope", 0, 10).status().code(), ErrorCode::kNotFound);
}

TEST_F(TrainingJobsTest, LogsAreReadFromAnOffset) {
  Create(Request("logs", {{"epochs", "4"}}, false));
  json d = WaitEnded("logs");
  ASSERT_EQ(d["TrainingJobStatus"], "Completed") << d.dump(2);
  EXPECT_FALSE(d["Progress"].contains("ValidationLoss"));  // no test channel
  json all = jobs_->Logs("logs", 0, 100000).value();
  json first = jobs_->Logs("logs", 0, 2).value();
  ASSERT_EQ(first["Lines"].size(), 2u);
  EXPECT_EQ(first["NextLine"], 2);
  json rest = jobs_->Logs("logs", 2, 100000).value();
  EXPECT_EQ(first["Lines"].size() + rest["Lines"].size(), all["Lines"].size());
  EXPECT_EQ(rest["Lines"][0], all["Lines"][2]);
  EXPECT_EQ(rest["NextLine"], all["NextLine"]);
  EXPECT_EQ(rest["TrainingJobStatus"], "Completed");
}

TEST_F(TrainingJobsTest, FailureReasonIsTheTrainersError) {
  Create(Request("bad-hp", {{"epochs", "many"}, {"mode", "bad-hp"}}));
  json d = WaitEnded("bad-hp");
  ASSERT_EQ(d["TrainingJobStatus"], "Failed") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "Failed");
  std::string reason = d["FailureReason"];
  EXPECT_TRUE(Contains(reason, "epochs: 'many' is not an integer")) << reason;
  EXPECT_TRUE(Contains(reason, "exited with status 2")) << reason;
  EXPECT_FALSE(d.contains("ModelArtifacts"));

  Create(Request("crash", {{"mode", "crash"}}));
  d = WaitEnded("crash");
  ASSERT_EQ(d["TrainingJobStatus"], "Failed") << d.dump(2);
  EXPECT_TRUE(Contains(d["FailureReason"], "killed by signal 11")) << d["FailureReason"];

  // A channel with nothing in it fails before the trainer runs, naming the channel.
  json r = Request("empty", {{"epochs", "1"}});
  r["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://data/nothing-here/";
  Create(r);
  d = WaitEnded("empty");
  ASSERT_EQ(d["TrainingJobStatus"], "Failed") << d.dump(2);
  EXPECT_TRUE(Contains(d["FailureReason"], "channel 'test': no objects under s3://data/nothing-here/"))
      << d["FailureReason"];
  EXPECT_EQ(Transitions(d), (std::vector<std::string>{"Starting", "Downloading", "Failed"}));

  // A bad body is refused at Create, naming the field, and nothing is recorded.
  json bad = Request("x", {{"epochs", 3}});
  EXPECT_TRUE(Contains(jobs_->Create(bad).status().message(), "HyperParameters.epochs"));
  EXPECT_EQ(jobs_->Describe("x").status().code(), ErrorCode::kNotFound);
}

TEST_F(TrainingJobsTest, StopEndsTheTrainersProcessGroup) {
  Create(Request("hang", {{"mode", "hang"}}));
  WaitTraining("hang");
  ASSERT_TRUE(jobs_->StopJob("hang").ok());
  EXPECT_EQ(jobs_->Describe("hang").value()["TrainingJobStatus"], "Stopping");
  EXPECT_TRUE(jobs_->StopJob("hang").ok());  // again: still stopping
  json d = WaitEnded("hang");
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "Stopped");
  EXPECT_FALSE(d.contains("FailureReason"));
  std::string log = LogText("hang");
  EXPECT_TRUE(Contains(log, "sent SIGTERM")) << log;
  EXPECT_FALSE(Contains(log, "sent SIGKILL")) << log;

  // One that ignores SIGTERM is killed after the grace period.
  Create(Request("stubborn", {{"mode", "stubborn"}}));
  WaitTraining("stubborn");
  ASSERT_TRUE(jobs_->StopJob("stubborn").ok());
  d = WaitEnded("stubborn");
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  log = LogText("stubborn");
  EXPECT_TRUE(Contains(log, "ignoring SIGTERM")) << log;
  EXPECT_TRUE(Contains(log, "sent SIGKILL")) << log;
}

// A trainer that saves the best model so far on SIGTERM (the real one does) leaves it in
// the lake, as a stopped SageMaker job keeps what its algorithm saved; the job still ends
// Stopped. One that dies on SIGTERM leaves none.
TEST_F(TrainingJobsTest, AModelSavedWhenStoppedIsKept) {
  Create(Request("saver", {{"mode", "saves"}}));
  WaitTraining("saver");
  ASSERT_TRUE(jobs_->StopJob("saver").ok());
  json d = WaitEnded("saver");
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "Stopped");
  EXPECT_EQ(Transitions(d),
            (std::vector<std::string>{"Starting", "Downloading", "Training", "Stopping", "Uploading", "Stopped"}));
  EXPECT_EQ(d["ModelArtifacts"]["S3ModelArtifacts"], "s3://data/models/saver/output/model/");
  auto bucket = lake_->Bucket("data").value();
  json model = json::parse(bucket->Get("models/saver/output/model/model.json").value());
  EXPECT_GE(model["epochs"].get<int>(), 1);
  EXPECT_TRUE(Contains(LogText("saver"), "stopped by SIGTERM after epoch")) << LogText("saver");

  json r = Request("late-saver", {{"mode", "saves"}});
  r["StoppingCondition"] = {{"MaxRuntimeInSeconds", 1}};
  Create(r);
  d = WaitEnded("late-saver");
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "MaxRuntimeExceeded");
  EXPECT_EQ(d["ModelArtifacts"]["S3ModelArtifacts"], "s3://data/models/late-saver/output/model/");
  EXPECT_TRUE(bucket->Head("models/late-saver/output/model/model.json").ok());

  Create(Request("dies", {{"mode", "hang"}}));
  WaitTraining("dies");
  ASSERT_TRUE(jobs_->StopJob("dies").ok());
  d = WaitEnded("dies");
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped");
  EXPECT_FALSE(d.contains("ModelArtifacts")) << d.dump(2);
  EXPECT_FALSE(bucket->Head("models/dies/output/model/model.json").ok());
}

TEST_F(TrainingJobsTest, TheLogIsSavedWhileTheTrainerRuns) {
  // A server killed mid-training keeps what the trainer printed up to about the last
  // save: the saved row, read while the job still runs, already holds progress lines.
  Create(Request("saving", {{"mode", "hang"}}));
  WaitTraining("saving");
  std::string saved;
  for (int i = 0; i < 100 && !Contains(saved, "epoch 2/"); ++i) {
    std::this_thread::sleep_for(50ms);
    auto rows = db_->Query("SELECT log FROM training_jobs WHERE name=?", {metadata::Value("saving")});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->size(), 1u);
    saved = (*rows)[0].Text(0);
  }
  EXPECT_TRUE(Contains(saved, "epoch 2/")) << saved;
  EXPECT_EQ(jobs_->Describe("saving").value()["TrainingJobStatus"], "InProgress");
  ASSERT_TRUE(jobs_->StopJob("saving").ok());
  EXPECT_EQ(WaitEnded("saving")["TrainingJobStatus"], "Stopped");
}

TEST_F(TrainingJobsTest, MaxRuntimeStopsTheJobWithAReason) {
  json r = Request("slow", {{"mode", "hang"}});
  r["StoppingCondition"] = {{"MaxRuntimeInSeconds", 1}};
  auto start = std::chrono::steady_clock::now();
  Create(r);
  json d = WaitEnded("slow");
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "MaxRuntimeExceeded");
  EXPECT_TRUE(Contains(d["FailureReason"], "MaxRuntimeInSeconds (1 s) exceeded")) << d["FailureReason"];
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(TrainingJobsTest, StopEndsALongDownloadBetweenTwoObjects) {
  OpenWithASlowDownload();
  Create(SlowRequest("fetching"));
  WaitFor("fetching", [](const json& d) { return d["SecondaryStatus"] == "Downloading"; });
  std::this_thread::sleep_for(300ms);
  auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(jobs_->StopJob("fetching").ok());
  json d = WaitEnded("fetching");
  // Within an object's read or two, not after the remaining ~3.5 s of the download.
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 1500ms);
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "Stopped");
  EXPECT_EQ(Transitions(d), (std::vector<std::string>{"Starting", "Downloading", "Stopping", "Stopped"}));
  EXPECT_TRUE(Contains(d["SecondaryStatusTransitions"].back()["StatusMessage"],
                       "Stopped by StopTrainingJob while downloading the input data"))
      << d.dump(2);
}

TEST_F(TrainingJobsTest, MaxRuntimeEndsALongDownload) {
  OpenWithASlowDownload();
  json r = SlowRequest("late");
  r["StoppingCondition"] = {{"MaxRuntimeInSeconds", 1}};
  auto start = std::chrono::steady_clock::now();
  Create(r);
  json d = WaitEnded("late");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 2500ms);  // the whole download would take about 4 s
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped") << d.dump(2);
  EXPECT_EQ(d["SecondaryStatus"], "MaxRuntimeExceeded");
  EXPECT_EQ(d["FailureReason"], "MaxRuntimeInSeconds (1 s) exceeded while downloading the input data");
  EXPECT_EQ(Transitions(d), (std::vector<std::string>{"Starting", "Downloading", "MaxRuntimeExceeded"}));
}

TEST_F(TrainingJobsTest, JobsRunOneAtATimeInOrder) {
  Create(Request("first", {{"mode", "hang"}}));
  WaitTraining("first");
  json second = Create(Request("second", {{"epochs", "1"}}));
  EXPECT_TRUE(Contains(second["SecondaryStatusTransitions"][0]["StatusMessage"], "Queued behind 1"))
      << second.dump(2);
  Create(Request("third", {{"epochs", "1"}}));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(jobs_->Describe("second").value()["SecondaryStatus"], "Starting");
  // A queued job stops at once, without running.
  ASSERT_TRUE(jobs_->StopJob("second").ok());
  json d = jobs_->Describe("second").value();
  EXPECT_EQ(d["TrainingJobStatus"], "Stopped");
  EXPECT_EQ(Transitions(d), (std::vector<std::string>{"Starting", "Stopped"}));
  EXPECT_EQ(jobs_->Describe("third").value()["SecondaryStatus"], "Starting");

  ASSERT_TRUE(jobs_->StopJob("first").ok());
  json first = WaitEnded("first");
  json third = WaitEnded("third");
  EXPECT_EQ(third["TrainingJobStatus"], "Completed") << third.dump(2);
  EXPECT_LE(first["TrainingEndTime"].get<std::string>(), third["TrainingStartTime"].get<std::string>());
  json list = jobs_->List().value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["TrainingJobName"], "first");
  EXPECT_EQ(list[2]["TrainingJobStatus"], "Completed");
}

TEST_F(TrainingJobsTest, JobsUnfinishedAtShutdownComeBackFailed) {
  Create(Request("running", {{"mode", "hang"}}));
  WaitTraining("running");
  Create(Request("queued", {{"epochs", "1"}}));
  jobs_->Shutdown();
  EXPECT_EQ(jobs_->Create(Request("late", {{"epochs", "1"}})).status().code(), ErrorCode::kUnavailable);
  // A server that died without shutting down leaves InProgress rows: Open fails them.
  json crashed = Request("crashed", {{"epochs", "1"}});
  crashed["TrainingJobStatus"] = "InProgress";
  crashed["SecondaryStatus"] = "Training";
  crashed["SecondaryStatusTransitions"] = json::array({{{"Status", "Training"}, {"StartTime", "x"}}});
  ASSERT_TRUE(db_->Exec("INSERT INTO training_jobs(name, created_ms, document, log) VALUES('crashed', 1, ?, '{}')",
                        {metadata::Value(crashed.dump())})
                  .ok());
  jobs_.reset();
  Open();
  json d = jobs_->Describe("running").value();
  EXPECT_EQ(d["TrainingJobStatus"], "Failed");
  EXPECT_TRUE(Contains(d["FailureReason"], "the server stopped while the job was in Training")) << d.dump(2);
  d = jobs_->Describe("queued").value();
  EXPECT_EQ(d["TrainingJobStatus"], "Failed");
  EXPECT_TRUE(Contains(d["FailureReason"], "the server stopped before the job started")) << d.dump(2);
  d = jobs_->Describe("crashed").value();
  EXPECT_EQ(d["TrainingJobStatus"], "Failed");
  EXPECT_TRUE(Contains(d["FailureReason"], "the server stopped while the job was in Training")) << d.dump(2);
  EXPECT_TRUE(Contains(LogText("running"), "epoch 1/"));  // the log survived
  // The manager still works after the restart.
  Create(Request("after", {{"epochs", "1"}}));
  EXPECT_EQ(WaitEnded("after")["TrainingJobStatus"], "Completed");
}

}  // namespace
}  // namespace tributary::training
