#include "devices/shadow_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "devices/shadow_store.h"
#include "devices/test_util.h"
#include "metadata/testing/test_database.h"

namespace tributary::devices {
namespace {

using metadata::Database;
using nlohmann::json;
using std::chrono::seconds;

constexpr auto kWait = seconds(5);

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

ShadowDocument Doc(const char* state, int64_t version) {
  ShadowDocument d;
  d.state = json::parse(state);
  d.metadata = json::object();
  d.version = version;
  d.exists = true;
  return d;
}

int64_t NowS() { return WallMillis() / 1000; }

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
        [this](const std::string& topic, std::string payload) {
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

// ---------------------------------------------------------------------------------------
// ShadowStore.

TEST_F(ShadowServiceTest, StoreGetOfNoneIsVersionZero) {
  ShadowDocument doc = Stored("nobody", "");
  EXPECT_EQ(doc.version, 0);
  EXPECT_FALSE(doc.exists);
  EXPECT_EQ(doc.state, json::object());
  EXPECT_EQ(doc.metadata, json::object());
  EXPECT_EQ(Stored("nobody", "named").version, 0);
  EXPECT_FALSE(Stored("nobody", "named").exists);
}

TEST_F(ShadowServiceTest, StorePutInsertsOnceThenWritesOnlyOverTheVersionRead) {
  ShadowDocument v1 = Doc(R"({"reported":{"t":20.5,"list":[1,"a",null]}})", 1);
  v1.metadata = json::parse(R"({"reported":{"t":{"timestamp":100},"list":{"timestamp":100}}})");
  ASSERT_TRUE(store_->Put("lamp", "", v1, 0).ok());

  ShadowDocument got = Stored("lamp", "");
  EXPECT_TRUE(got.exists);
  EXPECT_EQ(got.version, 1);
  EXPECT_EQ(got.state, v1.state);
  EXPECT_EQ(got.metadata, v1.metadata);

  // A second creation loses: another server created it meanwhile.
  Status again = store_->Put("lamp", "", Doc(R"({"reported":{"t":1}})", 1), 0);
  EXPECT_EQ(again.code(), ErrorCode::kFailedPrecondition) << again.ToString();
  EXPECT_EQ(Stored("lamp", "").state, v1.state);

  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"t":21}})", 2), 1).ok());
  // Written over version 1 again: stale.
  Status stale = store_->Put("lamp", "", Doc(R"({"reported":{"t":99}})", 2), 1);
  EXPECT_EQ(stale.code(), ErrorCode::kFailedPrecondition) << stale.ToString();
  // Over a version never stored.
  Status future = store_->Put("lamp", "", Doc(R"({"reported":{"t":99}})", 6), 5);
  EXPECT_EQ(future.code(), ErrorCode::kFailedPrecondition) << future.ToString();
  // An update of a shadow that does not exist.
  Status missing = store_->Put("ghost", "", Doc(R"({"reported":{"t":99}})", 2), 1);
  EXPECT_EQ(missing.code(), ErrorCode::kFailedPrecondition) << missing.ToString();
  EXPECT_EQ(Stored("ghost", "").version, 0);

  got = Stored("lamp", "");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.state, json::parse(R"({"reported":{"t":21}})"));

  // The classic shadow and a named one of the same thing are apart.
  ASSERT_TRUE(store_->Put("lamp", "cfg", Doc(R"({"desired":{"x":1}})", 1), 0).ok());
  EXPECT_EQ(Stored("lamp", "cfg").state, json::parse(R"({"desired":{"x":1}})"));
  EXPECT_EQ(Stored("lamp", "").version, 2);
}

