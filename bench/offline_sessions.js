// Leaves a broker holding many persistent sessions whose devices are offline, as a fleet
// does between reports: each client connects with a persistent session (client ids
// dev-<i>), subscribes to devices/dev-<i>/cmd at QoS 1 and leaves. Clients are Node's
// `mqtt` package, CONCURRENCY at a time.
//   node bench/offline_sessions.js PORT SESSIONS [CONCURRENCY (200)] [WILL_DELAY_S (0)]
// WILL_DELAY_S 0: MQTT 3.1.1, clean session off, and a DISCONNECT. Above 0: MQTT 5,
// session expiry twice WILL_DELAY_S, a will on devices/dev-<i>/gone delayed by
// WILL_DELAY_S, and the connection dropped without DISCONNECT, so that the broker holds a
// delayed will for each session.
// Prints {"event":"done","sessions":N,"seconds":S} when every session is left offline;
// exits 1 on the first client that fails.
'use strict';

const path = require('node:path');
const mqtt = require(path.join(__dirname, '..', 'tests', 'node_modules', 'mqtt'));

const [portArg, countArg, concurrencyArg, willDelayArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const concurrency = concurrencyArg === undefined ? 200 : Number(concurrencyArg);
const willDelayS = willDelayArg === undefined ? 0 : Number(willDelayArg);
if (!(port > 0) || !(count > 0) || !(concurrency > 0) || !(willDelayS >= 0)) {
  console.error('usage: node bench/offline_sessions.js PORT SESSIONS [CONCURRENCY] [WILL_DELAY_S]');
  process.exit(2);
}

function leaveOffline(i) {
  return new Promise((resolve, reject) => {
    const id = `dev-${i}`;
    const options = {
      host: '127.0.0.1', port, clientId: id, clean: false, keepalive: 60,
      reconnectPeriod: 0, protocolVersion: 4,
    };
    if (willDelayS > 0) {
      options.protocolVersion = 5;
      options.properties = { sessionExpiryInterval: 2 * willDelayS };
      options.will = {
        topic: `devices/${id}/gone`, payload: 'offline', qos: 1,
        properties: { willDelayInterval: willDelayS },
      };
    }
    const client = mqtt.connect(options);
    client.once('error', (e) => reject(new Error(`${id}: ${e.message}`)));
    client.once('connect', () => {
      client.subscribe(`devices/${id}/cmd`, { qos: 1 }, (err, granted) => {
        if (err) return reject(new Error(`${id}: subscribe: ${err.message}`));
        if (!granted || granted[0].qos !== 1) {
          return reject(new Error(`${id}: subscribe refused: ${JSON.stringify(granted)}`));
        }
        if (willDelayS > 0) {
          client.stream.once('close', () => resolve());
          client.stream.destroy();  // no DISCONNECT: the broker keeps the will
        } else {
          client.end(false, () => resolve());
        }
      });
    });
  });
}

async function main() {
  const start = process.hrtime.bigint();
  let next = 0;
  async function worker() {
    while (next < count) await leaveOffline(next++);
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ event: 'done', sessions: count, seconds: +seconds.toFixed(2) }));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
