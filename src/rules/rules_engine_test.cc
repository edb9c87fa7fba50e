// The rules engine (RulesEngine): what a rule's actions do with a message and when the
// device is acknowledged, error actions and their documents, counters and logs.
#include "rules/rules_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/base64.h"
#include "base/log.h"
#include "rules/testing/rules_engine_fixture.h"

namespace tributary::rules {
namespace {

using testing::kReferenceRule;
using testing::RulesEngineTest;

TEST_F(RulesEngineTest, ReferenceRuleSendsEveryMessageToTheStream) {
  ASSERT_TRUE(registry_->Create("to_lake", kReferenceRule).ok());
  EXPECT_EQ(Publish("devices/sensor-1/pollution", R"({"ozone":41,"pm10":7})", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(Publish("devices/sensor-2/pollution", R"({"ozone":3})", mqtt::QoS::kAtMostOnce), -1);
  EXPECT_EQ(Publish("devices/sensor-1/other", R"({"ozone":5})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(sink_.records["pollution"].size(), 2u);
  EXPECT_EQ(sink_.records["pollution"][0], "{\"ozone\":41,\"pm10\":7}\n");
  EXPECT_EQ(sink_.records["pollution"][1], "{\"ozone\":3}\n");
  EXPECT_EQ(Metrics("to_lake").matched->Value(), 2u);
  // Records arrive when the broker received the message (the stream dates its keys by it).
  EXPECT_EQ(sink_.arrivals, (std::vector<int64_t>{1764460800000, 1764460800000}));
}

TEST_F(RulesEngineTest, AcknowledgesOnlyWhenTheRecordIsDurable) {
  ASSERT_TRUE(registry_->Create("to_lake", kReferenceRule).ok());
  sink_.defer = true;
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), -1);
  ASSERT_EQ(sink_.deferred.size(), 1u);
  sink_.deferred[0]();
  EXPECT_EQ(*last_ack_, 1);
}

TEST_F(RulesEngineTest, TransientSinkFailureRefusesTheAcknowledgement) {
  ASSERT_TRUE(registry_->Create("to_lake", kReferenceRule).ok());
  // A stream backed up: the device is asked to slow down (MQTT 5 PUBACK 0x97).
  sink_.answers["pollution"] = ResourceExhausted("stream buffer full");
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), 2);
  // A log that cannot be written: an error (0x80).
  sink_.answers["pollution"] = IoError("WAL write: No space left on device");
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), 0);
  EXPECT_EQ(Metrics("to_lake").action_failures->Value(), 2u);
  // The same through the general path (a rule with an error action, two records).
  ASSERT_TRUE(registry_->Create("twice", R"({"topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/twice'",
    "actions": [{"firehose": {"deliveryStreamName": "pollution"}},
                {"firehose": {"deliveryStreamName": "pollution"}}],
    "errorAction": {"republish": {"topic": "errors"}}}})").ok());
  sink_.answers["pollution"] = ResourceExhausted("stream buffer full");
  EXPECT_EQ(Publish("devices/a/twice", "{}", mqtt::QoS::kAtLeastOnce), 2);
  sink_.answers["pollution"] = IoError("WAL write: No space left on device");
  EXPECT_EQ(Publish("devices/a/twice", "{}", mqtt::QoS::kAtLeastOnce), 0);
  EXPECT_TRUE(published_.empty());  // the device sends again: not an error for the action
}

// While a stream refuses every record (backed up, its log not writable), each message is
// refused, but the log says so about once a second, with how many it held back.
TEST_F(RulesEngineTest, ARefusalRepeatedPerMessageIsLoggedAboutOnceASecond) {
  ASSERT_TRUE(registry_->Create("to_lake", kReferenceRule).ok());
  sink_.answers["pollution"] = ResourceExhausted("stream buffer full");
  auto capture = std::make_unique<LogCapture>("rules");
  int refused = 0;
  auto start = std::chrono::steady_clock::now();
  // Past two seconds: at least two reports must come, whatever an earlier test logged.
  while (refused < 1000 || std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2200)) {
    refused += Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce) == 2;
  }
  const std::string text = capture->text();
  capture.reset();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  EXPECT_EQ(Metrics("to_lake").action_failures->Value(), static_cast<uint64_t>(refused));
  std::regex report("record not accepted, the device will send again: stream buffer full "
                    "\\(and ([0-9]+) more since the last report\\)");
  size_t reports = 0;
  uint64_t held = 0;  // in the reports after the first
  for (auto it = std::sregex_iterator(text.begin(), text.end(), report); it != std::sregex_iterator(); ++it) {
    // The first report's count may include refusals an earlier test made in its second.
    if (++reports > 1) held += std::stoull((*it)[1]);
  }
  EXPECT_GE(reports, 2u) << text;
  EXPECT_LE(reports, static_cast<size_t>(seconds) + 2) << text;
  EXPECT_GT(held, 0u) << text;
  // Each later report stands for itself and the refusals it held back, all of this test's.
  EXPECT_LE(held + reports - 1, static_cast<uint64_t>(refused)) << text;
}