TEST_F(ShadowServiceTest, StoreDeleteOnlyOfTheVersionReadAndKeepsTheVersion) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":1}})", 1), 0).ok());
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":2}})", 2), 1).ok());
  ASSERT_TRUE(store_->Put("lamp", "cfg", Doc(R"({"reported":{"b":1}})", 1), 0).ok());

  Status stale = store_->Delete("lamp", "", 1);
  EXPECT_EQ(stale.code(), ErrorCode::kFailedPrecondition) << stale.ToString();
  EXPECT_TRUE(Stored("lamp", "").exists);
  EXPECT_EQ(Stored("lamp", "").version, 2);

  ASSERT_TRUE(store_->Delete("lamp", "", 2).ok());
  ShadowDocument deleted = Stored("lamp", "");
  EXPECT_FALSE(deleted.exists);
  EXPECT_EQ(deleted.version, 2) << "the last version is kept";
  EXPECT_EQ(deleted.state, json::object()) << "nothing of the state is kept";
  EXPECT_EQ(deleted.metadata, json::object());
  EXPECT_TRUE(Stored("lamp", "cfg").exists) << "a named shadow stays";

  // Deleted once only.
  Status gone = store_->Delete("lamp", "", 2);
  EXPECT_EQ(gone.code(), ErrorCode::kFailedPrecondition) << gone.ToString();
  Status missing = store_->Delete("ghost", "", 0);
  EXPECT_EQ(missing.code(), ErrorCode::kFailedPrecondition) << missing.ToString();

  // Made again over the version read (the deleted one's), not as a new row.
  Status as_new = store_->Put("lamp", "", Doc(R"({"reported":{"a":3}})", 1), 0);
  EXPECT_EQ(as_new.code(), ErrorCode::kFailedPrecondition) << as_new.ToString();
  Status as_if_there = store_->Put("lamp", "", Doc(R"({"reported":{"a":3}})", 3), 2);  // read as existing
  EXPECT_EQ(as_if_there.code(), ErrorCode::kFailedPrecondition) << as_if_there.ToString();
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":3}})", 3), 2, /*read_existed=*/false).ok());
  ShadowDocument again = Stored("lamp", "");
  EXPECT_TRUE(again.exists);
  EXPECT_EQ(again.version, 3);
  EXPECT_EQ(again.state, json::parse(R"({"reported":{"a":3}})"));
}

TEST_F(ShadowServiceTest, StoreListNamedInByteOrderWithoutTheClassicShadow) {
  const std::vector<std::string> names = {"b", "B", "a", "Z9", "_x", "-y", "a-b", "ab", "a:1"};
  ASSERT_TRUE(store_->Put("lamp", "", Doc("{}", 1), 0).ok());
  for (const auto& n : names) ASSERT_TRUE(store_->Put("lamp", n, Doc("{}", 1), 0).ok()) << n;
  ASSERT_TRUE(store_->Put("other", "zz", Doc("{}", 1), 0).ok());

  auto listed = store_->ListNamed("lamp");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> want = names;
  std::sort(want.begin(), want.end());  // byte order
  EXPECT_EQ(*listed, want);

  auto other = store_->ListNamed("other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::vector<std::string>{"zz"});
  auto none = store_->ListNamed("nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(store_->Delete("lamp", "ab", 1).ok());
  listed = store_->ListNamed("lamp");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(std::count(listed->begin(), listed->end(), "ab"), 0);
  EXPECT_EQ(listed->size(), names.size() - 1);
}

TEST_F(ShadowServiceTest, StoreOpensAgainOverItsTable) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":1}})", 1), 0).ok());
  auto again = ShadowStore::Open(db_.get());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto doc = (*again)->Get("lamp", "");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->version, 1);
  EXPECT_EQ(doc->state, json::parse(R"({"reported":{"a":1}})"));
}

TEST_F(ShadowServiceTest, ValidateShadowNames) {
  for (const auto& [thing, shadow] : std::vector<std::pair<std::string, std::string>>{
           {"t", ""},
           {"lamp-1:kitchen_A", ""},
           {"lamp", "cfg"},
           {"lamp", "a:b_c-D9"},
           {std::string(128, 't'), ""},
           {"lamp", std::string(64, 's')},
       }) {
    EXPECT_TRUE(ValidateShadowNames(thing, shadow).ok()) << thing << " / " << shadow;
  }
  struct Bad {
    std::string thing, shadow, in_message;
  };
  for (const auto& b : std::vector<Bad>{
           {"", "", "thing name"},
           {std::string(129, 't'), "", "thing name"},
           {"a b", "", "thing name 'a b'"},
           {"a/b", "", "thing name"},
           {"a+b", "", "thing name"},
           {"a#", "", "thing name"},
           {"a.b", "", "thing name"},
           {"caf\xc3\xa9", "", "thing name"},
           {"", "cfg", "thing name"},
           {"lamp", std::string(65, 's'), "shadow name"},
           {"lamp", "x y", "shadow name 'x y'"},
           {"lamp", "a/b", "shadow name"},
           {"lamp", "a.b", "shadow name"},
       }) {
    Status st = ValidateShadowNames(b.thing, b.shadow);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << b.thing << " / " << b.shadow;
    EXPECT_NE(st.message().find(b.in_message), std::string::npos) << st.message();
  }
}

// ---------------------------------------------------------------------------------------
// The service over MQTT.

