#include "serving/worker_protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary::serving {
namespace {

// Feeds `stream` in pieces of `piece` bytes and collects every message.
Result<std::vector<WorkerMessage>> DecodeAll(
    const std::string& stream, size_t piece,
    size_t max_header = WorkerDecoder::kDefaultMaxHeaderBytes) {
  WorkerDecoder decoder(max_header);
  std::vector<WorkerMessage> messages;
  for (size_t at = 0; at < stream.size(); at += piece) {
    decoder.Feed(std::string_view(stream).substr(at, piece));
    for (;;) {
      TRY_ASSIGN(std::optional<WorkerMessage> message, decoder.Next());
      if (!message) break;
      messages.push_back(std::move(*message));
    }
  }
  return messages;
}

TEST(WorkerProtocolTest, EncodesRequestHeader) {
  WorkerRequest request;
  request.id = 7;
  request.content_type = "application/jsonlines";
  request.body = "{\"start\":\"2024-01-01\"}\n";
  std::string header = EncodeRequestHeader(request);
  ASSERT_EQ(header.back(), '\n');
  auto json = nlohmann::json::parse(header);
  EXPECT_EQ(json["id"], 7);
  EXPECT_EQ(json["content_type"], "application/jsonlines");
  EXPECT_EQ(json["accept"], "application/json");
  EXPECT_EQ(json["length"], request.body.size());
  EXPECT_FALSE(json.contains("inference_config"));

  request.inference_config = {{"num_samples", 10}};
  json = nlohmann::json::parse(EncodeRequestHeader(request));
  EXPECT_EQ(json["inference_config"]["num_samples"], 10);
}

TEST(WorkerProtocolTest, DecodesEveryKindWhateverThePieces) {
  std::string stream =
      "{\"ready\": true, \"info\": {\"prediction_length\": 24}}\n"
      "\r\n"
      "{\"id\": 1, \"status\": 200, \"length\": 5}\n[1,2]"
      "{\"id\": 2, \"status\": 400, \"error\": \"no instances\", \"length\": 0}\r\n"
      "{\"id\": 3, \"status\": 200, \"content_type\": \"text/csv\", \"length\": 2}\n\n\n"
      "{\"ready\": false, \"error\": \"bad\"}\n";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, stream.size()}) {
    SCOPED_TRACE(piece);
    auto messages = DecodeAll(stream, piece);
    ASSERT_TRUE(messages.ok()) << messages.status().ToString();
    ASSERT_EQ(messages->size(), 5u);
    const auto& m = *messages;
    EXPECT_EQ(m[0].type, WorkerMessage::Type::kReady);
    EXPECT_EQ(m[0].info["prediction_length"], 24);
    EXPECT_EQ(m[1].type, WorkerMessage::Type::kAnswer);
    EXPECT_EQ(m[1].id, 1u);
    EXPECT_EQ(m[1].body, "[1,2]");
    EXPECT_EQ(m[1].content_type, "application/json");
    EXPECT_EQ(m[2].status, 400);
    EXPECT_EQ(m[2].error, "no instances");
    EXPECT_EQ(m[3].content_type, "text/csv");
    EXPECT_EQ(m[3].body, "\n\n");  // a body is raw bytes, newlines included
    EXPECT_EQ(m[4].type, WorkerMessage::Type::kNotReady);
    EXPECT_EQ(m[4].error, "bad");
  }
}

TEST(WorkerProtocolTest, WaitsForTheWholeBody) {
  WorkerDecoder decoder;
  decoder.Feed("{\"id\": 1, \"status\": 200, \"length\": 4}\nab");
  auto first = decoder.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  decoder.Feed("cd");
  auto second = decoder.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->body, "abcd");
  EXPECT_EQ(decoder.buffered(), 0u);
}

struct BadCase {
  std::string stream;
  std::string error;  // a part of the message
};

TEST(WorkerProtocolTest, ErrorsSayWhatAndWhere) {
  const std::vector<BadCase> cases = {
      {"{\"ready\": true}\nLoading weights...\n", "not JSON at byte 16"},
      {"[1]\n", "is array, not a JSON object"},
      {"{\"id\": 1e999, \"status\": 200, \"length\": 0}\n", "at byte 0 is not JSON: "},
      {"{\"id\": 1, \"length\": 0}\n", "lacks \"status\""},
      {"{\"status\": 200, \"length\": 0}\n", "lacks \"id\""},
      {"{\"id\": 1, \"status\": 200}\n", "lacks \"length\""},
      {"{\"id\": -1, \"status\": 200, \"length\": 0}\n", "\"id\" is -1, not a count"},
      {"{\"id\": 1, \"status\": 42, \"length\": 0}\n", "status 42 is not an HTTP status"},
      {"{\"ready\": \"yes\"}\n", "\"ready\" is \"yes\""},
      {"{\"ready\": true, \"length\": 3}\nabc", "carries no body"},
      {"{\"ready\": true, \"info\": 5}\n", "\"info\" is number"},
      {std::string(100, 'x'), "at byte 0 is over the 64 byte limit (no newline yet)"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.stream);
    auto messages = DecodeAll(c.stream, 3, 64);
    ASSERT_FALSE(messages.ok());
    EXPECT_EQ(messages.status().code(), ErrorCode::kProtocolError);
    EXPECT_NE(messages.status().message().find(c.error), std::string::npos)
        << messages.status().message();
  }
}

TEST(WorkerProtocolTest, BoundsAHeaderLineThatArrivesWhole) {
  auto messages = DecodeAll("{\"ready\": true}\n" + std::string(100, 'x') + "\n", 1000, 64);
  ASSERT_FALSE(messages.ok());
  EXPECT_EQ(messages.status().message(),
            "worker header line at byte 16 is 100 bytes, over the 64 byte limit");
}

// By default an answer may be 64 MiB: a worker announcing more is ended before the
// server buffers it (a DeepAR answer is at most ~11 MB, forecast/invocation.h).
TEST(WorkerProtocolTest, DefaultAnswerLimitIs64MiB) {
  WorkerDecoder decoder;
  decoder.Feed("{\"id\": 1, \"status\": 200, \"length\": 67108865}\n");
  auto message = decoder.Next();
  ASSERT_FALSE(message.ok());
  EXPECT_EQ(message.status().message(),
            "worker answer at byte 0: length 67108865 is over the 67108864 byte limit");
  WorkerDecoder fits;
  fits.Feed("{\"id\": 1, \"status\": 200, \"length\": 67108864}\n");
  auto pending = fits.Next();
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_FALSE(pending->has_value());  // waiting for the body
}

TEST(WorkerProtocolTest, ErrorsAreSticky) {
  WorkerDecoder decoder;
  decoder.Feed("oops\n{\"ready\": true}\n");
  EXPECT_FALSE(decoder.Next().ok());
  EXPECT_FALSE(decoder.Next().ok());
}

TEST(WorkerProtocolTest, ChecksTheAnswerMatchesTheRequest) {
  WorkerMessage answer;
  answer.id = 8;
  EXPECT_TRUE(CheckAnswerTo(8, answer).ok());
  Status wrong = CheckAnswerTo(7, answer);
  EXPECT_EQ(wrong.message(), "worker answered id 8 to request 7");
  answer.type = WorkerMessage::Type::kReady;
  EXPECT_FALSE(CheckAnswerTo(8, answer).ok());
}

}  // namespace
}  // namespace tributary::serving
