// What the device shadow tests share (shadow_store_test.cc, shadow_service_test.cc,
// shadow_service_race_test.cc): a real metadata database, a store, a service whose
// answers are recorded, the interceptor after it, and a database wrapper that lets
// "another server" write just before each of the service's writes. The fixture is named
// ShadowServiceTest in all three, which the PostgreSQL run selects.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "devices/shadow_service.h"
#include "devices/shadow_store.h"
#include "devices/test_util.h"
#include "metadata/testing/test_database.h"

namespace tributary::devices::shadow_testing {

using metadata::Database;
using nlohmann::json;
using std::chrono::seconds;

inline constexpr auto kWait = seconds(5);

// The interceptor after the service: records what it is given and answers with `verdict`.
class RecordingNext : public broker::MessageInterceptor {
 public:
  struct Seen {
    std::string topic, payload, client_id;
    mqtt::QoS qos;
    bool had_done;
  };
  void OnPublish(const broker::InboundMessage& msg, broker::PublishDone done) override {
    {
      std::lock_guard lock(mu_);
      seen_.push_back({std::string(msg.topic), std::string(msg.payload), std::string(msg.client_id),
                       msg.qos, static_cast<bool>(done)});
    }
    if (done) done(verdict);
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  broker::PublishVerdict verdict = broker::PublishVerdict::kAccepted;

 private:
  std::mutex mu_;
  std::vector<Seen> seen_;
};

// The database as the service sees it, where another server may write to the shadows
// just before each of the service's writes (`before_write`, on the service's worker).
class RacingDatabase : public Database {
 public:
  explicit RacingDatabase(Database* inner) : inner_(inner) {}
  Result<int64_t> Exec(const std::string& sql,
                       const std::vector<metadata::Value>& params) override {
    if (sql.find("device_shadows") != std::string::npos && before_write) {
      ++writes;
      auto hook = before_write;  // a copy: the hook may reset before_write
      hook();
    }
    return inner_->Exec(sql, params);
  }
  Result<std::vector<metadata::Row>> Query(const std::string& sql,
                                           const std::vector<metadata::Value>& params) override {
    return inner_->Query(sql, params);
  }
  Status Transaction(const std::function<Status()>& fn) override { return inner_->Transaction(fn); }
  std::string Describe() const override { return "racing " + inner_->Describe(); }
  Status ExecScript(const std::string& ddl) override { return inner_->ExecScript(ddl); }

  std::function<void()> before_write;
  int writes = 0;

 private:
  Database* inner_;
};

struct Published {
  std::string topic;
  std::string payload;
  json body() const { return json::parse(payload, nullptr, false); }
};

inline ShadowDocument Doc(const char* state, int64_t version) {
  ShadowDocument d;
  d.state = json::parse(state);
  d.metadata = json::object();
  d.version = version;
  d.exists = true;
  return d;
}

inline int64_t NowS() { return WallMillis() / 1000; }

class ShadowServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto store = ShadowStore::Open(db_.get());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    service_ = NewService(&next_);
  }
  void TearDown() override { service_.reset(); }

  std::unique_ptr<ShadowService> NewService(broker::MessageInterceptor* next) {
    return std::make_unique<ShadowService>(
        store_.get(),
        [this](const std::string& topic, std::string payload, int /*rule_hops*/) {
          std::lock_guard lock(mu_);
          published_.push_back({topic, std::move(payload)});
          cv_.notify_all();
        },
        next);
  }

  // Sends a PUBLISH through the service, as the broker does; `done` (absent for QoS 0)
  // counts its calls and keeps the verdicts.
  void Send(const std::string& topic, const std::string& payload,
            mqtt::QoS qos = mqtt::QoS::kAtLeastOnce, ShadowService* service = nullptr) {
    const broker::InboundMessage msg{.client_id = "dev-1",
                                     .thing = "",
                                     .topic = topic,
                                     .payload = payload,
                                     .qos = qos,
                                     .retain = false,
                                     .properties = nullptr,
                                     .received_at_ms = WallMillis(),
                                     .source_ip = "127.0.0.1"};
    broker::PublishDone done;
    if (qos != mqtt::QoS::kAtMostOnce) {
      ++sent_with_done_;
      done = [this](broker::PublishVerdict v) {
        std::lock_guard lock(mu_);
        verdicts_.push_back(v);
      };
    }
    (service != nullptr ? service : service_.get())->OnPublish(msg, std::move(done));
  }

  // Waits (bounded) until at least `n` answers were published; returns them all.
  std::vector<Published> WaitForPublished(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kWait, [&] { return published_.size() >= n; });
    EXPECT_GE(published_.size(), n) << "timed out waiting for " << n << " answers";
    return published_;
  }
  std::vector<Published> PublishedNow() {
    std::lock_guard lock(mu_);
    return published_;
  }
  std::vector<std::string> PublishedTopics() {
    std::vector<std::string> topics;
    for (const auto& p : PublishedNow()) topics.push_back(p.topic);
    return topics;
  }
  void ClearPublished() {
    std::lock_guard lock(mu_);
    published_.clear();
  }
  std::vector<broker::PublishVerdict> Verdicts() {
    std::lock_guard lock(mu_);
    return verdicts_;
  }

  // Execute, waited for (bounded).
  ShadowOutcome Call(ShadowService* service, const std::string& thing, const std::string& shadow,
                     const std::string& operation, const std::string& payload) {
    auto promise = std::make_shared<std::promise<ShadowOutcome>>();
    auto future = promise->get_future();
    service->Execute(thing, shadow, operation, payload,
                     [promise](ShadowOutcome o) { promise->set_value(std::move(o)); });
    if (future.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "Execute(" << thing << ", " << shadow << ", " << operation
                    << ") did not answer";
      return {-1, json()};
    }
    return future.get();
  }
  ShadowOutcome Call(const std::string& thing, const std::string& shadow,
                     const std::string& operation, const std::string& payload) {
    return Call(service_.get(), thing, shadow, operation, payload);
  }

  // Returns once every request queued before has been handled (the worker takes them in
  // order): a get of a shadow that never exists, which publishes nothing.
  void Drain(ShadowService* service = nullptr) {
    ShadowOutcome o =
        Call(service != nullptr ? service : service_.get(), "drain-barrier", "", "get", "");
    ASSERT_EQ(o.status, 404) << o.body.dump();
  }

  ShadowDocument Stored(const std::string& thing, const std::string& shadow) {
    auto doc = store_->Get(thing, shadow);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    return doc.ok() ? *doc : ShadowDocument{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ShadowStore> store_;
  RecordingNext next_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Published> published_;
  std::vector<broker::PublishVerdict> verdicts_;
  int sent_with_done_ = 0;
  std::unique_ptr<ShadowService> service_;  // last: goes first
};

}  // namespace tributary::devices::shadow_testing