TEST_F(RulesEngineTest, MissingStreamGoesToTheErrorActionAndIsAcknowledged) {
  ASSERT_TRUE(registry_->Create("to_lake", R"({"topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/pollution'",
    "actions": [{"firehose": {"deliveryStreamName": "nope"}}],
    "errorAction": {"republish": {"topic": "errors/${topic(2)}", "qos": 1}}}})").ok());
  sink_.answers["nope"] = NotFound("delivery stream 'nope' does not exist");
  EXPECT_EQ(Publish("devices/a/pollution", R"({"ozone":1})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "errors/a");
  auto doc = nlohmann::json::parse(published_[0].payload);
  EXPECT_EQ(doc["ruleName"], "to_lake");
  EXPECT_EQ(doc["failures"][0]["failedAction"], "FirehoseAction");
  EXPECT_EQ(*Base64Decode(doc["base64OriginalPayload"].get<std::string>()), R"({"ozone":1})");
}

// A rule's action failures are logged at warn, at most once a second per rule: a flood of
// one rule's failures takes one line a second, and does not keep another rule's out.
TEST_F(RulesEngineTest, ActionFailuresAreLoggedAtWarnAboutOnceASecondPerRule) {
  // One firehose action and no error action (the engine's short path)...
  ASSERT_TRUE(registry_
                  ->Create("lost", R"({"topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/lost'",
    "actions": [{"firehose": {"deliveryStreamName": "gone"}}]}})")
                  .ok());
  // ...and the general one.
  ASSERT_TRUE(registry_
                  ->Create("reported", R"({"topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/reported'",
    "actions": [{"firehose": {"deliveryStreamName": "gone"}}],
    "errorAction": {"republish": {"topic": "errors"}}}})")
                  .ok());
  sink_.answers["gone"] = NotFound("delivery stream 'gone' does not exist");
  LogCapture capture("rules", spdlog::level::warn);
  const auto start = std::chrono::steady_clock::now();
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(Publish("devices/a/lost", "{}", mqtt::QoS::kAtLeastOnce), 1);
    EXPECT_EQ(Publish("devices/a/reported", "{}", mqtt::QoS::kAtLeastOnce), 1);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string text = capture.text();
  auto count = [&text](const std::string& line) {
    size_t n = 0;
    for (size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) ++n;
    return n;
  };
  const size_t lost =
      count("rule=lost FirehoseAction failed: delivery stream 'gone' does not exist");
  const size_t reported =
      count("rule=reported FirehoseAction on gone failed: delivery stream 'gone' does not exist");
  EXPECT_GE(lost, 1u) << text;
  EXPECT_GE(reported, 1u) << text;
  EXPECT_LE(lost, static_cast<size_t>(seconds) + 1) << text;
  EXPECT_LE(reported, static_cast<size_t>(seconds) + 1) << text;
  EXPECT_EQ(Metrics("lost").action_failures->Value(), static_cast<uint64_t>(kMessages));
  EXPECT_EQ(Metrics("reported").action_failures->Value(), static_cast<uint64_t>(kMessages));
}

// A message acknowledged has its error document stored: a firehose error action holds the
// acknowledgement until its record is durable, and one its stream refuses for a passing
// reason (backed up) refuses the message, which the device sends again.
TEST_F(RulesEngineTest, TheAcknowledgementWaitsForTheErrorActionsRecord) {
  ASSERT_TRUE(registry_
                  ->Create("to_lake", R"({"topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/pollution'",
    "actions": [{"firehose": {"deliveryStreamName": "nope"}}],
    "errorAction": {"firehose": {"deliveryStreamName": "errors"}}}})")
                  .ok());
  ASSERT_TRUE(registry_
                  ->Create("bad_sql", R"({"topicRulePayload": {
    "sql": "SELECT *, 1 AS one FROM 'devices/+/raw'",
    "actions": [{"firehose": {"deliveryStreamName": "raw"}}],
    "errorAction": {"firehose": {"deliveryStreamName": "errors"}}}})")
                  .ok());
  sink_.answers["nope"] = NotFound("delivery stream 'nope' does not exist");
  sink_.answers["errors"] = ResourceExhausted("stream buffer full");
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), 2);
  // So does an evaluation error's document (the payload is not an object).
  EXPECT_EQ(Publish("devices/a/raw", "[1]", mqtt::QoS::kAtLeastOnce), 2);
  // Stored: acknowledged, once the record is durable.
  sink_.answers.erase("errors");
  sink_.defer = true;
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), -1);
  for (size_t i = 0; i < sink_.deferred.size(); ++i) sink_.deferred[i]();  // may add more
  EXPECT_EQ(*last_ack_, 1);
  EXPECT_EQ(sink_.records["errors"].size(), 3u);
  // A stream that does not exist cannot take it ever: the message is acknowledged (the
  // failure logged), as a device's resend would fail the same way.
  sink_.defer = false;
  sink_.answers["errors"] = NotFound("delivery stream 'errors' does not exist");
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), 1);
}

