#!/usr/bin/env node
// Example device for thing "secure-127-0-0-1": publishes the reference device's air-quality
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