TEST_F(ShadowServiceTest, UpdatePublishesAcceptedDocumentsAndDelta) {
  const int64_t before = NowS();
  Send("$aws/things/lamp/shadow/update",
       R"({"state":{"desired":{"color":"red"},"reported":{"color":"green"}},"clientToken":"c1"})");
  auto out = WaitForPublished(3);
  Drain();
  const int64_t after = NowS();
  out = PublishedNow();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/update/accepted");
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/update/documents");
  EXPECT_EQ(out[2].topic, "$aws/things/lamp/shadow/update/delta");

  json accepted = out[0].body();
  EXPECT_EQ(accepted["state"],
            json::parse(R"({"desired":{"color":"red"},"reported":{"color":"green"}})"));
  EXPECT_EQ(accepted["version"], 1);
  EXPECT_EQ(accepted["clientToken"], "c1");
  const int64_t ts = accepted["timestamp"].get<int64_t>();
  EXPECT_GE(ts, before);
  EXPECT_LE(ts, after);
  EXPECT_EQ(accepted["metadata"]["desired"]["color"]["timestamp"], ts);

  json documents = out[1].body();
  EXPECT_FALSE(documents.contains("previous")) << documents.dump();
  EXPECT_EQ(documents["current"]["version"], 1);
  EXPECT_EQ(documents["current"]["state"], accepted["state"]);
  EXPECT_EQ(documents["clientToken"], "c1");

  json delta = out[2].body();
  EXPECT_EQ(delta["state"], json::parse(R"({"color":"red"})"));
  EXPECT_EQ(delta["version"], 1);
  EXPECT_EQ(delta["clientToken"], "c1");

  ShadowDocument stored = Stored("lamp", "");
  EXPECT_EQ(stored.version, 1);
  EXPECT_EQ(stored.state, accepted["state"]);

  // The device reports what was asked: accepted and documents, no delta.
  ClearPublished();
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"color":"red"}}})");
  WaitForPublished(2);
  Drain();
  out = PublishedNow();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/update/accepted");
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/update/documents");
  EXPECT_EQ(out[0].body()["version"], 2);
  EXPECT_FALSE(out[0].body().contains("clientToken"));
  EXPECT_EQ(out[1].body()["previous"]["version"], 1);
  EXPECT_EQ(out[1].body()["previous"]["state"]["reported"]["color"], "green");
  EXPECT_EQ(out[1].body()["current"]["state"]["reported"]["color"], "red");
  EXPECT_EQ(Stored("lamp", "").version, 2);
}

TEST_F(ShadowServiceTest, NamedShadowIsApartFromTheClassicOne) {
  Send("$aws/things/lamp/shadow/name/cfg/update", R"({"state":{"reported":{"rate":5}}})");
  WaitForPublished(2);
  Drain();
  EXPECT_EQ(PublishedTopics(),
            (std::vector<std::string>{"$aws/things/lamp/shadow/name/cfg/update/accepted",
                                      "$aws/things/lamp/shadow/name/cfg/update/documents"}));
  EXPECT_EQ(Stored("lamp", "cfg").version, 1);
  EXPECT_EQ(Stored("lamp", "cfg").state, json::parse(R"({"reported":{"rate":5}})"));
  EXPECT_EQ(Stored("lamp", "").version, 0);

  ClearPublished();
  Send("$aws/things/lamp/shadow/name/cfg/get", "");
  Send("$aws/things/lamp/shadow/get", "");
  WaitForPublished(2);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/name/cfg/get/accepted");
  EXPECT_EQ(out[0].body()["state"], json::parse(R"({"reported":{"rate":5}})"));
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/get/rejected");
  EXPECT_EQ(out[1].body()["code"], 404);
}

TEST_F(ShadowServiceTest, GetAnswersWithTheDelta) {
  Send("$aws/things/lamp/shadow/update",
       R"({"state":{"desired":{"on":true,"level":3},"reported":{"on":false,"level":3}}})");
  Send("$aws/things/lamp/shadow/get", R"({"clientToken":"g-1"})");
  WaitForPublished(4);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 4u);  // update/accepted, update/documents, update/delta, get/accepted
  EXPECT_EQ(out[3].topic, "$aws/things/lamp/shadow/get/accepted");
  json got = out[3].body();
  EXPECT_EQ(got["state"],
            json::parse(R"({"desired":{"on":true,"level":3},"reported":{"on":false,"level":3},
                                          "delta":{"on":true}})"))
      << got.dump();
  EXPECT_EQ(got["version"], 1);
  EXPECT_EQ(got["clientToken"], "g-1");
  EXPECT_TRUE(got["metadata"]["desired"]["on"].contains("timestamp"));
  EXPECT_FALSE(got["metadata"].contains("delta"));
}

