#include "nats/protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tributary::nats {
namespace {

// What the server might send in one go: every kind of operation, binary payloads.
const std::string kStream =
    std::string(
        "INFO {\"server_id\":\"S1\",\"version\":\"2.9.10\",\"max_payload\":1048576,"
        "\"headers\":true,\"jetstream\":true,\"nonce\":\"n0nce\"}\r\n"
        "PING\r\n"
        "MSG a.b 7 5\r\nhello\r\n"
        "MSG a.b 7 _INBOX.x.1 0\r\n\r\n"
        "msg lower 8 3\r\n") +
    std::string("\0\r\n", 3) +
    "\r\n"
    "HMSG c 9 rep 37 40\r\nNATS/1.0\r\nKey: v1\r\nkey:  v2 \r\nX: \r\n\r\nabc\r\n"
    "HMSG $JS.x 10 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
    "HMSG f 11 _INBOX.y 34 34\r\nNATS/1.0 404 No Messages\r\nA: b\r\n\r\n\r\n"
    "+OK\r\n"
    "PONG\r\n"
    "-ERR 'Permissions Violation for Publish to \"x\"'\r\n";

void CheckOps(const std::vector<ServerOp>& ops) {
  ASSERT_EQ(ops.size(), 11u);
  EXPECT_EQ(ops[0].kind, OpKind::kInfo);
  auto info = ParseServerInfo(ops[0].text);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, "2.9.10");
  EXPECT_EQ(info->max_payload, 1048576u);
  EXPECT_TRUE(info->jetstream);
  EXPECT_TRUE(info->headers);
  EXPECT_EQ(info->nonce, "n0nce");
  EXPECT_EQ(ops[1].kind, OpKind::kPing);

  EXPECT_EQ(ops[2].kind, OpKind::kMsg);
  EXPECT_EQ(ops[2].sid, 7u);
  EXPECT_EQ(ops[2].msg.subject, "a.b");
  EXPECT_EQ(ops[2].msg.reply, "");
  EXPECT_EQ(ops[2].msg.data, "hello");

  EXPECT_EQ(ops[3].msg.reply, "_INBOX.x.1");
  EXPECT_EQ(ops[3].msg.data, "");
  EXPECT_EQ(ops[4].sid, 8u);
  EXPECT_EQ(ops[4].msg.data, std::string("\0\r\n", 3));

  const Message& h = ops[5].msg;
  EXPECT_EQ(ops[5].sid, 9u);
  EXPECT_EQ(h.reply, "rep");
  EXPECT_EQ(h.status, 0);
  EXPECT_EQ(h.data, "abc");
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[0], (std::pair<std::string, std::string>("Key", "v1")));
  EXPECT_EQ(h.headers[1], (std::pair<std::string, std::string>("key", "v2")));
  EXPECT_EQ(h.Header("KEY"), "v1");
  EXPECT_EQ(h.Header("x"), "");
  EXPECT_EQ(h.Header("absent"), "");

  EXPECT_EQ(ops[6].msg.status, 503);
  EXPECT_EQ(ops[6].msg.description, "");
  EXPECT_EQ(ops[7].msg.status, 404);
  EXPECT_EQ(ops[7].msg.description, "No Messages");
  EXPECT_EQ(ops[7].msg.Header("a"), "b");

  EXPECT_EQ(ops[8].kind, OpKind::kOk);
  EXPECT_EQ(ops[9].kind, OpKind::kPong);
  EXPECT_EQ(ops[10].kind, OpKind::kErr);
  EXPECT_EQ(ops[10].text, "Permissions Violation for Publish to \"x\"");
}

TEST(NatsParserTest, ParsesEveryOperationInOneRead) {
  Parser parser;
  std::vector<ServerOp> ops;
  ASSERT_TRUE(parser.Feed(kStream, &ops).ok());
  CheckOps(ops);
}

TEST(NatsParserTest, ParsesAcrossEveryReadBoundary) {
  for (size_t step : {1u, 2u, 3u, 7u, 13u, 64u}) {
    SCOPED_TRACE(step);
    Parser parser;
    std::vector<ServerOp> ops;
    for (size_t i = 0; i < kStream.size(); i += step) {
      ASSERT_TRUE(parser.Feed(std::string_view(kStream).substr(i, step), &ops).ok());
    }
    CheckOps(ops);
  }
}

