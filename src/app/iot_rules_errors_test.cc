#include <gtest/gtest.h>

#include "app/aws_api.h"

namespace tributary::app {
namespace {

std::string TypeOf(const Status& status) { return IotError(status).headers["x-amzn-ErrorType"]; }

// A SQL statement that does not parse is SqlParseException; a payload whose sql is not a
// string at all is InvalidRequestException, as other malformed payloads are.
TEST(IotRulesErrors, OnlySqlThatDoesNotParseIsASqlParseException) {
  EXPECT_EQ(TypeOf(InvalidArgument("topicRulePayload.sql: column 8: expected an expression")),
            "SqlParseException");
  EXPECT_EQ(TypeOf(InvalidArgument("sql: column 1: expected SELECT")), "SqlParseException");
  EXPECT_EQ(TypeOf(InvalidArgument("topicRulePayload.sql: must be a non-empty string")),
            "InvalidRequestException");
  EXPECT_EQ(TypeOf(InvalidArgument("topicRulePayload.actions: must be an array of actions")),
            "InvalidRequestException");
  EXPECT_EQ(TypeOf(NotFound("rule 'x' does not exist")), "ResourceNotFoundException");
  EXPECT_EQ(IotError(AlreadyExists("rule 'x' already exists")).status, 409);
}

// A body past the server's limit is answered in the shape of the service it was for, so
// that its SDK reads the error (a Tributary-shaped one was "UnknownError"); S3's and the
// native API's requests are not this function's.
TEST(AwsBodyTooLarge, AnswersInTheServicesShape) {
  net::HttpRequest firehose;
  firehose.method = "POST";
  firehose.path = "/";
  firehose.headers["x-amz-target"] = "Firehose_20150804.PutRecordBatch";
  auto answer = AwsBodyTooLarge(firehose, "the request body is larger than 16777216 bytes");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 413);
  EXPECT_EQ(answer->headers["x-amzn-ErrorType"], "InvalidArgumentException");
  EXPECT_NE(answer->body.find("\"__type\":\"InvalidArgumentException\""), std::string::npos)
      << answer->body;
  EXPECT_NE(answer->body.find("larger than 16777216 bytes"), std::string::npos) << answer->body;

  net::HttpRequest sagemaker = firehose;
  sagemaker.headers["x-amz-target"] = "SageMaker.CreateModel";
  EXPECT_EQ(AwsBodyTooLarge(sagemaker, "too large")->headers["x-amzn-ErrorType"],
            "ValidationException");

  net::HttpRequest native;
  native.method = "POST";
  native.path = "/v1/streams/s/records";
  EXPECT_FALSE(AwsBodyTooLarge(native, "too large").has_value());
}

}  // namespace
}  // namespace tributary::app
