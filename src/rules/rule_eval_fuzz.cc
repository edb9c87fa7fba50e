// libFuzzer target for rules: the statement (CreateTopicRule's sql, from an operator) and
// above all the payload (from any device) must give a record, no record or an error,
// never a crash, a hang or an exception. Built by scripts/run-fuzz.
//
// Input: the statement up to the first newline, then the payload. The message's topic is
// "a/b/c", so statements FROM 'a/#' (or '#', 'a/+/c' ...) are evaluated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/json_numbers.h"
#include "mqtt/utf8.h"
#include "rules/compiled_rule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tributary::rules::CompiledRule;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) newline = input.size();
  std::string_view sql = input.substr(0, newline);
  std::string_view payload = input.substr(std::min(input.size(), newline + 1));

  auto rule = CompiledRule::CompileSql(sql);
  if (!rule.ok()) {
    if (rule.status().message().empty()) std::abort();  // every error says what is wrong
    return 0;
  }
  tributary::expr::Message m("a/b/c", payload);
  m.client_id = "device-1";
  m.received_at_ms = 1700000000000;
  (void)(*rule)->Matches("a/b/c");
  auto out = (*rule)->Evaluate(m);
  if (out.ok() && out->has_value()) {
    const auto& record = **out;
    // A JSON record must be JSON: later stages (crawler, ETL) read it. (A statement arrives
    // in a JSON document, so it is UTF-8; its string literals may end up in the record.)
    // Read as the lake reads it: SELECT * keeps a device's 1e400, which the lake reads as
    // null (lake/json_record_parse.h) and nlohmann's parse alone refuses.
    if (record.is_json && !record.payload.empty() && tributary::mqtt::IsValidMqttUtf8(sql) &&
        nlohmann::json::parse(tributary::ReadableNumbers(record.payload, "null"), nullptr, false)
            .is_discarded()) {
      std::abort();
    }
  } else if (!out.ok() && out.status().message().empty()) {
    std::abort();
  }
  // The hot path's shortcut must agree with a full evaluation.
  if ((*rule)->OutputIsPayload(payload)) {
    if (!out.ok() || !out->has_value() || (**out).payload != payload) std::abort();
  }
  return 0;
}