TEST(NatsParserTest, ParsesALargePayloadInPieces) {
  std::string payload(900 * 1024, 'x');
  for (size_t i = 0; i < payload.size(); i += 4099) payload[i] = static_cast<char>(i % 256);
  std::string wire =
      "MSG big 1 " + std::to_string(payload.size()) + "\r\n" + payload + "\r\nPING\r\n";
  Parser parser;
  std::vector<ServerOp> ops;
  for (size_t i = 0; i < wire.size(); i += 65536) {
    ASSERT_TRUE(parser.Feed(std::string_view(wire).substr(i, 65536), &ops).ok());
  }
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].msg.data, payload);
  EXPECT_EQ(ops[1].kind, OpKind::kPing);
}

TEST(NatsParserTest, RefusesWhatNoServerSends) {
  const char* bad[] = {
      "HELLO\r\n",                  // unknown operation
      "MSG a\r\n",                  // too few arguments
      "MSG a 1 b c d\r\n",          // too many
      "MSG a x 3\r\nabc\r\n",       // sid not a number
      "MSG a 1 -3\r\n",             // size not a number
      "MSG a 1 3\r\nabcd\r\n",      // payload not followed by CRLF
      "HMSG a 1 10 5\r\n",          // header bytes over total
      "HMSG a 1 5 5\r\nHTTP/\r\n",  // header block not NATS/1.0
      "MSG a 1 99999999999\r\n",    // over 64 MiB
  };
  for (const char* wire : bad) {
    SCOPED_TRACE(wire);
    Parser parser;
    std::vector<ServerOp> ops;
    Status st = parser.Feed(wire, &ops);
    EXPECT_EQ(st.code(), ErrorCode::kProtocolError) << st.ToString();
  }
}

TEST(NatsParserTest, ResetForgetsAPartialOperation) {
  Parser parser;
  std::vector<ServerOp> ops;
  ASSERT_TRUE(parser.Feed("MSG a 1 10\r\nabc", &ops).ok());
  parser.Reset();
  ASSERT_TRUE(parser.Feed("PONG\r\n", &ops).ok());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, OpKind::kPong);
}

TEST(NatsProtocolTest, EncodesClientOperations) {
  std::string out;
  AppendPub(&out, "a.b", "", "", "hi");
  AppendPub(&out, "a.b", "_INBOX.x.1", "", "");
  AppendPub(&out, "a.b", "r", "NATS/1.0\r\nK: v\r\n\r\n", "data");
  AppendSub(&out, "a.>", "", 3);
  AppendSub(&out, "a.*", "workers", 4);
  AppendUnsub(&out, 3);
  EXPECT_EQ(out,
            "PUB a.b 2\r\nhi\r\n"
            "PUB a.b _INBOX.x.1 0\r\n\r\n"
            "HPUB a.b r 18 22\r\nNATS/1.0\r\nK: v\r\n\r\ndata\r\n"
            "SUB a.> 3\r\n"
            "SUB a.* workers 4\r\n"
            "UNSUB 3\r\n");
}

TEST(NatsProtocolTest, InfoSaysWhetherTlsIsRequiredOrAvailable) {
  struct Case {
    const char* json;
    bool required, available;
  };
  const Case cases[] = {
      {"{\"server_id\":\"S\"}", false, false},
      {"{\"tls_required\":true}", true, false},
      {"{\"tls_available\":true}", false, true},
      {"{\"tls_required\":true,\"tls_verify\":true,\"tls_available\":true}", true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    auto info = ParseServerInfo(c.json);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->tls_required, c.required);
    EXPECT_EQ(info->tls_available, c.available);
  }
}

TEST(NatsProtocolTest, InfoMaxPayloadIsAPositiveIntegerOrTheDefault) {
  auto big = ParseServerInfo("{\"max_payload\":8388608}");
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->max_payload, 8388608u);
  for (const char* json : {"{}", "{\"max_payload\":0}", "{\"max_payload\":-5}"}) {
    auto info = ParseServerInfo(json);
    ASSERT_TRUE(info.ok()) << json << ": " << info.status().ToString();
    EXPECT_EQ(info->max_payload, size_t{1} << 20) << json;
  }
  // Past int64 a JSON number is a float: refused, not converted out of range.
  for (const char* json : {"{\"max_payload\":106666666666666648576}", "{\"max_payload\":1.5}",
                           "{\"max_payload\":\"1MB\"}"}) {
    auto info = ParseServerInfo(json);
    ASSERT_FALSE(info.ok()) << json;
    EXPECT_NE(info.status().message().find("max_payload"), std::string::npos)
        << info.status().ToString();
  }
}

