// TryRule: what a rule would do with one message, without doing any of it (`tributary
// rule test`, POST /v1/rules/{name}/test): whether the FROM filter matches, whether WHERE
// holds, the SELECT's output, and for each action where it would go and what it would
// send (the rendered republish topic and MQTT 5 properties, s3 key, http URL and headers,
// firehose record), or the failure that would send the message to the error action.
//
//   {"matches": true, "selected": true, "output": "{\"pm10\":7}",
//    "actions": [{"s3": {"bucketName": "raw", "key": "d1/1764460800000.json"}}],
//    "failures": []}
//
// A firehose action whose stream does not exist (as `check_stream` answers) is a failure,
// as it would be at run time: the message would go to the error action.
//
// A Basic Ingest topic ($aws/rules/<rule>/<topic>) matches only the rule it names, which
// is tried on <topic>; "basicIngest" then says so: {"rule": "...", "topic": "..."}.
//
// Pure: nothing is published, stored or sent.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

#include "rules/compiled_rule.h"

namespace tributary::rules {

// Whether a record sent to delivery stream `stream` now would be refused for good: OK, or
// the error it would get (NotFound: no such stream), its message naming the stream.
using StreamCheck = std::function<Status(std::string_view stream)>;

// `check_stream` null: every stream is taken to exist.
nlohmann::json TryRule(const CompiledRule& rule, const MessageContext& m,
                       const StreamCheck& check_stream = {});

}  // namespace tributary::rules
