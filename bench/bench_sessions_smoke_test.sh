#!/usr/bin/env bash
# Smoke test of the offline-sessions benchmark (CTest: bench_sessions_smoke, label
# integration): scripts/bench-sessions leaves 20,000 offline persistent sessions on the
# real server, once plain and once each with a delayed will, and reads what the idle
# server then costs. It must exit 0 and print its table, the server must say it holds
# the sessions (and the wills), and read them all back when it starts again on its saved
# state, and the idle server must use under 2% of a core: its
# housekeeping looks only at the sessions that changed and at the sessions and wills
# due, not at every one (walking them took 34 ms of CPU a second here with plain
# sessions, and 238 with 50,000 delayed wills).
# Usage: bench_sessions_smoke_test.sh PATH/TO/tributary
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/bench-sessions-smoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "bench_sessions_smoke: FAIL: $*"; exit 1; }
TRIBUTARY=$1 BENCH_SESSIONS_RESULTS=$TMP/results.jsonl BENCH_NICE=0 BENCH_SESSIONS=20000 \
  BENCH_SESSIONS_IDLE_S=5 BENCH_SESSIONS_SETTLE_S=2 BENCH_SESSIONS_BROKERS=tributary \
  BENCH_SESSIONS_KINDS="plain wills" \
  "$ROOT/scripts/bench-sessions" >"$TMP/table.md" 2>"$TMP/err" ||
  fail "scripts/bench-sessions exited non-zero: $(cat "$TMP/err")"
for kind in 'plain' 'delayed will (3600 s)'; do
  grep -qF "| tributary | 20,000 | $kind | " "$TMP/table.md" ||
    fail "no table row for $kind: $(cat "$TMP/table.md")"
done

node - "$TMP/results.jsonl" <<'JS' || fail "$(cat "$TMP/table.md")"
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map(JSON.parse);
const problems = [];
if (rows.length !== 2) problems.push(`${rows.length} results, expected 2`);
for (const r of rows) {
  const wills = r.kind === 'wills' ? 20000 : 0;
  if (r.sessions !== 20000 || r.held_sessions !== 20000) {
    problems.push(`${r.kind}: ${r.held_sessions} sessions held of ${r.sessions}, expected 20000`);
  }
  if (r.held_wills !== wills) problems.push(`${r.kind}: ${r.held_wills} wills held, expected ${wills}`);
  if (!(r.cpu_ms_per_s < 20)) {
    problems.push(`${r.kind}: the idle server used ${r.cpu_ms_per_s} ms of CPU a second`);
  }
  if (!(r.rss_kb > r.rss_before_kb)) problems.push(`${r.kind}: the sessions took no memory`);
  if (r.restored_sessions !== 20000 || r.restored_wills !== wills) {
    problems.push(`${r.kind}: ${r.restored_sessions} sessions and ${r.restored_wills} wills read ` +
                  `back at the restart, expected 20000 and ${wills}`);
  }
  if (typeof r.saved_after_seconds !== 'number') problems.push(`${r.kind}: no time to save`);
  if (!(r.restart_seconds < 15)) problems.push(`${r.kind}: the restart took ${r.restart_seconds} s`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
JS
echo "bench_sessions_smoke: ok:"
cat "$TMP/results.jsonl"
