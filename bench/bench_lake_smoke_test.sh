#!/usr/bin/env bash
# Smoke test of the ingestion benchmark (CTest: bench_lake_smoke, label integration):
# scripts/bench-lake runs one short round against the real server, all three loads, and
# every run must exit 0; with the rule, mqtt_load --lake-dir must find every
# acknowledged record in the lake, and the table must print.
# Usage: bench_lake_smoke_test.sh PATH/TO/mqtt_load PATH/TO/tributary
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/bench-lake-smoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "bench_lake_smoke: FAIL: $*"; exit 1; }
MQTT_LOAD=$1 TRIBUTARY=$2 BENCH_LAKE_RESULTS=$TMP/results.jsonl BENCH_NICE=0 \
  BENCH_DURATION_S=1 BENCH_WARMUP_S=0.5 BENCH_ROUNDS=1 BENCH_LAKE_PUBLISHERS=10 \
  BENCH_LAKE_FLEET_PUBLISHERS=40 BENCH_LAKE_FLEET_INFLIGHT=2 \
  BENCH_LAKE_DRAIN_S=8 "$ROOT/scripts/bench-lake" >"$TMP/table.md" 2>"$TMP/err" ||
  fail "scripts/bench-lake exited non-zero: $(cat "$TMP/err")"
for row in '10 → 1 subscriber' '10 publishers, no subscriber' '40 devices, 2 in flight each'; do
  grep -q "^| always | $row" "$TMP/table.md" || fail "no table row '$row': $(cat "$TMP/table.md")"
done

node - "$TMP/results.jsonl" <<'JS' || fail "$(cat "$TMP/err")"
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map(JSON.parse);
const problems = [];
if (rows.length !== 6) problems.push(`${rows.length} runs, expected 6`);
const fleet = rows.filter((r) => r.load === 'fleet');
if (!fleet.every((r) => r.publishers === 40 && r.inflight === 2 && r.subscribers === 0)) {
  problems.push(`the fleet load ran with other settings: ${JSON.stringify(fleet)}`);
}
for (const r of rows) {
  const what = `${r.load} ${r.phase}: ${JSON.stringify(r)}`;
  if (r.exit !== 0 || r.error || !r.drained || r.lost !== 0 || r.messages < 100) problems.push(what);
  if (r.phase === 'rule' && !(r.lake_missing === 0 && r.lake_records === r.acked &&
                              r.lake_objects >= 1 && r.lake_p50_us > 0 && r.lake_foreign === 0)) {
    problems.push(`lake figures wrong in ${what}`);
  }
  if (r.phase === 'alone' && 'lake_records' in r) problems.push(`lake figures without the rule: ${what}`);
  if (!(r.server_cpu_s > 0 && r.load_cpu_s > 0)) problems.push(`no CPU figures in ${what}`);
}
for (const p of problems) console.log(`bench_lake_smoke: FAIL: ${p}`);
for (const r of rows) console.log(`ok: ${r.load} ${r.phase}: ${r.msgs_per_s} msg/s, lake ${r.lake_records ?? '-'}`);
process.exit(problems.length ? 1 : 0);
JS
echo "1 passed, 0 failed"
