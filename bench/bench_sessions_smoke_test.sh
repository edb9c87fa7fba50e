#!/usr/bin/env bash
# Smoke test of the offline-sessions benchmark (CTest: bench_sessions_smoke, label
# integration): scripts/bench-sessions leaves 20,000 offline persistent sessions on the
# real server and reads what the idle server then costs. It must exit 0 and print its
# table, and the idle server must use under 2% of a core: its housekeeping looks only
# at the sessions that changed or are due to expire, not at every session (walking them
# all twice a second took 34 ms of CPU a second here, and 210 with 100,000 sessions).
# Usage: bench_sessions_smoke_test.sh PATH/TO/tributary
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/bench-sessions-smoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "bench_sessions_smoke: FAIL: $*"; exit 1; }
TRIBUTARY=$1 BENCH_SESSIONS_RESULTS=$TMP/results.jsonl BENCH_NICE=0 BENCH_SESSIONS=20000 \
  BENCH_SESSIONS_IDLE_S=5 BENCH_SESSIONS_SETTLE_S=2 BENCH_SESSIONS_BROKERS=tributary \
  "$ROOT/scripts/bench-sessions" >"$TMP/table.md" 2>"$TMP/err" ||
  fail "scripts/bench-sessions exited non-zero: $(cat "$TMP/err")"
grep -q '^| tributary | 20,000 | ' "$TMP/table.md" || fail "no table row: $(cat "$TMP/table.md")"

node - "$TMP/results.jsonl" <<'JS' || fail "$(cat "$TMP/table.md")"
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map(JSON.parse);
const problems = [];
if (rows.length !== 1) problems.push(`${rows.length} results, expected 1`);
const r = rows[0] || {};
if (r.sessions !== 20000) problems.push(`sessions ${r.sessions}, expected 20000`);
if (!(r.cpu_ms_per_s < 20)) problems.push(`the idle server used ${r.cpu_ms_per_s} ms of CPU a second`);
if (!(r.rss_kb > r.rss_before_kb)) problems.push('the sessions took no memory: were they made?');
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
JS
echo "bench_sessions_smoke: ok: $(cat "$TMP/results.jsonl")"