TEST_F(RulesEngineTest, EvaluationErrorGoesToTheErrorActionAndOtherRulesGoOn) {
  ASSERT_TRUE(registry_->Create("a_bad", R"({"sql": "SELECT *, 1 AS one FROM 'd/#'",
    "actions": [{"firehose": {"deliveryStreamName": "s"}}],
    "errorAction": {"firehose": {"deliveryStreamName": "errors", "separator": "\n"}}})").ok());
  ASSERT_TRUE(registry_->Create("b_good", R"({"sql": "SELECT topic(2) AS device FROM 'd/#'",
    "actions": [{"republish": {"topic": "out/${topic(2)}"}}]})").ok());
  // Not a JSON object: SELECT *, ... cannot be built; the second rule still runs.
  Publish("d/x", "not json", mqtt::QoS::kAtMostOnce);
  ASSERT_EQ(sink_.records["errors"].size(), 1u);
  EXPECT_EQ(sink_.arrivals, std::vector<int64_t>{0}) << "an error record arrives when it is made";
  EXPECT_TRUE(sink_.records["s"].empty());
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "out/x");
  EXPECT_EQ(published_[0].payload, R"({"device":"x"})");
  EXPECT_EQ(Metrics("a_bad").errors->Value(), 1u);
}

// A republished message reaches the rules as a client's does, one rule hop deeper: rules
// chain. Rules that republish to each other's topics loop until the message is more than
// kMaxRuleHops deep; there the rules no longer see it, and the drop is counted.
TEST_F(RulesEngineTest, RepublishedMessagesReachTheRulesAndALoopEnds) {
  loop_back_ = true;
  ASSERT_TRUE(registry_
                  ->Create("chain_a", R"({"sql": "SELECT * FROM 'chain/in'",
    "actions": [{"republish": {"topic": "chain/mid", "qos": 1}}]})")
                  .ok());
  ASSERT_TRUE(registry_
                  ->Create("chain_b", R"({"sql": "SELECT *, 'B' AS via FROM 'chain/mid'",
    "actions": [{"republish": {"topic": "chain/out"}}]})")
                  .ok());
  EXPECT_EQ(Publish("chain/in", R"({"x":1})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[0].topic, "chain/mid");
  EXPECT_EQ(published_[0].rule_hops, 1);
  EXPECT_EQ(published_[1].topic, "chain/out");
  EXPECT_EQ(published_[1].payload, R"({"x":1,"via":"B"})");
  EXPECT_EQ(published_[1].rule_hops, 2);

  ASSERT_TRUE(registry_
                  ->Create("ping", R"({"sql": "SELECT * FROM 'loop/a'",
    "actions": [{"republish": {"topic": "loop/b"}}]})")
                  .ok());
  ASSERT_TRUE(registry_
                  ->Create("pong", R"({"sql": "SELECT * FROM 'loop/b'",
    "actions": [{"republish": {"topic": "loop/a"}}]})")
                  .ok());
  published_.clear();
  EXPECT_EQ(Publish("loop/a", "{}", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), static_cast<size_t>(RulesEngine::kMaxRuleHops + 1));
  EXPECT_EQ(published_.back().rule_hops, RulesEngine::kMaxRuleHops + 1);
  EXPECT_EQ(Metrics("ping").matched->Value() + Metrics("pong").matched->Value(),
            static_cast<uint64_t>(RulesEngine::kMaxRuleHops + 1));
  EXPECT_EQ(table_.loop_dropped()->Value(), 1u);
}

