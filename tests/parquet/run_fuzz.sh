#!/usr/bin/env bash
# Builds the Parquet reader fuzzer (libFuzzer + ASan + UBSan, clang) in
# build-parquet-fuzz/ and runs it for SECONDS on a copy of tests/parquet/fuzz_corpus/.
# Exits non-zero when the fuzzer finds a crash; the crashing input is kept in
# build-parquet-fuzz/fuzz-artifacts/ (add it to the corpus once fixed).
#   tests/parquet/run_fuzz.sh 300
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: tests/parquet/run_fuzz.sh SECONDS" >&2; exit 2; }
build="${FUZZ_BUILD_DIR:-build-parquet-fuzz}"
command -v clang++ >/dev/null || { echo "run_fuzz: clang++ is missing" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DTRIBUTARY_FUZZ=ON -DTRIBUTARY_WITH_TORCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" -j "${FUZZ_BUILD_JOBS:-2}" parquet_reader_fuzz >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$build/fuzz-artifacts"
cp tests/parquet/fuzz_corpus/* "$work/corpus/"
status=0
"$build/src/parquet/parquet_reader_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" "$work/corpus" \
  >"$work/log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  tail -60 "$work/log" >&2
  echo "run_fuzz: the fuzzer failed with status $status; crashing input in $build/fuzz-artifacts/" >&2
  exit "$status"
fi
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/log" || true
echo "run_fuzz: no crash in ${seconds}s"
