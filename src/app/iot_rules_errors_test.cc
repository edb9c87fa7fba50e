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

}  // namespace
}  // namespace tributary::app