// An error action that fails counts apart from the actions' failures and the
// evaluation's; deleting a rule starts its counters again for a rule of the same name.
TEST_F(RulesEngineTest, ErrorActionFailuresAreCountedAndARuleCreatedAgainCountsAfresh) {
  auto failing_with_error_topic = [](const std::string& topic) {
    return R"({"sql": "SELECT *, 1 AS one FROM 'd/#'", "actions": [{"firehose": {"deliveryStreamName": "s"}}],
               "errorAction": {"republish": {"topic": ")" +
           topic + R"("}}})";
  };
  ASSERT_TRUE(registry_->Create("bad", failing_with_error_topic("errors/${dest}")).ok());
  // Not JSON: the evaluation fails; the error document's topic renders "errors/": sent.
  Publish("d/x", "not json", mqtt::QoS::kAtMostOnce);
  EXPECT_EQ(Metrics("bad").errors->Value(), 1u);
  EXPECT_EQ(Metrics("bad").error_action_failures->Value(), 0u);
  ASSERT_EQ(published_.size(), 1u);
  ASSERT_TRUE(registry_->Replace("bad", failing_with_error_topic("${dest}")).ok());
  // Now it renders "": no topic, the error document goes nowhere, counted.
  Publish("d/x", "not json", mqtt::QoS::kAtMostOnce);
  EXPECT_EQ(Metrics("bad").errors->Value(), 2u);
  EXPECT_EQ(Metrics("bad").error_action_failures->Value(), 1u);
  EXPECT_EQ(published_.size(), 1u);
  EXPECT_NE(metrics_.Render().find("tributary_rule_error_action_failures_total{rule=\"bad\"} 1"),
            std::string::npos);

  ASSERT_TRUE(registry_->Delete("bad").ok());
  EXPECT_EQ(metrics_.Render().find("rule=\"bad\""), std::string::npos) << "deleted, still shown";
  ASSERT_TRUE(registry_->Create("bad", failing_with_error_topic("${dest}")).ok());
  EXPECT_EQ(Metrics("bad").errors->Value(), 0u);
  EXPECT_EQ(Metrics("bad").error_action_failures->Value(), 0u);
  EXPECT_NE(metrics_.Render().find("tributary_rule_error_action_failures_total{rule=\"bad\"} 0"),
            std::string::npos);
}