TEST_F(ShadowServiceTest, GetOfMissingShadowIsRejected404) {
  Send("$aws/things/lamp/shadow/get", R"({"clientToken":"x"})");
  Send("$aws/things/lamp/shadow/name/cfg/get", "");
  WaitForPublished(2);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/get/rejected");
  EXPECT_EQ(out[0].body()["code"], 404);
  EXPECT_EQ(out[0].body()["message"], "No shadow exists with name: 'lamp'");
  EXPECT_EQ(out[0].body()["clientToken"], "x");
  EXPECT_TRUE(out[0].body()["timestamp"].is_number_integer());
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/name/cfg/get/rejected");
  EXPECT_EQ(out[1].body()["code"], 404);
  EXPECT_EQ(out[1].body()["message"], "No shadow exists with name: 'cfg'");
  EXPECT_FALSE(out[1].body().contains("clientToken"));
}

TEST_F(ShadowServiceTest, DeleteThenUpdateContinuesTheVersion) {
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}}})");
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":2}}})");
  Send("$aws/things/lamp/shadow/delete", R"({"clientToken":"del"})");
  WaitForPublished(5);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[4].topic, "$aws/things/lamp/shadow/delete/accepted");
  json deleted = out[4].body();
  EXPECT_EQ(deleted["version"], 2);
  EXPECT_EQ(deleted["clientToken"], "del");
  EXPECT_TRUE(deleted["timestamp"].is_number_integer());
  EXPECT_FALSE(Stored("lamp", "").exists);

  ClearPublished();
  Send("$aws/things/lamp/shadow/get", "");
  Send("$aws/things/lamp/shadow/delete", "");
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"b":1}}})");
  WaitForPublished(4);
  Drain();
  out = PublishedNow();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/get/rejected");
  EXPECT_EQ(out[0].body()["code"], 404);
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/delete/rejected");
  EXPECT_EQ(out[1].body()["code"], 404);
  EXPECT_EQ(out[1].body()["message"], "No shadow exists with name: 'lamp'");
  EXPECT_EQ(out[2].topic, "$aws/things/lamp/shadow/update/accepted");
  EXPECT_EQ(out[2].body()["version"], 3)
      << "made again, it continues from the deleted one's version";
  EXPECT_EQ(out[3].topic, "$aws/things/lamp/shadow/update/documents");
  EXPECT_FALSE(out[3].body().contains("previous")) << out[3].body().dump();
  EXPECT_EQ(out[3].body()["current"]["version"], 3);
  EXPECT_EQ(Stored("lamp", "").state, json::parse(R"({"reported":{"b":1}})"))
      << "nothing of the deleted one";
}

TEST_F(ShadowServiceTest, MalformedRequestsAreRejected) {
  struct Case {
    std::string topic, payload;
    int code;
    std::string in_message;
    std::string client_token;  // echoed, or ""
  };
  const std::vector<Case> cases = {
      {"$aws/things/lamp/shadow/update", "{not json", 400, "invalid json", ""},
      {"$aws/things/lamp/shadow/get", "{not json", 400, "invalid json", ""},
      {"$aws/things/lamp/shadow/update", "", 400, "Missing required node: state", ""},
      {"$aws/things/lamp/shadow/update", "[1]", 400, "must be a JSON object", ""},
      {"$aws/things/lamp/shadow/update", R"({"state":{"delta":{"a":1}},"clientToken":"t1"})", 400,
       "invalid node: 'delta'", "t1"},
      {"$aws/things/lamp/shadow/update",
       R"({"state":{"reported":{"a":1}},"extra":1,"clientToken":"t2"})", 400, "Unexpected field",
       "t2"},
      {"$aws/things/lamp/shadow/update", json{{"clientToken", std::string(65, 'c')}}.dump(), 400,
       "clientToken", ""},
      {"$aws/things/lamp/shadow/update",
       json{{"state", {{"reported", {{"s", std::string(9000, 's')}}}}}, {"clientToken", "t3"}}
           .dump(),
       413, "maximum size", "t3"},
      {"$aws/things/lamp/shadow/update", std::string(kMaxShadowRequestBytes + 10, ' '), 413,
       "maximum size", ""},
      {"$aws/things/bad name/shadow/update", R"({"state":{"reported":{"a":1}}})", 400,
       "thing name 'bad name'", ""},
      {"$aws/things/lamp/shadow/name/bad.name/update",
       R"({"state":{"reported":{"a":1}},"clientToken":"t4"})", 400, "shadow name 'bad.name'", "t4"},
  };
  for (const auto& c : cases) Send(c.topic, c.payload);
  WaitForPublished(cases.size());
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.topic + " " + c.payload.substr(0, 80));
    EXPECT_EQ(out[i].topic, c.topic + "/rejected");
    json body = out[i].body();
    EXPECT_EQ(body["code"], c.code) << body.dump();
    EXPECT_NE(body.value("message", "").find(c.in_message), std::string::npos) << body.dump();
    if (c.client_token.empty()) {
      EXPECT_FALSE(body.contains("clientToken")) << body.dump();
    } else {
      EXPECT_EQ(body["clientToken"], c.client_token);
    }
  }
  EXPECT_EQ(Stored("lamp", "").version, 0) << "nothing was written";
  EXPECT_EQ(Stored("bad name", "").version, 0);
  EXPECT_EQ(Stored("lamp", "bad.name").version, 0);
}

