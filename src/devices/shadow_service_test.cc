#include "devices/shadow_test_fixture.h"

namespace tributary::devices::shadow_testing {
namespace {

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

// The interceptor after the service, holding each verdict until the test gives it.
class HoldingNext : public broker::MessageInterceptor {
 public:
  void OnPublish(const broker::InboundMessage&, broker::PublishDone done) override {
    std::lock_guard lock(mu_);
    if (done) held_.push_back(std::move(done));
  }
  // Gives the verdict of the `i`th held message.
  void Give(size_t i, broker::PublishVerdict verdict) {
    broker::PublishDone done;
    {
      std::lock_guard lock(mu_);
      ASSERT_LT(i, held_.size());
      done = std::move(held_[i]);
    }
    done(verdict);
  }

 private:
  std::mutex mu_;
  std::vector<broker::PublishDone> held_;
};

TEST_F(ShadowServiceTest, RequestsToOneShadowAreCarriedOutInTheOrderTheyArrived) {
  HoldingNext next;
  auto service = NewService(&next);
  const std::string update = "$aws/things/lamp/shadow/update";
  // QoS 1 (its verdict held), then QoS 0 and a get right after it: neither overtakes it.
  Send(update, R"({"state":{"reported":{"mode":"old"}}})", mqtt::QoS::kAtLeastOnce, service.get());
  Send(update, R"({"state":{"reported":{"mode":"new"}}})", mqtt::QoS::kAtMostOnce, service.get());
  Send("$aws/things/lamp/shadow/get", "", mqtt::QoS::kAtMostOnce, service.get());
  // Another shadow's request is not held back by this one's line.
  Send("$aws/things/desk/shadow/update", R"({"state":{"reported":{"on":true}}})",
       mqtt::QoS::kAtMostOnce, service.get());
  Drain(service.get());
  EXPECT_EQ(PublishedTopics(),
            (std::vector<std::string>{"$aws/things/desk/shadow/update/accepted",
                                      "$aws/things/desk/shadow/update/documents"}));
  EXPECT_EQ(Stored("lamp", "").version, 0);

  next.Give(0, broker::PublishVerdict::kAccepted);
  Drain(service.get());
  ShadowDocument lamp = Stored("lamp", "");
  EXPECT_EQ(lamp.version, 2);
  EXPECT_EQ(lamp.state, json::parse(R"({"reported":{"mode":"new"}})"));
  auto out = PublishedNow();
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[2].topic, update + "/accepted");
  EXPECT_EQ(out[2].body()["state"]["reported"]["mode"], "old");
  EXPECT_EQ(out[4].topic, update + "/accepted");
  EXPECT_EQ(out[4].body()["state"]["reported"]["mode"], "new");
  EXPECT_EQ(out[6].topic, "$aws/things/lamp/shadow/get/accepted");
  EXPECT_EQ(out[6].body()["version"], 2);