TEST(NatsProtocolTest, ConnectCarriesTheOptions) {
  ConnectOptions o;
  o.user = "alice";
  o.password = "p\"w";
  o.name = "ingest";
  std::string line = EncodeConnect(o);
  ASSERT_EQ(line.substr(0, 8), "CONNECT ");
  ASSERT_EQ(line.substr(line.size() - 2), "\r\n");
  auto j = nlohmann::json::parse(line.substr(8, line.size() - 10));
  EXPECT_EQ(j["verbose"], false);
  EXPECT_EQ(j["pedantic"], false);
  EXPECT_EQ(j["headers"], true);
  EXPECT_EQ(j["no_responders"], true);
  EXPECT_EQ(j["protocol"], 1);
  EXPECT_EQ(j["name"], "ingest");
  EXPECT_EQ(j["lang"], "cpp");
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["pass"], "p\"w");
  EXPECT_FALSE(j.contains("auth_token"));
  EXPECT_FALSE(j.contains("echo"));  // the server's default: true

  ConnectOptions t;
  t.token = "tok";
  t.echo = false;
  auto k = nlohmann::json::parse(EncodeConnect(t).substr(8));
  EXPECT_EQ(k["auth_token"], "tok");
  EXPECT_EQ(k["echo"], false);
  EXPECT_FALSE(k.contains("user"));
  EXPECT_FALSE(k.contains("sig"));

  // A signed nonce: the JWT (or the bare NKey's public key) and the signature.
  SignedNonce jwt{.jwt = "h.c.s", .nkey = "", .sig = "c2ln"};
  auto m = nlohmann::json::parse(EncodeConnect(ConnectOptions{}, &jwt).substr(8));
  EXPECT_EQ(m["jwt"], "h.c.s");
  EXPECT_EQ(m["sig"], "c2ln");
  EXPECT_FALSE(m.contains("nkey"));
  SignedNonce nkey{.jwt = "", .nkey = "UABC", .sig = "c2ln"};
  auto n = nlohmann::json::parse(EncodeConnect(ConnectOptions{}, &nkey).substr(8));
  EXPECT_EQ(n["nkey"], "UABC");
  EXPECT_FALSE(n.contains("jwt"));
}

TEST(NatsProtocolTest, HeaderBlocksRoundTrip) {
  Headers headers = {{"Nats-Msg-Id", "42"}, {"X-Empty", ""}, {"X-Spaces", "a b  c"}};
  auto block = EncodeHeaderBlock(headers);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, "NATS/1.0\r\nNats-Msg-Id: 42\r\nX-Empty: \r\nX-Spaces: a b  c\r\n\r\n");
  Message m;
  ASSERT_TRUE(ParseHeaderBlock(*block, &m).ok());
  EXPECT_EQ(m.headers, headers);
  EXPECT_EQ(m.status, 0);

  for (Headers bad : {Headers{{"", "v"}}, Headers{{"a:b", "v"}}, Headers{{"a b", "v"}},
                      Headers{{"k", "v\r\nInjected: 1"}}}) {
    EXPECT_EQ(EncodeHeaderBlock(bad).status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(NatsProtocolTest, ValidatesSubjects) {
  struct Case {
    const char* subject;
    bool publish_ok, subscribe_ok;
  };
  const Case cases[] = {
      {"a", true, true},
      {"telemetry.dev-1.temp", true, true},
      {"$JS.API.INFO", true, true},
      {"a.*", false, true},
      {"a.>", false, true},
      {">", false, true},
      {"a.>.b", false, false},
      {"a*b.c>", true, true},
      {"", false, false},
      {"a b", false, false},
      {"a\tb", false, false},
      {"a\r\n", false, false},
      {".a", false, false},
      {"a.", false, false},
      {"a..b", false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.subject);
    EXPECT_EQ(ValidateSubject(c.subject, false).ok(), c.publish_ok);
    EXPECT_EQ(ValidateSubject(c.subject, true).ok(), c.subscribe_ok);
  }
  EXPECT_NE(ValidateSubject("a b", false).message().find("'a b'"), std::string::npos);
}

}  // namespace
}  // namespace tributary::nats