TEST_F(ShadowServiceTest, VersionConflictIsRejected409) {
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}}})");
  Send("$aws/things/lamp/shadow/update",
       R"({"state":{"reported":{"a":2}},"version":5,"clientToken":"v"})");
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":3}},"version":1})");
  WaitForPublished(5);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[2].topic, "$aws/things/lamp/shadow/update/rejected");
  EXPECT_EQ(out[2].body()["code"], 409);
  EXPECT_NE(out[2].body()["message"].get<std::string>().find("Version conflict"),
            std::string::npos);
  EXPECT_EQ(out[2].body()["clientToken"], "v");
  EXPECT_EQ(out[3].topic, "$aws/things/lamp/shadow/update/accepted");
  EXPECT_EQ(out[3].body()["version"], 2);
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_EQ(stored.version, 2);
  EXPECT_EQ(stored.state["reported"]["a"], 3);
}

TEST_F(ShadowServiceTest, EveryMessageGoesToNextOnceAndDoneOnce) {
  const std::vector<std::pair<std::string, mqtt::QoS>> sent = {
      {"sensors/lamp/temp", mqtt::QoS::kAtLeastOnce},
      {"$aws/things/lamp/shadow/update", mqtt::QoS::kAtLeastOnce},
      {"$aws/things/lamp/shadow/get", mqtt::QoS::kExactlyOnce},
      {"$aws/things/lamp/shadow/update/accepted", mqtt::QoS::kAtLeastOnce},
      {"$aws/things/lamp/shadow/name/cfg/delete", mqtt::QoS::kAtMostOnce},
      {"$aws/things/lamp/shadow/update", mqtt::QoS::kAtMostOnce},
      {"$aws/things//shadow/get", mqtt::QoS::kAtLeastOnce},
  };
  for (size_t i = 0; i < sent.size(); ++i) {
    const std::string& topic = sent[i].first;
    const std::string payload = topic.ends_with("/update")
                                    ? json{{"state", {{"reported", {{"i", i}}}}}}.dump()
                                : topic.ends_with("/get") || topic.ends_with("/delete")
                                    ? R"({"clientToken":"c)" + std::to_string(i) + "\"}"
                                    : "payload-" + std::to_string(i);
    Send(sent[i].first, payload, sent[i].second);
  }
  Drain();
  auto seen = next_.seen();
  ASSERT_EQ(seen.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(seen[i].topic, sent[i].first);
    EXPECT_EQ(seen[i].qos, sent[i].second);
    EXPECT_EQ(seen[i].client_id, "dev-1");
    EXPECT_EQ(seen[i].had_done, sent[i].second != mqtt::QoS::kAtMostOnce) << seen[i].topic;
  }
  EXPECT_EQ(seen[0].payload, "payload-0");
  EXPECT_EQ(seen[1].payload, R"({"state":{"reported":{"i":1}}})");
  EXPECT_EQ(seen[2].payload, R"({"clientToken":"c2"})");
  EXPECT_EQ(seen[3].payload, "payload-3");
  // One verdict per message that had a done, the next interceptor's.
  EXPECT_EQ(Verdicts(), std::vector<broker::PublishVerdict>(sent_with_done_,
                                                            broker::PublishVerdict::kAccepted));
  EXPECT_EQ(sent_with_done_, 5);

  // The requests among them were answered: two updates, a get and a delete; the other
  // topics answered nothing.
  std::vector<std::string> topics = PublishedTopics();
  EXPECT_EQ(topics, (std::vector<std::string>{"$aws/things/lamp/shadow/update/accepted",
                                              "$aws/things/lamp/shadow/update/documents",
                                              "$aws/things/lamp/shadow/get/accepted",
                                              "$aws/things/lamp/shadow/name/cfg/delete/rejected",
                                              "$aws/things/lamp/shadow/update/accepted",
                                              "$aws/things/lamp/shadow/update/documents"}));
  EXPECT_EQ(Stored("lamp", "").version, 2);
}