  // One the rules refuse is dropped, and what waited behind it goes on.
  ClearPublished();
  Send(update, R"({"state":{"reported":{"mode":"refused"}}})", mqtt::QoS::kAtLeastOnce,
       service.get());
  Send(update, R"({"state":{"reported":{"mode":"last"}}})", mqtt::QoS::kAtLeastOnce, service.get());
  next.Give(2, broker::PublishVerdict::kAccepted);  // the later one settles first: it waits
  Drain(service.get());
  EXPECT_EQ(Stored("lamp", "").version, 2);
  next.Give(1, broker::PublishVerdict::kRefused);
  Drain(service.get());
  lamp = Stored("lamp", "");
  EXPECT_EQ(lamp.version, 3);
  EXPECT_EQ(lamp.state, json::parse(R"({"reported":{"mode":"last"}})"));
}

TEST_F(ShadowServiceTest, RequestsWaitingInLineAreBounded) {
  HoldingNext next;
  auto service = NewService(&next);
  // 100 things, each with a request whose verdict is held and 99 more waiting behind it
  // (a thing's most): 10,000 in line in all.
  for (int t = 0; t < 100; ++t) {
    const std::string update = "$aws/things/lamp" + std::to_string(t) + "/shadow/update";
    Send(update, R"({"state":{"reported":{"n":0}}})", mqtt::QoS::kAtLeastOnce, service.get());
    for (int i = 1; i < 100; ++i) {
      Send(update, R"({"state":{"reported":{"n":1}}})", mqtt::QoS::kAtMostOnce, service.get());
    }
  }
  Drain(service.get());
  EXPECT_TRUE(PublishedTopics().empty());
  // The next is refused at once, as a full work queue refuses, rather than held.
  const std::string update = "$aws/things/desk/shadow/update";
  Send(update, R"({"state":{"reported":{"n":2}}})", mqtt::QoS::kAtMostOnce, service.get());
  auto out = WaitForPublished(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, update + "/rejected");
  EXPECT_EQ(out[0].body()["code"], 429);
  EXPECT_NE(out[0].body()["message"].get<std::string>().find("waiting"), std::string::npos);
  EXPECT_EQ(Stored("desk", "").version, 0);
}

// A device flooding its own shadow gets 429s past its 100 waiting requests; another
// thing's requests still go through, and the flooding one's once its line moves.
TEST_F(ShadowServiceTest, OneThingCannotCrowdOutTheOthers) {
  HoldingNext next;
  auto service = NewService(&next);
  const std::string lamp = "$aws/things/lamp/shadow/update";
  Send(lamp, R"({"state":{"reported":{"n":0}}})", mqtt::QoS::kAtLeastOnce, service.get());
  for (int i = 1; i < 100; ++i) {
    Send(lamp, R"({"state":{"reported":{"n":)" + std::to_string(i) + "}}}", mqtt::QoS::kAtMostOnce,
         service.get());
  }
  Send(lamp, R"({"state":{"reported":{"n":100}},"clientToken":"flood-100"})",
       mqtt::QoS::kAtMostOnce, service.get());
  auto out = WaitForPublished(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, lamp + "/rejected");
  EXPECT_EQ(out[0].body()["code"], 429);
  EXPECT_EQ(out[0].body()["clientToken"], "flood-100");  // the device can tell which
  EXPECT_NE(out[0].body()["message"].get<std::string>().find("thing 'lamp' has 100"),
            std::string::npos)
      << out[0].payload;
  // Over HTTP too, with its clientToken.
  ShadowOutcome http = Call(service.get(), "lamp", "", "update",
                            R"({"state":{"reported":{"n":101}},"clientToken":"http-101"})");
  EXPECT_EQ(http.status, 429);
  EXPECT_EQ(http.body["clientToken"], "http-101");

  ClearPublished();
  Send("$aws/things/desk/shadow/update", R"({"state":{"reported":{"on":true}}})",
       mqtt::QoS::kAtMostOnce, service.get());
  Drain(service.get());
  EXPECT_EQ(Stored("desk", "").version, 1);

  // The held verdict given, lamp's 100 are carried out, and it may send again.
  next.Give(0, broker::PublishVerdict::kAccepted);
  Drain(service.get());
  EXPECT_EQ(Stored("lamp", "").version, 100);
  Send(lamp, R"({"state":{"reported":{"n":"again"}}})", mqtt::QoS::kAtMostOnce, service.get());
  Drain(service.get());
  EXPECT_EQ(Stored("lamp", "").version, 101);

  // Requests the rules refuse leave the count too.
  for (int i = 0; i < 100; ++i) {
    Send(lamp, R"({"state":{"reported":{"n":"refused"}}})", mqtt::QoS::kAtLeastOnce, service.get());
  }
  for (size_t i = 1; i <= 100; ++i) next.Give(i, broker::PublishVerdict::kRefused);
  Drain(service.get());
  EXPECT_EQ(Stored("lamp", "").version, 101);
  Send(lamp, R"({"state":{"reported":{"n":"after"}}})", mqtt::QoS::kAtMostOnce, service.get());
  Drain(service.get());
  EXPECT_EQ(Stored("lamp", "").version, 102);
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

}  // namespace
}  // namespace tributary::devices::shadow_testing
