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
// A Basic Ingest topic ($aws/rules/<rule>/<topic>) matches only the rule it names, which
// is tried on <topic>; "basicIngest" then says so: {"rule": "...", "topic": "..."}.
//
// Pure: nothing is published, stored or sent.
#pragma once

#include <nlohmann/json.hpp>

#include "rules/compiled_rule.h"

namespace tributary::rules {

nlohmann::json TryRule(const CompiledRule& rule, const MessageContext& m);

}  // namespace tributary::rules
