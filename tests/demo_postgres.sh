#!/usr/bin/env bash
# CTest's demo_postgres: the whole demo (scripts/demo: device -> broker -> rule -> stream
# -> lake -> crawler -> ETL -> DeepAR training job -> endpoint with capture -> drift
# monitor that retrains) with the metadata in a throwaway PostgreSQL
# (scripts/with-postgres), on a temporary data directory removed afterwards. The demo
# checks every step, and with DEMO_METADATA_URL also that nothing went to metadata.db.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(mktemp -d /tmp/tributary-demo-pg.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
export DEMO_DATA_DIR=$DIR/data
scripts/with-postgres bash -c 'DEMO_METADATA_URL=$TRIBUTARY_TEST_POSTGRES_URL scripts/demo' \
  < /dev/null
