#include "nats/jetstream_api.h"

#include <gtest/gtest.h>

namespace tributary::nats {
namespace {

using json = nlohmann::json;

TEST(JetStreamApiTest, ParsesBothAckSubjectForms) {
  auto v1 = ParseAckSubject("$JS.ACK.ORDERS.worker.2.1043.17.1796207975775050410.6");
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->domain, "");
  EXPECT_EQ(v1->stream, "ORDERS");
  EXPECT_EQ(v1->consumer, "worker");
  EXPECT_EQ(v1->deliveries, 2u);
  EXPECT_EQ(v1->stream_seq, 1043u);
  EXPECT_EQ(v1->consumer_seq, 17u);
  EXPECT_EQ(v1->timestamp_ns, 1796207975775050410);
  EXPECT_EQ(v1->pending, 6u);

  auto v2 =
      ParseAckSubject("$JS.ACK.hub.ACCHASH123.ORDERS.worker.1.5.4.1796207975775050411.0.Xy9z");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->domain, "hub");
  EXPECT_EQ(v2->stream, "ORDERS");
  EXPECT_EQ(v2->consumer, "worker");
  EXPECT_EQ(v2->deliveries, 1u);
  EXPECT_EQ(v2->stream_seq, 5u);
  EXPECT_EQ(v2->consumer_seq, 4u);
  EXPECT_EQ(v2->timestamp_ns, 1796207975775050411);
  EXPECT_EQ(v2->pending, 0u);

  auto no_domain = ParseAckSubject("$JS.ACK._.ACCHASH123.S.c.3.9.8.7.2.r");
  ASSERT_TRUE(no_domain.ok());
  EXPECT_EQ(no_domain->domain, "");
  EXPECT_EQ(no_domain->stream_seq, 9u);
  EXPECT_EQ(no_domain->deliveries, 3u);
}

TEST(JetStreamApiTest, RefusesWhatIsNotAnAckSubject) {
  for (const char* bad :
       {"", "_INBOX.abc.1", "$JS.ACK.S.c.1.2.3.4", "$JS.ACK.S.c.1.2.3.4.5.6",
        "$JS.NAK.S.c.1.2.3.4.5", "$JS.ACK.S.c.x.2.3.4.5", "$JS.ACK.S.c.1.2.3.4.-5",
        "$JS.ACK..c.1.2.3.4.5", "$JS.ACK.d.h.S.c.1.2.3.4.5.r.extra"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseAckSubject(bad).status().code(), ErrorCode::kProtocolError);
  }
}

TEST(JetStreamApiTest, ReadsPubAcks) {
  auto fast = ParsePubAck(R"({"stream":"TRIBUTARY_s","seq":42})");
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  EXPECT_EQ(*fast, 42u);
  auto spaced = ParsePubAck(R"({"stream": "S", "seq": 7, "duplicate": true})");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(*spaced, 7u);
  // An error, even one that carries a seq-like field elsewhere, is an error.
  auto full = ParsePubAck(
      R"({"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"seq":1})");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), ErrorCode::kResourceExhausted) << full.status().ToString();
  auto no_seq = ParsePubAck(R"({"stream":"S"})");
  ASSERT_FALSE(no_seq.ok());
  EXPECT_EQ(no_seq.status().code(), ErrorCode::kProtocolError);
  EXPECT_FALSE(ParsePubAck(R"({"stream":"S","seq":0})").ok());
  EXPECT_FALSE(ParsePubAck("not json").ok());
}

