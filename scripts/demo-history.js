#!/usr/bin/env node
// `scripts/demo`'s history: pollution sensors replay hourly readings from the past
// through the broker, each as its thing (the kit's certificate, client id and topic
// devices/<thing>/pollution, QoS 1), so that they flow rule -> stream -> lake like live
// readings. Deterministic: sensor i's particulate_matter at hour h is a daily cycle
// around 20 + 3i; from day SHIFT_DAY on the world has changed (the level 60 higher, the
// swing ±30 instead of ±2). The shape is tests/integration/drift_loop.test.js's: a tiny
// DeepAR model learns it in seconds, and the change is drift it cannot miss (that file's
// header says why the swing changes and not only the level).
//   node scripts/demo-history.js --from-day 0 --days 9 KIT_DIR...
// Exits non-zero naming the sensor when a connection fails or a publish is not
// acknowledged within --timeout-s.
'use strict';

const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');

const T0 = Date.UTC(2026, 0, 1);  // hour 0: 2026-01-01 00:00 UTC
const SHIFT_DAY = 9;

function particulateMatter(i, h) {
  const shifted = h >= SHIFT_DAY * 24;
  const level = 20 + 3 * i + (shifted ? 60 : 0);
  const swing = shifted ? 30 : 2;
  return Number((level + swing * Math.sin((2 * Math.PI * h) / 24) + ((h * 7 + i * 3) % 5) / 5).toFixed(2));
}

function usage(problem) {
  console.error(`demo-history.js: ${problem}`);
  console.error('usage: node scripts/demo-history.js --from-day D --days N [--timeout-s S] KIT_DIR...');
  process.exit(2);
}

const opts = { fromDay: null, days: null, timeoutS: 60, kits: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const value = () => (i + 1 < argv.length ? Number(argv[++i]) : usage(`${argv[i]} needs a value`));
  if (argv[i] === '--from-day') opts.fromDay = value();
  else if (argv[i] === '--days') opts.days = value();
  else if (argv[i] === '--timeout-s') opts.timeoutS = value();
  else if (argv[i].startsWith('-')) usage(`unknown option '${argv[i]}'`);
  else opts.kits.push(argv[i]);
}
if (!Number.isInteger(opts.fromDay) || opts.fromDay < 0) usage('--from-day must be a whole number');
if (!Number.isInteger(opts.days) || opts.days < 1) usage('--days must be a positive whole number');
if (!(opts.timeoutS > 0)) usage('--timeout-s must be positive');
if (opts.kits.length === 0) usage('no connection kit given');

const hourText = (h) => new Date(T0 + h * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
const first = opts.fromDay * 24;
const end = (opts.fromDay + opts.days) * 24;

// Publishes sensor i's readings for [first, end) as the kit's thing; resolves with a
// one-line summary once every one is acknowledged.
function replay(kit, i) {
  const file = (name) => path.join(kit, name);
  const endpoint = JSON.parse(fs.readFileSync(file('endpoint.json'), 'utf8'));
  const thing = endpoint.client_id;
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({
      protocol: 'mqtts', host: endpoint.host, port: endpoint.mqtt_tls_port, clientId: thing,
      ca: fs.readFileSync(file('ca.crt')), cert: fs.readFileSync(file('device.crt')),
      key: fs.readFileSync(file('device.key')), rejectUnauthorized: true,
      protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10000,
    });
    const fail = (why) => { client.end(true); reject(new Error(`${thing}: ${why}`)); };
    client.on('error', (err) => fail(err.message));
    client.on('close', () => fail('the connection closed before every reading was acknowledged'));
    client.once('connect', () => {
      let acked = 0;
      let low = Infinity;
      let high = -Infinity;
      for (let h = first; h < end; h++) {
        const value = particulateMatter(i, h);
        low = Math.min(low, value);
        high = Math.max(high, value);
        const reading = { device: thing, particulate_matter: value, timestamp: new Date(T0 + h * 3600e3).toISOString() };
        client.publish(endpoint.topic, JSON.stringify(reading), { qos: 1 }, (err) => {
          if (err) return fail(`publish failed: ${err.message}`);
          if (++acked < end - first) return;
          client.removeAllListeners('close');
          client.end(false, () => resolve(`${thing}: ${acked} hourly readings ${hourText(first)} .. ${hourText(end - 1)} UTC ` +
                                          `on ${endpoint.topic}, particulate_matter ${low} .. ${high}, all acknowledged`));
        });
      }
    });
  });
}

const timer = setTimeout(() => {
  console.error(`demo-history.js: not every reading was acknowledged within ${opts.timeoutS} s`);
  process.exit(1);
}, opts.timeoutS * 1000);
Promise.all(opts.kits.map(replay)).then((lines) => {
  clearTimeout(timer);
  for (const line of lines) console.log(line);
}, (err) => {
  console.error(`demo-history.js: ${err.message}`);
  process.exit(1);
});