// What a deleted rule's actions report after it is gone (an http request retrying, its
// error document not sent) counts into its own counters, not into a rule created again
// under its name, which counts its own messages only.
TEST_F(RulesEngineTest, ADeletedRulesLateFailuresDoNotCountOnARuleCreatedAgain) {
  const std::string rule = R"({"sql": "SELECT level FROM 'devices/+/alarm'",
    "actions": [{"http": {"url": "https://hooks.example/alarm"}}],
    "errorAction": {"republish": {"topic": "${nowhere}"}}})";
  ASSERT_TRUE(registry_->Create("alarms", rule).ok());
  // Held here to read it once the request is answered (it would be let go then).
  const std::shared_ptr<const RuleMetrics> old = registry_->Get("alarms")->metrics;
  EXPECT_EQ(Publish("devices/d1/alarm", R"({"level":3})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(http_.dones.size(), 1u);
  ASSERT_TRUE(registry_->Delete("alarms").ok());
  ASSERT_TRUE(registry_->Create("alarms", rule).ok());
  EXPECT_NE(&Metrics("alarms"), old.get());

  // The old rule's request fails for good now; its error document renders no topic.
  http_.dones[0](Unavailable("POST https://hooks.example/alarm answered 503"));
  EXPECT_EQ(old->action_failures->Value(), 1u);
  EXPECT_EQ(old->error_action_failures->Value(), 1u);
  const RuleMetrics& fresh = Metrics("alarms");
  EXPECT_EQ(fresh.matched->Value(), 0u);
  EXPECT_EQ(fresh.action_failures->Value(), 0u);
  EXPECT_EQ(fresh.error_action_failures->Value(), 0u);
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find("tributary_rule_action_failures_total{rule=\"alarms\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tributary_rule_error_action_failures_total{rule=\"alarms\"} 0"),
            std::string::npos)
      << text;

  // The new rule counts its own.
  EXPECT_EQ(Publish("devices/d1/alarm", R"({"level":4})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(http_.dones.size(), 2u);
  http_.dones[1](Unavailable("POST https://hooks.example/alarm answered 503"));
  EXPECT_EQ(fresh.matched->Value(), 1u);
  EXPECT_EQ(fresh.action_failures->Value(), 1u);
  EXPECT_EQ(fresh.error_action_failures->Value(), 1u);
  EXPECT_EQ(old->action_failures->Value(), 1u);
}

// A rule created and deleted over and over (by automation, say) leaves no counters
// behind: a deleted rule's set is freed once nothing of its work is under way, so the
// sets held stay those of the rules there are (and of a rule set a thread last read).
TEST_F(RulesEngineTest, RulesCreatedAndDeletedOverAndOverKeepNoCountersBehind) {
  const std::string rule = R"({"sql": "SELECT level FROM 'devices/+/alarm'",
    "actions": [{"firehose": {"deliveryStreamName": "alarms"}}],
    "errorAction": {"republish": {"topic": "errors"}}})";
  ASSERT_TRUE(registry_->Create("steady", kReferenceRule).ok());
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(registry_->Create("churn", rule).ok());
    EXPECT_EQ(Publish("devices/d1/alarm", R"({"level":3})", mqtt::QoS::kAtLeastOnce), 1);
    EXPECT_EQ(Metrics("churn").matched->Value(), 1u);
    ASSERT_TRUE(registry_->Delete("churn").ok());
    // "steady" and the last "churn", held by this thread's cached rule set at most.
    ASSERT_LE(table_.sets_held(), 2u) << "after " << i + 1 << " rules";
  }
  EXPECT_EQ(Publish("devices/d1/pollution", "{}", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(table_.sets_held(), 1u);
  const std::string text = metrics_.Render();
  EXPECT_EQ(text.find("rule=\"churn\""), std::string::npos) << text;
  EXPECT_NE(text.find("tributary_rule_matched_total{rule=\"steady\"} 1"), std::string::npos)
      << text;
}

// A single firehose action's record settles after its rule was deleted, created again,
// and the deleted one's counters let go: the failure counts nowhere (the old series are
// off /metrics), never into the new rule, and touches nothing freed.
TEST_F(RulesEngineTest, ASingleFirehoseFailureAfterItsRuleWasLetGoCountsNowhere) {
  ASSERT_TRUE(registry_->Create("to_lake", kReferenceRule).ok());
  sink_.defer = true;
  sink_.answers["pollution"] = ResourceExhausted("delivery stream 'pollution' is backed up");
  EXPECT_EQ(Publish("devices/a/pollution", "{}", mqtt::QoS::kAtLeastOnce), -1);
  auto first_ack = last_ack_;
  ASSERT_TRUE(registry_->Delete("to_lake").ok());
  ASSERT_TRUE(registry_->Create("to_lake", kReferenceRule).ok());
  // Publishing again refreshes this thread's rule set: nothing holds the old rule now.
  sink_.answers.erase("pollution");
  EXPECT_EQ(Publish("devices/a/other", "{}", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(table_.sets_held(), 1u);

  ASSERT_EQ(sink_.deferred.size(), 1u);
  sink_.deferred[0]();
  EXPECT_EQ(*first_ack, 2) << "refused for a limit: the device sends it again";
  EXPECT_EQ(Metrics("to_lake").action_failures->Value(), 0u);
  EXPECT_NE(metrics_.Render().find("tributary_rule_action_failures_total{rule=\"to_lake\"} 0"),
            std::string::npos);
}

TEST_F(RulesEngineTest, WhereFiltersAndDisabledRulesDoNothing) {
  ASSERT_TRUE(registry_->Create("hot", R"({"sql": "SELECT ozone FROM 'd/+' WHERE ozone > 50",
    "actions": [{"firehose": {"deliveryStreamName": "hot", "separator": ","}}]})").ok());
  Publish("d/a", R"({"ozone":10})", mqtt::QoS::kAtMostOnce);
  Publish("d/a", R"({"ozone":60})", mqtt::QoS::kAtMostOnce);
  ASSERT_TRUE(registry_->SetEnabled("hot", false).ok());
  Publish("d/a", R"({"ozone":70})", mqtt::QoS::kAtMostOnce);
  ASSERT_EQ(sink_.records["hot"].size(), 1u);
  EXPECT_EQ(sink_.records["hot"][0], R"({"ozone":60},)");
}

TEST_F(RulesEngineTest, BatchModeSendsEachArrayElementAsARecord) {
  ASSERT_TRUE(registry_->Create("batch", R"({"sql": "SELECT VALUE readings FROM 'b/+'",
    "actions": [{"firehose": {"deliveryStreamName": "s", "separator": "\n", "batchMode": true}}],
    "errorAction": {"republish": {"topic": "errors/batch"}}})").ok());
  EXPECT_EQ(Publish("b/x", R"({"readings": [{"o": 1}, {"o": 2}, 3]})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(sink_.records["s"].size(), 3u);
  EXPECT_EQ(sink_.put_alls, std::vector<size_t>{3});  // together: all taken or none
  EXPECT_EQ(sink_.records["s"][0], "{\"o\":1}\n");
  EXPECT_EQ(sink_.records["s"][2], "3\n");
  EXPECT_EQ(sink_.arrivals, std::vector<int64_t>(3, 1764460800000));
  // Not an array: the error action gets it, nothing goes to the stream.
  Publish("b/x", R"({"readings": {"o": 1}})", mqtt::QoS::kAtMostOnce);
  EXPECT_EQ(sink_.records["s"].size(), 3u);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_NE(published_[0].payload.find("batchMode"), std::string::npos) << published_[0].payload;
}

// A batchMode message's elements go to the stream in one put (the stream takes all of
// them or none), answered once: refused, the message is refused once (the device sends
// it again, no error document); each action's put is its own, to each of its streams.
TEST_F(RulesEngineTest, BatchModeElementsArePutTogetherAndRefusedTogether) {
  ASSERT_TRUE(registry_
                  ->Create("batch", R"({"sql": "SELECT VALUE readings FROM 'b/+'",
    "actions": [{"firehose": {"deliveryStreamName": "s", "separator": "\n", "batchMode": true}},
                {"firehose": {"deliveryStreamName": "t", "batchMode": true}}],
    "errorAction": {"republish": {"topic": "errors/batch"}}})")
                  .ok());
  sink_.answers["s"] = ResourceExhausted("delivery stream 's' is backed up");
  EXPECT_EQ(Publish("b/x", R"({"readings": [1, 2, 3]})", mqtt::QoS::kAtLeastOnce), 2);
  EXPECT_EQ(sink_.put_alls, (std::vector<size_t>{3, 3}));
  EXPECT_EQ(sink_.records["s"], (std::vector<std::string>{"1\n", "2\n", "3\n"}));
  EXPECT_EQ(sink_.records["t"], (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(Metrics("batch").action_failures->Value(), 1u);  // one refusal, not one per element
  EXPECT_TRUE(published_.empty()) << "a refusal the device retries sends no error document";
  // No such stream: one failure in the error document, not one per element.
  sink_.answers["s"] = NotFound("delivery stream 's' does not exist");
  EXPECT_EQ(Publish("b/x", R"({"readings": [1, 2]})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), 1u);
  auto doc = nlohmann::json::parse(published_[0].payload);
  ASSERT_EQ(doc["failures"].size(), 1u) << published_[0].payload;
  EXPECT_EQ(doc["failures"][0]["failedResource"], "s");
}

TEST_F(RulesEngineTest, S3ActionWritesOneObjectPerMessageAndAcknowledgesOnceStored) {
  ASSERT_TRUE(registry_->Create("images", R"({"sql": "SELECT * FROM 'cams/+/frame'",
    "actions": [{"s3": {"bucketName": "frames", "key": "${topic(2)}/${timestamp()}.json"}}]})").ok());
  objects_.defer = true;
  EXPECT_EQ(Publish("cams/c1/frame", R"({"w":640})", mqtt::QoS::kAtLeastOnce), -1)
      << "acknowledged before the object was stored";
  ASSERT_EQ(objects_.deferred.size(), 1u);
  objects_.deferred[0]();
  EXPECT_EQ(*last_ack_, 1);
  EXPECT_EQ(objects_.objects.at("frames/c1/1764460800000.json"), R"({"w":640})");
  EXPECT_EQ(Metrics("images").matched->Value(), 1u);
}

TEST_F(RulesEngineTest, S3ActionFailuresRefuseOrGoToTheErrorAction) {
  ASSERT_TRUE(registry_->Create("images", R"({"sql": "SELECT * FROM 'cams/+/frame'",
    "actions": [{"s3": {"bucketName": "frames", "key": "${topic(2)}/${get(*, 'name')}"}}],
    "errorAction": {"republish": {"topic": "errors/${topic(2)}"}}})").ok());
  // A store that is full for now: the device sends again, nothing goes to the error action.
  objects_.answer = ResourceExhausted("object queue full");
  EXPECT_EQ(Publish("cams/c1/frame", R"({"name":"a"})", mqtt::QoS::kAtLeastOnce), 2);
  EXPECT_TRUE(published_.empty());
  // A store that refuses the key for good: the error action, and the message is taken.
  objects_.answer = InvalidArgument("key refused");
  EXPECT_EQ(Publish("cams/c1/frame", R"({"name":"b"})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), 1u);
  auto doc = nlohmann::json::parse(published_[0].payload);
  EXPECT_EQ(doc["failures"][0]["failedAction"], "S3Action");
  EXPECT_EQ(doc["failures"][0]["errorMessage"], "bucket 'frames' key 'c1/b': key refused");
  // So does a key the store cannot take (another object's prefix in the local store).
  objects_.answer = FailedPrecondition("'c1/c' is a prefix of other objects");
  EXPECT_EQ(Publish("cams/c1/frame", R"({"name":"c"})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), 2u);
  published_.erase(published_.begin(), published_.begin() + 1);
  // A key that renders empty ("c1/" + nothing is fine; a missing field renders "") never
  // reaches the store when it is unusable.
  objects_.answer = Status::Ok();
  size_t before = objects_.objects.size();
  EXPECT_EQ(Publish("cams/c1/frame", R"({"name":".."})", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(objects_.objects.size(), before);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_NE(nlohmann::json::parse(published_[1].payload)["failures"][0]["errorMessage"]
                .get<std::string>()
                .find("rendered an unusable key"),
            std::string::npos);
  EXPECT_EQ(Metrics("images").action_failures->Value(), 4u);
}

TEST_F(RulesEngineTest, S3ErrorActionStoresTheErrorDocument) {
  ASSERT_TRUE(registry_->Create("to_lake", R"({"sql": "SELECT * FROM 'd/+'",
    "actions": [{"firehose": {"deliveryStreamName": "nope"}}],
    "errorAction": {"s3": {"bucketName": "errors", "key": "${topic(2)}/${newuuid()}"}}})").ok());
  sink_.answers["nope"] = NotFound("delivery stream 'nope' does not exist");
  EXPECT_EQ(Publish("d/x", R"({"a":1})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(objects_.objects.size(), 1u);
  const auto& [where, body] = *objects_.objects.begin();
  EXPECT_EQ(where.substr(0, 9), "errors/x/");
  auto doc = nlohmann::json::parse(body);
  EXPECT_EQ(doc["ruleName"], "to_lake");
  EXPECT_EQ(doc["failures"][0]["failedAction"], "FirehoseAction");
}

// A SET variable holds one value per message and rule: the output, every action's
// template and an error action that runs after a failed delivery all see the same
// newuuid(); the next message gets another.
TEST_F(RulesEngineTest, SetVariablesHoldOneValuePerMessage) {
  ASSERT_TRUE(registry_->Create("ids", R"({"sql": "SET @id = newuuid(), @dev = upper(topic(2)) SELECT @id AS id, @dev AS dev FROM 'cams/+/frame'",
    "actions": [{"republish": {"topic": "ids/${@dev}/${@id}",
                               "headers": {"userProperties": [{"key": "id", "value": "${@id}"}]}}},
                {"s3": {"bucketName": "frames", "key": "${@dev}/${@id}.json"}}],
    "errorAction": {"republish": {"topic": "errors/${@id}"}}})").ok());
  objects_.defer = true;
  objects_.answer = InvalidArgument("key refused");  // answered when the test says
  EXPECT_EQ(Publish("cams/c1/frame", R"({"w":640})", mqtt::QoS::kAtLeastOnce), -1);
  ASSERT_EQ(published_.size(), 1u);
  auto out = nlohmann::json::parse(published_[0].payload);
  std::string id = out["id"];
  EXPECT_EQ(id.size(), 36u) << published_[0].payload;
  EXPECT_EQ(out["dev"], "C1");
  EXPECT_EQ(published_[0].topic, "ids/C1/" + id);
  ASSERT_EQ(published_[0].properties.user_properties.size(), 1u);
  EXPECT_EQ(published_[0].properties.user_properties[0].second, id);
  EXPECT_EQ(objects_.objects.count("frames/C1/" + id + ".json"), 1u);
  // The store refuses the object for good once the message was handled: the error
  // action, run later, renders the id the actions saw.
  ASSERT_EQ(objects_.deferred.size(), 1u);
  objects_.deferred[0]();
  EXPECT_EQ(*last_ack_, 1);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].topic, "errors/" + id);
  // Another message, another id.
  objects_.defer = false;
  objects_.answer = Status::Ok();
  EXPECT_EQ(Publish("cams/c1/frame", R"({"w":640})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(published_.size(), 3u);
  EXPECT_NE(nlohmann::json::parse(published_[2].payload)["id"], id);
}

// As in AWS IoT, one error document per rule and message lists every action that
// failed, with the resource it failed on, once the last action has settled.
TEST_F(RulesEngineTest, OneErrorDocumentListsEveryFailedActionOfTheMessage) {
  ASSERT_TRUE(registry_->Create("fanout", R"({"sql": "SELECT * FROM 'cams/+/frame'",
    "actions": [{"republish": {"topic": "out/${bad}"}},
                {"firehose": {"deliveryStreamName": "frames"}},
                {"s3": {"bucketName": "archive", "key": "${topic(2)}.json"}},
                {"firehose": {"deliveryStreamName": "gone"}}],
    "errorAction": {"republish": {"topic": "errors/${topic(2)}"}}})").ok());
  sink_.answers["gone"] = NotFound("delivery stream 'gone' does not exist");
  objects_.defer = true;
  objects_.answer = InvalidArgument("key refused");
  // "out/" + "a/#" is no topic name: the republish fails now; the stream 'gone' as soon as
  // its record is put; the object only when the store answers.
  EXPECT_EQ(Publish("cams/c1/frame", R"({"bad":"a/#"})", mqtt::QoS::kAtLeastOnce), -1);
  EXPECT_TRUE(published_.empty()) << "the error document went out before the s3 action settled";
  ASSERT_EQ(objects_.deferred.size(), 1u);
  objects_.deferred[0]();
  EXPECT_EQ(*last_ack_, 1);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "errors/c1");
  auto doc = nlohmann::json::parse(published_[0].payload);
  EXPECT_EQ(doc["ruleName"], "fanout");
  ASSERT_EQ(doc["failures"].size(), 3u) << doc.dump();
  std::map<std::string, nlohmann::json> by_resource;
  for (const auto& f : doc["failures"]) by_resource[f["failedResource"].get<std::string>()] = f;
  // The topic as rendered, not the template.
  EXPECT_EQ(by_resource["out/a/#"]["failedAction"], "RepublishAction");
  EXPECT_EQ(by_resource.count("out/${bad}"), 0u);
  EXPECT_EQ(by_resource["gone"]["failedAction"], "FirehoseAction");
  // The stream's error names it: not said twice.
  EXPECT_EQ(by_resource["gone"]["errorMessage"], "delivery stream 'gone' does not exist");
  EXPECT_EQ(by_resource["archive"]["failedAction"], "S3Action");
  EXPECT_EQ(by_resource["archive"]["errorMessage"], "bucket 'archive' key 'c1.json': key refused");
  EXPECT_EQ(sink_.records["frames"].size(), 1u);
  EXPECT_EQ(Metrics("fanout").action_failures->Value(), 3u);
  // A message on which nothing fails sends no document.
  objects_.defer = false;
  objects_.answer = Status::Ok();
  sink_.answers.erase("gone");
  EXPECT_EQ(Publish("cams/c2/frame", R"({"bad":"fine"})", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(published_.size(), 2u);  // the republish itself, no error document
  EXPECT_EQ(published_[1].topic, "out/fine");
}

TEST_F(RulesEngineTest, HttpActionPostsWithoutHoldingTheAcknowledgement) {
  ASSERT_TRUE(registry_->Create("alarms", R"({"sql": "SELECT level FROM 'devices/+/alarm'",
    "actions": [{"http": {"url": "https://hooks.example/alarm/${topic(2)}",
                          "headers": [{"key": "X-Client", "value": "${clientid()}"}]}}],
    "errorAction": {"republish": {"topic": "errors/${topic(2)}"}}})").ok());
  // Acknowledged at once: the endpoint has not answered yet.
  EXPECT_EQ(Publish("devices/d1/alarm", R"({"level":3,"x":1})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(http_.posts.size(), 1u);
  EXPECT_EQ(http_.posts[0].base, "https://hooks.example");
  EXPECT_EQ(http_.posts[0].target, "/alarm/d1");
  EXPECT_EQ(http_.posts[0].body, R"({"level":3})");
  EXPECT_TRUE(http_.posts[0].json);
  ASSERT_EQ(http_.posts[0].headers.size(), 1u);
  EXPECT_EQ(http_.posts[0].headers[0].second, "sensor-1");
  http_.dones[0](Status::Ok());
  EXPECT_TRUE(published_.empty());

  // A request that failed for good goes to the error action, with the original message.
  EXPECT_EQ(Publish("devices/d2/alarm", R"({"level":9})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(http_.dones.size(), 2u);
  http_.dones[1](Unavailable("POST https://hooks.example/alarm/d2 answered 503 (after 3 attempts)"));
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "errors/d2");
  auto doc = nlohmann::json::parse(published_[0].payload);
  EXPECT_EQ(doc["failures"][0]["failedAction"], "HttpAction");
  EXPECT_EQ(doc["failures"][0]["errorMessage"],
            "POST https://hooks.example/alarm/d2 answered 503 (after 3 attempts)");
  EXPECT_EQ(*Base64Decode(doc["base64OriginalPayload"].get<std::string>()), R"({"level":9})");
  EXPECT_EQ(Metrics("alarms").action_failures->Value(), 1u);
}

TEST_F(RulesEngineTest, RepublishHeadersBecomeMqtt5Properties) {
  ASSERT_TRUE(registry_->Create("reply", R"({"sql": "SELECT * FROM 'devices/+/req'",
    "actions": [{"republish": {"topic": "replies/${topic(2)}", "qos": 1, "headers": {
      "payloadFormatIndicator": "UTF8_DATA", "contentType": "application/json",
      "responseTopic": "devices/${topic(2)}/resp", "correlationData": "${encode(id, 'base64')}",
      "messageExpiry": "${ttl}",
      "userProperties": [{"key": "device", "value": "${topic(2)}"}, {"key": "k", "value": "v"}]}}}],
    "errorAction": {"republish": {"topic": "errors/reply"}}})").ok());
  Publish("devices/d1/req", R"({"id":"abc","ttl":30})", mqtt::QoS::kAtMostOnce);
  ASSERT_EQ(published_.size(), 1u);
  const mqtt::Properties& p = published_[0].properties;
  EXPECT_EQ(published_[0].topic, "replies/d1");
  EXPECT_EQ(p.payload_format_indicator, std::optional<uint8_t>(1));
  EXPECT_EQ(p.content_type, std::optional<std::string>("application/json"));
  EXPECT_EQ(p.response_topic, std::optional<std::string>("devices/d1/resp"));
  EXPECT_EQ(p.correlation_data, std::optional<std::string>("abc"));
  EXPECT_EQ(p.message_expiry_interval, std::optional<uint32_t>(30));
  EXPECT_EQ(p.user_properties,
            (mqtt::UserProperties{{"device", "d1"}, {"k", "v"}}));

  // An expiry that is not a number of seconds: the error action says so.
  Publish("devices/d1/req", R"({"id":"abc","ttl":"soon"})", mqtt::QoS::kAtMostOnce);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].topic, "errors/reply");
  EXPECT_EQ(nlohmann::json::parse(published_[1].payload)["failures"][0]["errorMessage"],
            "republish messageExpiry rendered 'soon', which is not a number of seconds "
            "(0..4294967295)");
  EXPECT_FALSE(published_[1].properties.message_expiry_interval.has_value());
}

}  // namespace
}  // namespace tributary::rules
