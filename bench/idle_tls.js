// Opens idle MQTT-over-TLS connections and holds them, so that a broker's memory per
// idle TLS connection can be read from its VmRSS (BENCHMARKS.md, "Memory per idle TLS
// connection"). Clients are Node's `mqtt` package (MQTT 3.1.1, keep alive 60 s, client
// ids tls-<i>), opened 50 at a time, verifying the broker's certificate against CA.
//   node bench/idle_tls.js PORT CA_FILE CONNECTIONS [HOLD_S (30)]
// Prints {"event":"all_connected","connections":N} once every connection has its
// CONNACK, then exits after HOLD_S; exits 1 on the first connection that fails.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const mqtt = require(path.join(__dirname, '..', 'tests', 'node_modules', 'mqtt'));

const [portArg, caFile, countArg, holdArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const holdS = holdArg === undefined ? 30 : Number(holdArg);
if (!(port > 0) || !caFile || !(count > 0) || !(holdS >= 0)) {
  console.error('usage: node bench/idle_tls.js PORT CA_FILE CONNECTIONS [HOLD_S]');
  process.exit(2);
}
const ca = fs.readFileSync(caFile);

function open(i) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({
      host: '127.0.0.1', port, protocol: 'mqtts', ca, servername: 'localhost',
      clientId: `tls-${i}`, keepalive: 60, reconnectPeriod: 0, protocolVersion: 4,
    });
    client.once('connect', resolve);
    client.once('error', (e) => reject(new Error(`connection ${i}: ${e.message}`)));
  });
}

(async () => {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => open(i + k)));
  }
  console.log(JSON.stringify({ event: 'all_connected', connections: count }));
  setTimeout(() => process.exit(0), holdS * 1000);
})().catch((e) => {
  console.error(`idle_tls: ${e.message}`);
  process.exit(1);
});