TEST_F(ShadowServiceTest, NextVerdictIsPassedOnUnchanged) {
  next_.verdict = broker::PublishVerdict::kQuotaExceeded;
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}}})");
  Send("plain/topic", "x");
  Drain();
  EXPECT_EQ(Verdicts(),
            (std::vector<broker::PublishVerdict>{broker::PublishVerdict::kQuotaExceeded,
                                                 broker::PublishVerdict::kQuotaExceeded}));
  // A QoS 1 request the rules refused is not carried out: not acknowledged, the device
  // sends it again, and that one is.
  EXPECT_EQ(Stored("lamp", "").version, 0);
  EXPECT_TRUE(PublishedTopics().empty());
  next_.verdict = broker::PublishVerdict::kAccepted;
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}}})");
  Drain();
  EXPECT_EQ(Stored("lamp", "").version, 1);
  // At QoS 0 nothing is sent again: carried out whatever the rules say.
  next_.verdict = broker::PublishVerdict::kRefused;
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":2}}})", mqtt::QoS::kAtMostOnce);
  Drain();
  EXPECT_EQ(Stored("lamp", "").version, 2);
}

TEST_F(ShadowServiceTest, WithoutNextDoneIsAcceptedOnce) {
  auto alone = NewService(nullptr);
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}}})",
       mqtt::QoS::kAtLeastOnce, alone.get());
  Send("plain/topic", "x", mqtt::QoS::kExactlyOnce, alone.get());
  Send("plain/topic", "x", mqtt::QoS::kAtMostOnce, alone.get());  // no done to call
  Drain(alone.get());
  EXPECT_EQ(Verdicts(), (std::vector<broker::PublishVerdict>{broker::PublishVerdict::kAccepted,
                                                             broker::PublishVerdict::kAccepted}));
  EXPECT_TRUE(next_.seen().empty());
  EXPECT_EQ(Stored("lamp", "").version, 1);
  EXPECT_EQ(PublishedTopics(),
            (std::vector<std::string>{"$aws/things/lamp/shadow/update/accepted",
                                      "$aws/things/lamp/shadow/update/documents"}));
}

// ---------------------------------------------------------------------------------------
// Execute (the HTTP API).

TEST_F(ShadowServiceTest, ExecuteAnswersAndPublishesWhatMqttWould) {
  ShadowOutcome missing = Call("lamp", "", "get", "");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["code"], 404);
  EXPECT_EQ(missing.body["message"], "No shadow exists with name: 'lamp'");
  EXPECT_TRUE(PublishedNow().empty()) << "a refused HTTP call publishes nothing";

  ShadowOutcome updated =
      Call("lamp", "", "update", R"({"state":{"desired":{"on":true}},"clientToken":"h"})");
  ASSERT_EQ(updated.status, 200) << updated.body.dump();
  EXPECT_EQ(updated.body["version"], 1);
  EXPECT_EQ(updated.body["state"], json::parse(R"({"desired":{"on":true}})"));
  EXPECT_EQ(updated.body["clientToken"], "h");
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/update/accepted");
  EXPECT_EQ(out[0].body(), updated.body);
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/update/documents");
  EXPECT_EQ(out[2].topic, "$aws/things/lamp/shadow/update/delta");
  EXPECT_EQ(out[2].body()["state"], json::parse(R"({"on":true})"));

  ClearPublished();
  ShadowOutcome got = Call("lamp", "", "get", "");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["state"], json::parse(R"({"desired":{"on":true},"delta":{"on":true}})"))
      << got.body.dump();
  EXPECT_EQ(got.body["version"], 1);
  EXPECT_TRUE(PublishedNow().empty()) << "an HTTP get publishes nothing";

  ShadowOutcome bad = Call("lamp", "", "update", "{oops");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["code"], 400);
  ShadowOutcome conflict =
      Call("lamp", "", "update", R"({"state":{"reported":{"on":true}},"version":7})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["code"], 409);
  ShadowOutcome too_big =
      Call("lamp", "cfg", "update",
           json{{"state", {{"desired", {{"s", std::string(9000, 's')}}}}}}.dump());
  EXPECT_EQ(too_big.status, 413);
  ShadowOutcome bad_name = Call("lamp", "no/slash", "get", "");
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_TRUE(PublishedNow().empty()) << "refusals over HTTP are the caller's to answer";

  ShadowOutcome deleted = Call("lamp", "", "delete", "");
  ASSERT_EQ(deleted.status, 200) << deleted.body.dump();
  EXPECT_EQ(deleted.body["version"], 1);
  out = PublishedNow();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/delete/accepted");
  EXPECT_EQ(out[0].body(), deleted.body);

  EXPECT_EQ(Call("lamp", "", "delete", "").status, 404);
  EXPECT_EQ(Call("lamp", "", "get", "").status, 404);
  EXPECT_FALSE(Stored("lamp", "").exists);
  EXPECT_EQ(PublishedNow().size(), 1u) << "a refused delete publishes nothing";
}

