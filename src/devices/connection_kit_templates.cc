#include "devices/connection_kit_templates.h"

namespace tributary::devices::kit_templates {

const char* const kPublishSh = R"sh(#!/bin/sh
# Publishes the reference device's air-quality reading as thing "{{THING}}" to
# Tributary with mosquitto_pub (Debian/Ubuntu: apt-get install mosquitto-clients).
#   ./publish.sh             one message
#   ./publish.sh 100 0.25    100 messages, one every 0.25 s, over one connection
set -eu
cd "$(dirname "$0")"

HOST="${TRIBUTARY_MQTT_HOST:-{{HOST}}}"
PORT="${TRIBUTARY_MQTT_PORT:-{{TLS_PORT}}}"
THING="{{THING}}"
TOPIC="{{TOPIC}}"
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
)sh";

const char* const kDeviceJs = R"js(#!/usr/bin/env node
// Example device for thing "{{THING}}": publishes the reference device's air-quality
// reading to Tributary over MQTT/TLS every 250 ms, authenticated by this kit's
// client certificate.
//   npm install                     once: fetches the `mqtt` package
//   node device.js                  until Ctrl-C
//   node device.js --count 20       stop after 20 acknowledged messages
//   node device.js --interval 1000 --host broker.example.com --port 8883
'use strict';

const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');

function usage(problem) {
  if (problem) console.error(`device.js: ${problem}`);
  console.error('usage: node device.js [--count N] [--interval MS] [--host HOST] [--port PORT]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { count: 0, interval: 250, host: null, port: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--count') opts.count = Number(value());
    else if (arg === '--interval') opts.interval = Number(value());
    else if (arg === '--host') opts.host = value();
    else if (arg === '--port') opts.port = Number(value());
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument '${arg}'`);
  }
  if (!Number.isInteger(opts.count) || opts.count < 0) usage('--count must be a whole number');
  if (!Number.isInteger(opts.interval) || opts.interval < 1) usage('--interval must be a positive number of milliseconds');
  if (opts.port !== null && !(Number.isInteger(opts.port) && opts.port > 0 && opts.port < 65536)) usage('--port must be 1..65535');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const file = (name) => path.join(__dirname, name);
const endpoint = JSON.parse(fs.readFileSync(file('endpoint.json'), 'utf8'));
const host = opts.host || endpoint.host;
const port = opts.port || endpoint.mqtt_tls_port;
const topic = endpoint.topic;

const level = () => Math.floor(Math.random() * 101);
function reading() {
  return {
    ozone: level(),
    particulate_matter: level(),
    carbon_monoxide: level(),
    sulfur_dioxide: level(),
    nitrogen_dioxide: level(),
    longitude: 10.250786139881143,
    latitude: 56.20251117218925,
    timestamp: new Date(),
  };
}

const client = mqtt.connect({
  protocol: 'mqtts',
  host,
  port,
  clientId: endpoint.client_id,
  ca: fs.readFileSync(file('ca.crt')),
  cert: fs.readFileSync(file('device.crt')),
  key: fs.readFileSync(file('device.key')),
  rejectUnauthorized: true,
  protocolVersion: 4,
  clean: true,
  reconnectPeriod: 2000,
  connectTimeout: 10000,
});

let sent = 0;
let acked = 0;
let timer = null;

function finish(code) {
  if (timer) clearInterval(timer);
  client.end(false, () => process.exit(code));
}

function publishOne() {
  if (opts.count && sent >= opts.count) return;
  sent++;
  client.publish(topic, JSON.stringify(reading()), { qos: 1 }, (err) => {
    if (err) {
      console.error(`publish failed: ${err.message}`);
      return;
    }
    acked++;
    if (opts.count && acked >= opts.count) {
      console.log(`published ${acked} message(s) to ${topic}`);
      finish(0);
    }
  });
}

client.on('connect', () => {
  console.log(`connected to mqtts://${host}:${port} as ${endpoint.client_id}; publishing to ${topic}`);
  if (!timer) timer = setInterval(publishOne, opts.interval);
});
client.on('reconnect', () => console.error('connection lost; reconnecting'));
client.on('error', (err) => {
  console.error(`mqtt error: ${err.message}`);
  // Refused by the server (bad credentials or not authorized): retrying will not help.
  if ([4, 5, 134, 135].includes(err.code)) process.exit(1);
});
process.on('SIGINT', () => finish(0));
)js";

const char* const kPackageJson = R"json({
  "name": "{{PACKAGE}}",
  "version": "1.0.0",
  "private": true,
  "description": "Tributary example device for thing {{THING}}",
  "main": "device.js",
  "scripts": {
    "start": "node device.js"
  },
  "engines": {
    "node": ">=18"
  },
  "dependencies": {
    "mqtt": "^5.10.0"
  }
}
)json";

const char* const kReadme = R"md(# Connection kit for thing `{{THING}}`

This directory lets a device publish to Tributary as the thing `{{THING}}`.

| file | what it is |
|---|---|
| `device.crt` | the thing's client certificate, issued by the server's CA |
| `device.key` | its private key: keep it secret, it is not stored anywhere else |
| `ca.crt` | the server's CA certificate, to verify the broker |
| `endpoint.json` | host, ports, client id and topic |
| `publish.sh` | publishes with `mosquitto_pub` |
| `device.js` | a Node.js device publishing every 250 ms |

The broker listens on `mqtts://{{HOST}}:{{TLS_PORT}}` (MQTT over TLS){{WS_URL}}; the HTTP API is on {{HTTP_API}}.
The default policy lets this thing connect only with the client id `{{THING}}` and
publish, subscribe and receive only under `devices/{{THING}}/`, and on its device shadows'
topics, `$aws/things/{{THING}}/shadow/...` (AWS IoT's Device Shadow service: `get`, `update`
and `delete`, answered on `.../accepted` and `.../rejected`; `update/delta` says what the
device should change).

## Publish with mosquitto_pub

```sh
sudo apt-get install mosquitto-clients   # once
./publish.sh            # one reading
./publish.sh 100 0.25   # 100 readings, one every 0.25 s
```

or by hand:

```sh
mosquitto_pub -h {{HOST}} -p {{TLS_PORT}} --cafile ca.crt --cert device.crt --key device.key \
  -i {{THING}} -t {{TOPIC}} -q 1 -m '{"ozone": 42}'
```

## Run the Node.js device

```sh
npm install
node device.js              # until Ctrl-C
node device.js --count 20   # stop after 20 acknowledged messages
```

Each message is the reference device's reading, for example:

```json
{"ozone": 41, "particulate_matter": 7, "carbon_monoxide": 88, "sulfur_dioxide": 15,
 "nitrogen_dioxide": 63, "longitude": 10.250786139881143, "latitude": 56.20251117218925,
 "timestamp": "2026-11-29T21:53:27.123Z"}
```

## Troubleshooting

- `Connection Refused: not authorised`: the thing is deactivated or deleted, or the
  client id is not `{{THING}}`. Check with `tributary thing describe {{THING}}`.
- `certificate verify failed` / `Hostname mismatch`: use a host name the server
  certificate covers (`localhost`, the server's host name, `127.0.0.1`), or restart the
  server with that name added to its certificate.
)md";

}  // namespace tributary::devices::kit_templates