TEST(JetStreamApiTest, MapsErrorsToStatuses) {
  struct Case {
    const char* error;
    ErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {R"({"code":404,"err_code":10059,"description":"stream not found"})", ErrorCode::kNotFound,
       "JetStream: stream not found (10059)"},
      {R"({"code":400,"err_code":10065,"description":"subjects overlap with an existing stream"})",
       ErrorCode::kInvalidArgument, "JetStream: subjects overlap with an existing stream (10065)"},
      {R"({"code":503,"err_code":10039,"description":"JetStream not enabled for account"})",
       ErrorCode::kUnavailable, "JetStream: JetStream not enabled for account (10039)"},
      {R"({"code":500,"err_code":10074,"description":"replicas > 1 not supported in non-clustered mode"})",
       ErrorCode::kFailedPrecondition,
       "JetStream: replicas > 1 not supported in non-clustered mode (10074)"},
      {R"({"code":400,"err_code":10058,"description":"stream name already in use with a different configuration"})",
       ErrorCode::kAlreadyExists,
       "JetStream: stream name already in use with a different configuration (10058)"},
      {R"({"code":503,"err_code":10077,"description":"maximum bytes exceeded"})",
       ErrorCode::kResourceExhausted, "JetStream: maximum bytes exceeded (10077)"},
      {R"({"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"})",
       ErrorCode::kResourceExhausted, "JetStream: message size exceeds maximum allowed (10054)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    Status st = JetStreamError(json::parse(c.error));
    EXPECT_EQ(st.code(), c.code);
    EXPECT_EQ(st.message(), c.message);
  }
  auto reply = ParseApiReply(
      R"({"type":"x","error":{"code":404,"err_code":10014,"description":"consumer not found"}})");
  EXPECT_EQ(reply.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ParseApiReply("not json").status().code(), ErrorCode::kProtocolError);
  EXPECT_EQ(ParseApiReply("[1]").status().code(), ErrorCode::kProtocolError);
  auto ok = ParseApiReply(R"({"stream":"S","seq":3})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["seq"], 3);
}

TEST(JetStreamApiTest, ValidatesNames) {
  EXPECT_TRUE(ValidateJetStreamName("stream", "TELEMETRY_v2-x").ok());
  for (const std::string& bad :
       {std::string(), std::string("a.b"), std::string("a*"), std::string("a>"), std::string("a b"),
        std::string("tab\t"), std::string(256, 'n')}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ValidateJetStreamName("stream", bad).code(), ErrorCode::kInvalidArgument);
  }
  StreamSettings s{.name = "S", .subjects = {"s.>"}};
  EXPECT_TRUE(ValidateStreamSettings(s).ok());
  s.retention = "queue";
  EXPECT_EQ(ValidateStreamSettings(s).code(), ErrorCode::kInvalidArgument);
}

TEST(JetStreamApiTest, DescribesStreamDifferences) {
  StreamSettings want{.name = "S", .subjects = {"a.>", "b.>"}, .max_bytes = 1024};
  json have =
      json::parse(R"({"name":"S","subjects":["b.>","a.>"],"retention":"workqueue","storage":"file",
                              "num_replicas":1,"max_bytes":1024,"max_msg_size":-1,"discard":"new"})");
  bool fixed = true;
  EXPECT_EQ(StreamDifference(want, have, &fixed), "");  // subject order does not matter
  EXPECT_FALSE(fixed);

  want.subjects = {"a.>"};
  want.max_bytes = -1;
  EXPECT_EQ(StreamDifference(want, have, &fixed),
            "subjects [b.>, a.>] → [a.>], max_bytes 1024 → -1");
  EXPECT_FALSE(fixed);
  json updated = UpdatedStreamConfig(want, have);
  EXPECT_EQ(updated["subjects"], json::array({"a.>"}));
  EXPECT_EQ(updated["max_bytes"], -1);
  EXPECT_EQ(updated["retention"], "workqueue");
  EXPECT_FALSE(updated.contains("description"));

  // A description is set, changed and cleared by an update.
  want.description = "closed";
  EXPECT_NE(StreamDifference(want, updated, &fixed).find("description '' → 'closed'"),
            std::string::npos);
  updated = UpdatedStreamConfig(want, updated);
  EXPECT_EQ(updated["description"], "closed");
  EXPECT_EQ(StreamDifference(want, updated, &fixed), "");
  want.description = "";
  EXPECT_NE(StreamDifference(want, updated, &fixed).find("description 'closed' → ''"),
            std::string::npos);
  EXPECT_FALSE(UpdatedStreamConfig(want, updated).contains("description"));

  want.retention = "limits";
  EXPECT_NE(StreamDifference(want, have, &fixed).find("retention workqueue → limits"),
            std::string::npos);
  EXPECT_TRUE(fixed);
}

TEST(JetStreamApiTest, DescribesConsumerDifferences) {
  ConsumerSettings want{.durable = "w", .ack_wait_ms = 1000, .max_ack_pending = 10};
  json body = ConsumerCreateJson("S", want);
  EXPECT_EQ(body["stream_name"], "S");
  EXPECT_EQ(body["config"]["ack_wait"], 1000000000);
  EXPECT_EQ(body["config"]["ack_policy"], "explicit");
  EXPECT_EQ(body["config"]["deliver_policy"], "all");

  bool fixed = true;
  EXPECT_EQ(ConsumerDifference(want, body["config"], &fixed), "");
  EXPECT_FALSE(fixed);
  want.ack_wait_ms = 2000;
  EXPECT_EQ(ConsumerDifference(want, body["config"], &fixed), "ack_wait_ms 1000 → 2000");
  EXPECT_FALSE(fixed);
  json push = body["config"];
  push["deliver_subject"] = "deliver.here";
  EXPECT_NE(ConsumerDifference(want, push, &fixed).find("push consumer"), std::string::npos);
  EXPECT_TRUE(fixed);
}

TEST(JetStreamApiTest, ReadsStreamState) {
  StreamState s = ParseStreamState(json::parse(
      R"({"messages":6,"bytes":1998,"first_seq":1,"last_seq":6,"num_subjects":1,"consumer_count":2})"));
  EXPECT_EQ(s.messages, 6u);
  EXPECT_EQ(s.bytes, 1998u);
  EXPECT_EQ(s.first_seq, 1u);
  EXPECT_EQ(s.last_seq, 6u);
  EXPECT_EQ(s.consumers, 2);
}

TEST(JetStreamApiTest, ReadsStreamInfo) {
  StreamState s = ParseStreamInfo(json::parse(
      R"({"created":"2026-12-06T22:00:00.1Z","config":{"name":"S","subjects":["a.>","b"],
          "description":"held"},"state":{"messages":3,"first_seq":4}})"));
  EXPECT_EQ(s.created, "2026-12-06T22:00:00.1Z");
  EXPECT_EQ(s.subjects, (std::vector<std::string>{"a.>", "b"}));
  EXPECT_EQ(s.description, "held");
  EXPECT_EQ(s.messages, 3u);
  EXPECT_EQ(s.first_seq, 4u);
  s = ParseStreamInfo(json::parse(R"({"config":{"name":"S"}})"));
  EXPECT_TRUE(s.subjects.empty());
  EXPECT_EQ(s.description, "");
}

}  // namespace
}  // namespace tributary::nats