// ---------------------------------------------------------------------------------------
// Order and concurrency.

TEST_F(ShadowServiceTest, UpdatesAreAppliedInTheOrderSent) {
  constexpr int kUpdates = 50;
  for (int i = 1; i <= kUpdates; ++i) {
    Send("$aws/things/lamp/shadow/update",
         json{{"state", {{"reported", {{"n", i}, {"k" + std::to_string(i % 3), i}}}}}}.dump());
  }
  WaitForPublished(2 * kUpdates);
  Drain();
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 2u * kUpdates);
  for (int i = 1; i <= kUpdates; ++i) {
    const Published& accepted = out[2 * (i - 1)];
    ASSERT_EQ(accepted.topic, "$aws/things/lamp/shadow/update/accepted");
    EXPECT_EQ(accepted.body()["version"], i);
    EXPECT_EQ(accepted.body()["state"]["reported"]["n"], i);
  }
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_EQ(stored.version, kUpdates);
  EXPECT_EQ(stored.state, json::parse(R"({"reported":{"n":50,"k0":48,"k1":49,"k2":50}})"))
      << stored.state.dump();
}

// Two services on one database, as two servers of a deployment: updates without a
// version are retried over the other's writes, so none is lost and versions are unique.
TEST_F(ShadowServiceTest, TwoServicesOnOneDatabaseLoseNoUpdate) {
  auto other = NewService(nullptr);
  constexpr int kEach = 15;
  std::vector<std::future<ShadowOutcome>> futures(2 * kEach);
  for (int i = 0; i < kEach; ++i) {
    for (int s = 0; s < 2; ++s) {
      const int n = 2 * i + s;
      auto promise = std::make_shared<std::promise<ShadowOutcome>>();
      futures[n] = promise->get_future();
      (s == 0 ? service_ : other)
          ->Execute("lamp", "", "update",
                    json{{"state", {{"reported", {{"k" + std::to_string(n), n}}}}}}.dump(),
                    [promise](ShadowOutcome o) { promise->set_value(std::move(o)); });
    }
  }
  std::set<int64_t> versions;
  json want = json::object();
  for (int n = 0; n < 2 * kEach; ++n) {
    ASSERT_EQ(futures[n].wait_for(kWait), std::future_status::ready) << n;
    ShadowOutcome o = futures[n].get();
    // A request may lose every attempt to the other writer (409); none may be lost.
    ASSERT_TRUE(o.status == 200 || o.status == 409) << o.body.dump();
    if (o.status != 200) continue;
    versions.insert(o.body["version"].get<int64_t>());
    want["k" + std::to_string(n)] = n;
  }
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_EQ(versions.size(), want.size()) << "two accepted updates had the same version";
  EXPECT_EQ(stored.version, static_cast<int64_t>(want.size()));
  EXPECT_EQ(stored.state["reported"], want);
  EXPECT_GE(want.size(), static_cast<size_t>(kEach)) << "too many lost to contention";
}

