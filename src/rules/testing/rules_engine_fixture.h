// The rules engine's test fixture: a registry on a throwaway database, an engine whose
// sinks record what they are given (and answer as a test says), and the republished
// messages it hands back. Shared by the engine's test files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metadata/database.h"
#include "metadata/testing/test_database.h"
#include "rules/rule_registry.h"
#include "rules/rules_engine.h"

namespace tributary::rules::testing {

// A sink that records what it was given and answers with a chosen status, either at
// once or later (to check that the acknowledgement waits for it).
class RecordingSink : public RecordSink {
 public:
  void Put(std::string_view stream, std::string_view record, int64_t arrival_ms,
           RecordDone done) override {
    arrivals.push_back(arrival_ms);
    records[std::string(stream)].emplace_back(record);
    Answer(stream, std::move(done));
  }
  // As the stream takes them: all or none, one answer.
  void PutAll(std::string_view stream, const std::vector<std::string>& batch, int64_t arrival_ms,
              RecordDone done) override {
    for (const std::string& record : batch) {
      arrivals.push_back(arrival_ms);
      records[std::string(stream)].push_back(record);
    }
    put_alls.push_back(batch.size());
    Answer(stream, std::move(done));
  }
  std::map<std::string, std::vector<std::string>> records;
  std::vector<int64_t> arrivals;  // of every record put, in order
  std::vector<size_t> put_alls;   // each PutAll's number of records, in order
  std::map<std::string, Status> answers;
  bool defer = false;
  std::vector<std::function<void()>> deferred;

 private:
  // Answers a put to `stream` as `answers` says (OK by default), now or, with `defer`, later.
  void Answer(std::string_view stream, RecordDone done) {
    Status s = Status::Ok();
    if (auto it = answers.find(std::string(stream)); it != answers.end()) s = it->second;
    if (defer) {
      auto held = std::make_shared<RecordDone>(std::move(done));
      deferred.push_back([held, s] { (*held)(s, 0); });
    } else {
      done(s, 0);
    }
  }
};

// The same for objects (a rule's s3 action).
class RecordingObjects : public ObjectSink {
 public:
  void Put(std::string_view bucket, std::string key, std::string body, ObjectDone done) override {
    objects[std::string(bucket) + "/" + key] = body;
    Status s = answer;
    if (defer) {
      deferred.push_back([done = std::move(done), s] { done(s); });
    } else {
      done(s);
    }
  }
  std::map<std::string, std::string> objects;  // "bucket/key" -> body
  Status answer = Status::Ok();
  bool defer = false;
  std::vector<std::function<void()>> deferred;
};

// And for requests (a rule's http action): answered only when the test says so.
class RecordingHttp : public HttpSink {
 public:
  void Post(HttpPost post, HttpDone done) override {
    posts.push_back(std::move(post));
    dones.push_back(std::move(done));
  }
  std::vector<HttpPost> posts;
  std::vector<HttpDone> dones;
};

struct Published {
  std::string topic, payload;
  int qos;
  mqtt::Properties properties;
  int rule_hops;
};

class RulesEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rules-engine-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = metadata::testing::OpenTestDatabase((dir_ / "metadata.db").string());
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    auto reg = RuleRegistry::Open(db_.get(), &table_);
    ASSERT_TRUE(reg.ok()) << reg.status().message();
    registry_ = std::move(*reg);
    engine_ = std::make_unique<RulesEngine>(
        registry_->rule_set(), &sink_,
        [this](const std::string& t, std::string p, int q, mqtt::Properties props, int hops) {
          published_.push_back({t, p, q, std::move(props), hops});
          if (!loop_back_) return;
          // As the server does: the republished message goes to the rules again.
          broker::InboundMessage again{};
          again.topic = t;
          again.payload = p;
          again.qos = static_cast<mqtt::QoS>(q);
          again.rule_hops = hops;
          engine_->OnPublish(again, {});
        },
        &table_, &objects_, &http_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The counters of rule `name` as it is now.
  const RuleMetrics& Metrics(const std::string& name) {
    auto r = registry_->Get(name);
    EXPECT_TRUE(r.ok() && r->metrics != nullptr) << name;
    static const RuleMetrics none{};
    return r.ok() && r->metrics ? *r->metrics : none;
  }

  // Publishes and returns the acknowledgement: 1 accepted, 0 refused, 2 refused for a
  // limit (quota exceeded), -1 not (yet) called.
  int Publish(const std::string& topic, const std::string& payload, mqtt::QoS qos) {
    broker::InboundMessage msg{};
    msg.client_id = "sensor-1";
    msg.thing = "sensor-1";
    msg.topic = topic;
    msg.payload = payload;
    msg.qos = qos;
    msg.received_at_ms = 1764460800000;  // 2025-11-30T00:00:00Z
    auto ack = std::make_shared<int>(-1);
    std::function<void(broker::PublishVerdict)> done;
    if (qos != mqtt::QoS::kAtMostOnce) {
      done = [ack](broker::PublishVerdict v) {
        *ack = v == broker::PublishVerdict::kAccepted  ? 1
               : v == broker::PublishVerdict::kRefused ? 0
                                                       : 2;
      };
    }
    engine_->OnPublish(msg, done);
    last_ack_ = ack;
    return *ack;
  }

  std::filesystem::path dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<RuleRegistry> registry_;
  MetricsRegistry metrics_;
  RuleMetricsTable table_{&metrics_};
  RecordingSink sink_;
  RecordingObjects objects_;
  RecordingHttp http_;
  std::vector<Published> published_;
  bool loop_back_ = false;  // republished messages go to the engine again
  std::unique_ptr<RulesEngine> engine_;
  std::shared_ptr<int> last_ack_;
};

inline constexpr const char* kReferenceRule = R"({
  "topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/pollution'",
    "ruleDisabled": false,
    "awsIotSqlVersion": "2016-03-23",
    "actions": [{"firehose": {"deliveryStreamName": "pollution", "separator": "\n",
                              "roleArn": "arn:aws:iam::role/"}}]}})";

}  // namespace tributary::rules::testing
