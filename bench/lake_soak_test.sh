#!/usr/bin/env bash
# Soak test of the rules -> stream -> lake path (CTest: stress_lake_soak, label slow, run
# by `make stress`): devices publish QoS 1 JSON at a steady rate for minutes through the
# reference rule into a stream with small WAL segments (4 MiB) and small objects (1 MiB),
# so that segments are switched, recycled and preallocated and objects cut hundreds of
# times. At the end:
#   - mqtt_load finds every acknowledged record in the lake once, none missing or extra;
#   - the stream has nothing left buffered and its WAL holds at most a few segments;
#   - the server's memory (RSS) did not grow past what warming up took (plus a margin),
#     it holds no more open files than before the load, and it logged no warning or error.
# Usage: lake_soak_test.sh PATH/TO/mqtt_load PATH/TO/tributary
# Settings (environment): SOAK_S (300), SOAK_RATE (20000 messages/s), SOAK_PUBLISHERS (100).
set -euo pipefail
LOAD=$1
TRIBUTARY=$2
SOAK_S=${SOAK_S:-300}
RATE=${SOAK_RATE:-20000}
PUBLISHERS=${SOAK_PUBLISHERS:-100}
TMP=$(mktemp -d /tmp/lake-soak.XXXXXX)
D=$TMP/data
SERVER=
trap '[[ -z $SERVER ]] || kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
fail() { echo "lake_soak: FAIL: $*"; exit 1; }
json() { node -e 'const j = JSON.parse(process.argv[1]); console.log(j[process.argv[2]]);' "$1" "$2"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status"; }
fds() { find "/proc/$SERVER/fd" -mindepth 1 -maxdepth 1 | wc -l; }
cli() { "$TRIBUTARY" "$@" --data-dir "$D" >>"$TMP/cli.log" 2>&1 || fail "tributary $*: $(tail -3 "$TMP/cli.log")"; }

mkdir -p "$D"
"$TRIBUTARY" server --data-dir "$D" --bind 127.0.0.1 --http-port 0 --mqtt-port 0 \
  --mqtt-tls-port -1 --mqtt-ws-port -1 --https-port -1 --allow-anonymous --log-level warn \
  --wal-segment-mib 4 >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 150); do [[ -s $D/server.json ]] && break; sleep 0.1; done
[[ -s $D/server.json ]] || fail "the server did not start: $(tail -5 "$TMP/server.log")"
PORT=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).mqtt_port)' \
  "$D/server.json")
cli stream create soak --bucket soak --buffer-size-mib 1 --buffer-interval-s 1 --compression none
cat >"$TMP/rule.json" <<'JSON'
{"topicRulePayload":{"sql":"SELECT * FROM 'soak/#'","actions":[{"firehose":{"deliveryStreamName":"soak","separator":"\n"}}]}}
JSON
cli rule create soak_rule --payload "$TMP/rule.json"
base_fds=$(fds)  # before any device connects

# Memory and open files once the load has run for a while (buffers, segments and spare
# in use), then again at the end.
WARM_S=$(( SOAK_S / 10 > 5 ? SOAK_S / 10 : 5 ))
( sleep "$WARM_S"; echo "$(rss_kib) $(fds)" >"$TMP/warm" ) &
line=$(timeout $(( SOAK_S + 240 )) "$LOAD" --port "$PORT" --publishers "$PUBLISHERS" \
  --subscribers 0 --qos 1 --payload-bytes 250 --rate "$RATE" --duration-s "$SOAK_S" \
  --warmup-s 1 --drain-s 60 --topic-prefix soak/ --lake-dir "$D/lake/soak" 2>"$TMP/load.err") ||
  fail "mqtt_load exited non-zero: $line $(cat "$TMP/load.err")"
read -r warm_rss warm_fds <"$TMP/warm"
end_rss=$(rss_kib)
end_fds=$(fds)
echo "lake_soak: $line"
echo "lake_soak: RSS ${warm_rss} KiB after ${WARM_S} s, ${end_rss} KiB at the end;" \
  "open files ${base_fds} before the load, ${warm_fds} during it, ${end_fds} after"

acked=$(json "$line" acked)
(( acked >= RATE * SOAK_S * 9 / 10 )) || fail "only $acked messages acknowledged at $RATE/s for $SOAK_S s"
[[ $(json "$line" drained) == true ]] || fail "not every record reached the lake: $line"
[[ $(json "$line" lake_missing) == 0 ]] || fail "records missing from the lake: $line"
[[ $(json "$line" lake_duplicates) == 0 ]] || fail "records twice in the lake: $line"
[[ $(json "$line" lake_foreign) == 0 ]] || fail "records in the lake nobody sent: $line"
[[ $(json "$line" lake_records) == "$acked" ]] || fail "lake records != acknowledged: $line"

"$TRIBUTARY" stream describe soak --json --data-dir "$D" >"$TMP/describe.json" ||
  fail "stream describe: $(cat "$TMP/describe.json")"
node - "$TMP/describe.json" "$acked" <<'JS' || fail "stream state after the soak: $(cat "$TMP/describe.json")"
const d = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const s = d.stats ?? d;
const acked = Number(process.argv[3]);
const problems = [];
if (s.records_in < acked) problems.push(`records_in ${s.records_in} < ${acked} acknowledged`);
if (s.buffered_bytes !== 0) problems.push(`${s.buffered_bytes} bytes still buffered`);
// Delivered segments go (or wait to be reused): the active one and a few more at most.
if (s.wal_bytes > 3 * 4 * 1048576) problems.push(`WAL holds ${s.wal_bytes} bytes`);
if (s.objects_delivered < 100) problems.push(`only ${s.objects_delivered} objects`);
for (const p of problems) console.log(`lake_soak: FAIL: ${p}`);
console.log(`lake_soak: ${s.objects_delivered} objects, WAL ${s.wal_bytes} bytes`);
process.exit(problems.length ? 1 : 0);
JS
# On disk: the WAL directory holds the active segment, a spare and the recycled ones
# (--wal-segment-mib 4; at most 128 MiB of recycled segments).
wal_kib=$(du -sk "$D/wal" 2>/dev/null | cut -f1 || echo 0)
(( wal_kib < (4 + 2 + 128) * 1024 )) || fail "the WAL directory takes $wal_kib KiB"
(( end_rss < warm_rss + warm_rss / 2 + 65536 )) ||
  fail "memory grew from $warm_rss KiB to $end_rss KiB"
(( end_fds <= base_fds + 8 )) || fail "open files: $base_fds before the load, $end_fds after"
[[ ! -s $TMP/server.log ]] || fail "the server logged: $(tail -20 "$TMP/server.log")"
echo "1 passed, 0 failed"