// Another server writes between the service's read and its write: an update or delete
// without a version reads again and applies over what the other wrote; an update that
// names the version it read is refused with 409.
TEST_F(ShadowServiceTest, ConcurrentWriteIsReadAgain) {
  RacingDatabase racing(db_.get());
  auto racing_store = ShadowStore::Open(&racing);
  ASSERT_TRUE(racing_store.ok()) << racing_store.status().ToString();
  auto raced = std::make_unique<ShadowService>(
      racing_store->get(),
      [this](const std::string& topic, std::string payload) {
        std::lock_guard lock(mu_);
        published_.push_back({topic, std::move(payload)});
      },
      nullptr);
  // The other server's update of lamp's classic shadow, once.
  auto other_writes_once = [this, &racing](const char* request) {
    racing.before_write = [this, &racing, request] {
      racing.before_write = nullptr;
      ShadowDocument current = Stored("lamp", "");
      auto u = ApplyShadowUpdate(current, json::parse(request), 1);
      ASSERT_TRUE(std::holds_alternative<ShadowUpdate>(u));
      Status st = store_->Put("lamp", "", std::get<ShadowUpdate>(u).current, current.version, current.exists);
      EXPECT_TRUE(st.ok()) << st.ToString();
    };
  };

  // Created by the other server meanwhile: the update goes over it.
  other_writes_once(R"({"state":{"reported":{"a":1}}})");
  ShadowOutcome o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"b":2}}})");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["version"], 2);
  EXPECT_EQ(Stored("lamp", "").state, json::parse(R"({"reported":{"a":1,"b":2}})"));
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 2u) << "one answer for the update, not one per attempt";
  EXPECT_EQ(out[1].topic, "$aws/things/lamp/shadow/update/documents");
  EXPECT_EQ(out[1].body()["previous"]["version"], 1);
  EXPECT_EQ(out[1].body()["previous"]["state"], json::parse(R"({"reported":{"a":1}})"));

  // Updated by the other server meanwhile.
  ClearPublished();
  other_writes_once(R"({"state":{"reported":{"a":10}}})");
  o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"c":3}}})");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["version"], 4);
  EXPECT_EQ(Stored("lamp", "").state, json::parse(R"({"reported":{"a":10,"b":2,"c":3}})"));
  EXPECT_EQ(PublishedNow().size(), 2u);

  // An update naming the version it read loses to the other writer: 409, nothing written.
  ClearPublished();
  other_writes_once(R"({"state":{"reported":{"a":20}}})");
  o = Call(raced.get(), "lamp", "", "update",
           R"({"state":{"reported":{"d":4}},"version":4,"clientToken":"v"})");
  EXPECT_EQ(o.status, 409) << o.body.dump();
  EXPECT_NE(o.body.value("message", "").find("Version conflict"), std::string::npos)
      << o.body.dump();
  EXPECT_EQ(o.body["clientToken"], "v");
  EXPECT_EQ(Stored("lamp", "").version, 5);
  EXPECT_FALSE(Stored("lamp", "").state["reported"].contains("d"));
  EXPECT_TRUE(PublishedNow().empty());

  // A delete reads again and deletes the version the other wrote.
  other_writes_once(R"({"state":{"reported":{"a":30}}})");
  o = Call(raced.get(), "lamp", "", "delete", "");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["version"], 6);
  EXPECT_FALSE(Stored("lamp", "").exists);
  EXPECT_EQ(Stored("lamp", "").version, 6);

  // A writer that always gets in first: the update gives up with a 409 after a few tries.
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":1}})", 7), 6, /*read_existed=*/false).ok());
  racing.writes = 0;
  racing.before_write = [this] {
    ShadowDocument current = Stored("lamp", "");
    current.version += 1;
    EXPECT_TRUE(store_->Put("lamp", "", current, current.version - 1).ok());
  };
  o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"z":1}}})");
  EXPECT_EQ(o.status, 409) << o.body.dump();
  EXPECT_GT(racing.writes, 1) << "it tried again";
  EXPECT_FALSE(Stored("lamp", "").state["reported"].contains("z"));
  raced.reset();  // before `racing` goes
}

// Another server deletes the shadow between the service's read and its write of an
// update: the delete was accepted (and published), so the update must not bring the
// deleted state back; it makes the shadow again from its own state only.
TEST_F(ShadowServiceTest, UpdateRacingADeleteDoesNotBringTheDeletedStateBack) {
  RacingDatabase racing(db_.get());
  auto racing_store = ShadowStore::Open(&racing);
  ASSERT_TRUE(racing_store.ok()) << racing_store.status().ToString();
  auto raced = std::make_unique<ShadowService>(
      racing_store->get(), [](const std::string&, std::string) {}, nullptr);
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"secret":1}})", 1), 0).ok());
  racing.before_write = [this, &racing] {
    racing.before_write = nullptr;
    Status st = store_->Delete("lamp", "", 1);
    EXPECT_TRUE(st.ok()) << st.ToString();
  };
  ShadowOutcome o = Call(raced.get(), "lamp", "", "update", R"({"state":{"reported":{"b":2}}})");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  ShadowDocument stored = Stored("lamp", "");
  EXPECT_TRUE(stored.exists);
  EXPECT_EQ(stored.state, json::parse(R"({"reported":{"b":2}})")) << stored.state.dump();
  EXPECT_EQ(stored.version, 2);
  raced.reset();
}

TEST_F(ShadowServiceTest, AfterStopRequestsAreRefused) {
  service_->Stop();
  Send("$aws/things/lamp/shadow/update", R"({"state":{"reported":{"a":1}},"clientToken":"s"})");
  auto out = PublishedNow();  // answered at once, on the caller's thread
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "$aws/things/lamp/shadow/update/rejected");
  EXPECT_EQ(out[0].body()["code"], 429);
  EXPECT_EQ(next_.seen().size(), 1u) << "still passed on";
  EXPECT_EQ(Verdicts().size(), 1u);

  ShadowOutcome refused = Call("lamp", "", "get", "");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.body["code"], 429);
  EXPECT_EQ(Stored("lamp", "").version, 0);
}

}  // namespace
}  // namespace tributary::devices
