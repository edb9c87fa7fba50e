// Rule evaluation per message: SELECT * (the reference rule) and a rule with a WHERE
// and three computed fields, on a ~250-byte pollution payload. Each iteration is one
// message: a fresh Message (so the payload is parsed again) and one Evaluate.
//
//   build-*/src/rules/rule_eval_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include "rules/compiled_rule.h"
#include "rules/rule_set.h"

namespace tributary::rules {
namespace {

constexpr std::string_view kPayload =
    R"({"device_id": "sensor-0042", "ts": "2026-11-29T21:53:27.123Z", "pm25": 35.2,)"
    R"( "pm10": 51.7, "no2": 18.4, "o3": 27.9, "co": 0.42, "temperature": 21.5,)"
    R"( "humidity": 48, "pressure": 1013.2, "battery": 3.71,)"
    R"( "location": {"lat": 48.8566, "lon": 2.3522}, "firmware": "1.4.2"})";

std::shared_ptr<const CompiledRule> MustCompile(std::string_view sql) {
  auto r = CompiledRule::CompileSql(sql);
  if (!r.ok()) std::abort();
  return *r;
}

void Run(benchmark::State& state, const CompiledRule& rule) {
  size_t bytes = 0;
  for (auto _ : state) {
    expr::Message m("devices/sensor-0042/pollution", kPayload);
    m.client_id = "sensor-0042";
    m.received_at_ms = 1764453207123;
    auto out = rule.Evaluate(m);
    if (!out.ok() || !*out) {
      state.SkipWithError("rule produced no output");
      break;
    }
    bytes += (*out)->payload.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload.size()));
  state.counters["payload_bytes"] = static_cast<double>(kPayload.size());
  state.counters["out_bytes"] =
      state.iterations() ? static_cast<double>(bytes) / static_cast<double>(state.iterations()) : 0;
}

void BM_SelectStar(benchmark::State& state) {
  static auto rule = MustCompile("SELECT * FROM 'devices/+/pollution'");
  Run(state, *rule);
}
BENCHMARK(BM_SelectStar);

// The broker's shortcut for SELECT *: whether a compact payload is its own output (no
// parse, no copy), asked of every message the rule matches.
void BM_SelectStarPassThroughCheck(benchmark::State& state) {
  static auto rule = MustCompile("SELECT * FROM 'devices/+/pollution'");
  std::string compact;
  for (char c : kPayload) {
    if (c != ' ') compact.push_back(c);
  }
  for (auto _ : state) {
    bool same = rule->OutputIsPayload(compact);
    if (!same) {
      state.SkipWithError("a compact payload should pass through");
      break;
    }
    benchmark::DoNotOptimize(same);
  }
  state.counters["payload_bytes"] = static_cast<double>(compact.size());
}
BENCHMARK(BM_SelectStarPassThroughCheck);

void BM_WhereAndThreeComputedFields(benchmark::State& state) {
  static auto rule = MustCompile(
      "SELECT topic(2) AS device, round(pm25 * 10) / 10.0 AS pm25_rounded, "
      "timestamp() AS received_ms FROM 'devices/+/pollution' "
      "WHERE pm25 > 10 AND humidity < 90");
  Run(state, *rule);
}
BENCHMARK(BM_WhereAndThreeComputedFields);

void BM_StarPlusFields(benchmark::State& state) {
  static auto rule = MustCompile(
      "SELECT *, topic(2) AS device, parse_time('yyyy-MM-dd', timestamp()) AS day "
      "FROM 'devices/+/pollution'");
  Run(state, *rule);
}
BENCHMARK(BM_StarPlusFields);

// Finding the rules for a topic among many (the trie in RuleSet).
void BM_RuleSetMatch1000Rules(benchmark::State& state) {
  std::vector<std::shared_ptr<const CompiledRule>> rules;
  for (int i = 0; i < 1000; ++i) {
    rules.push_back(MustCompile("SELECT * FROM 'site" + std::to_string(i) + "/+/pollution'"));
  }
  rules.push_back(MustCompile("SELECT * FROM 'devices/+/pollution'"));
  auto set = RuleSet::Build(rules);
  std::vector<const CompiledRule*> hits;
  for (auto _ : state) {
    hits.clear();
    set->Match("devices/sensor-0042/pollution", &hits);
    benchmark::DoNotOptimize(hits.data());
  }
  if (hits.size() != 1) state.SkipWithError("expected one matching rule");
}
BENCHMARK(BM_RuleSetMatch1000Rules);

}  // namespace
}  // namespace tributary::rules

BENCHMARK_MAIN();
