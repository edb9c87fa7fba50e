#!/bin/sh
# Publishes the reference device's air-quality reading as thing "secure-localhost" to
# Tributary with mosquitto_pub (Debian/Ubuntu: apt-get install mosquitto-clients).
#   ./publish.sh             one message
#   ./publish.sh 100 0.25    100 messages, one every 0.25 s, over one connection
set -eu
cd "$(dirname "$0")"

HOST="${TRIBUTARY_MQTT_HOST:-localhost}"
PORT="${TRIBUTARY_MQTT_PORT:-43951}"
THING="secure-localhost"
TOPIC="devices/secure-localhost/pollution"
COUNT="${1:-1}"
INTERVAL="${2:-0}"

case "$COUNT" in
  '' | *[!0-9]*) echo "publish.sh: COUNT must be a whole number, got '$COUNT'" >&2; exit 2 ;;
esac
if ! command -v mosquitto_pub >/dev/null 2>&1; then
  echo "publish.sh: mosquitto_pub not found; install the mosquitto-clients package" >&2
  exit 127
fi

# One JSON reading: five random levels 0..100 and the reference device's location.
reading() {
  set -- $(od -An -N10 -tu2 /dev/urandom)
  printf '{"ozone": %d, "particulate_matter": %d, "carbon_monoxide": %d, "sulfur_dioxide": %d, "nitrogen_dioxide": %d, "longitude": 10.250786139881143, "latitude": 56.20251117218925, "timestamp": "%s"}\n' \
    $(($1 % 101)) $(($2 % 101)) $(($3 % 101)) $(($4 % 101)) $(($5 % 101)) \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# mosquitto_pub -l sends each input line as one message and waits for the last PUBACK.
i=0
while [ "$i" -lt "$COUNT" ]; do
  reading
  i=$((i + 1))
  if [ "$i" -lt "$COUNT" ] && [ "$INTERVAL" != "0" ]; then sleep "$INTERVAL"; fi
done | mosquitto_pub -h "$HOST" -p "$PORT" --cafile ca.crt --cert device.crt --key device.key \
  -i "$THING" -t "$TOPIC" -q 1 -l
echo "published $COUNT message(s) to $TOPIC on $HOST:$PORT"
