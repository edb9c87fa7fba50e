// Real MQTT clients for the integration tests: Node's `mqtt` package (connect as a
// thing with its kit, or as admin; wait for messages; expect a refusal) and Debian's
// mosquitto_sub / mosquitto_pub (argument builders, a subscriber that reports when its
// SUBACK arrived and parses every message it prints). Every wait has a timeout.
'use strict';

const mqtt = require('mqtt');
const { run, spawnTracked, withTimeout, sleep } = require('./harness');

const HOST = '127.0.0.1';  // loopback only; the server certificate also names 127.0.0.1

// --- Node `mqtt` -----------------------------------------------------------------

// Options for connecting as `kit`'s thing over mTLS (version 5 or 4 = 3.1.1).
function thingOptions(server, kit, { version = 5, clientId = kit.thing, ...rest } = {}) {
  return {
    host: HOST, protocol: 'mqtts', port: server.tlsPort, ca: kit.ca, cert: kit.cert, key: kit.key,
    servername: 'localhost', rejectUnauthorized: true, clientId, protocolVersion: version,
    reconnectPeriod: 0, connectTimeout: 5000, ...rest,
  };
}

// Options for connecting as the admin user over TLS without a client certificate.
function adminOptions(server, { version = 5, clientId, ...rest } = {}) {
  return {
    host: HOST, protocol: 'mqtts', port: server.tlsPort, ca: server.ca, servername: 'localhost',
    rejectUnauthorized: true, username: 'admin', password: server.token,
    clientId: clientId || `itest-admin-${process.pid}-${Math.floor(Math.random() * 1e9)}`,
    protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...rest,
  };
}

// Connects and resolves with the client once CONNACK(success) arrived; rejects with
// the reason if the connection fails, closes or takes longer than timeoutMs.
function connect(options, { timeoutMs = 8000, what = 'MQTT connect', url } = {}) {
  const client = url ? mqtt.connect(url, options) : mqtt.connect(options);
  client.received = [];
  client.on('message', (topic, payload, packet) => {
    client.received.push({ topic, payload: payload.toString(), packet });
  });
  const connected = new Promise((resolve, reject) => {
    client.once('connect', (connack) => { client.connack = connack; resolve(client); });
    client.once('error', (e) => reject(new Error(`${what}: ${e.message} (code ${e.code})`)));
    client.once('close', () => reject(new Error(`${what}: connection closed before CONNACK`)));
  });
  return withTimeout(connected, timeoutMs, what).catch((e) => {
    client.end(true);
    throw e;
  });
}

// Connects expecting to be refused. Resolves with {error, connackCode, closed};
// rejects if the server accepted the connection.
function connectRefused(options, { timeoutMs = 8000, what = 'MQTT connect that must be refused' } = {}) {
  const client = mqtt.connect(options);
  const outcome = new Promise((resolve, reject) => {
    let connackCode;
    client.on('packetreceive', (p) => { if (p.cmd === 'connack') connackCode = p.reasonCode ?? p.returnCode; });
    client.once('connect', () => reject(new Error(`${what}: the server accepted the connection`)));
    client.once('error', (error) => resolve({ error, connackCode, closed: false }));
    client.once('close', () => resolve({ error: null, connackCode, closed: true }));
  });
  return withTimeout(outcome, timeoutMs, what).finally(() => client.end(true));
}

// Resolves when `client.received` holds at least n messages matching `filter`.
async function waitMessages(client, n, { timeoutMs = 8000, filter = () => true, what = 'messages' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = client.received.filter(filter);
    if (got.length >= n) return got;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${n} ${what}; got ${got.length}: ` +
                      JSON.stringify(got.map((m) => [m.topic, m.payload])));
    }
    await sleep(25);
  }
}

// Subscribes and resolves with [{topic, qos}] from the SUBACK's codes (failure codes
// such as 0x80/0x87 are returned, not thrown). On a failure `mqtt` passes back the
// requested subscriptions, so the codes are read from the SUBACK packet itself.
function subscribe(client, topic, opts = { qos: 1 }, timeoutMs = 5000) {
  const p = new Promise((resolve, reject) => {
    client.subscribe(topic, opts, (err, granted, packet) => {
      const codes = (packet || err?.packet)?.granted;
      if (codes) resolve(codes.map((qos) => ({ topic, qos })));
      else reject(err || new Error(`subscribe ${topic}: no SUBACK (got ${JSON.stringify(granted)})`));
    });
  });
  return withTimeout(p, timeoutMs, `SUBACK for ${topic}`);
}

// Publishes and resolves with {err, packet} (the PUBACK/PUBCOMP or failure).
function publish(client, topic, payload, opts = { qos: 1 }, timeoutMs = 5000) {
  const p = new Promise((resolve) => {
    client.publish(topic, payload, opts, (err, packet) => resolve({ err, packet }));
  });
  return withTimeout(p, timeoutMs, `acknowledgement of a QoS ${opts.qos} publish to ${topic}`);
}

// Publishes at QoS 1 on a 3.1.1 connection that the broker must refuse: 3.1.1 has no
// negative acknowledgement, so the broker closes the connection without a PUBACK.
// Resolves once it is closed; rejects if the publish was acknowledged or the connection
// stays open for timeoutMs.
async function publishRefusedV3(client, topic, payload, timeoutMs = 5000) {
  let acked = false;
  const closed = withTimeout(new Promise((resolve) => client.once('close', resolve)), timeoutMs,
                             `the 3.1.1 connection to close after refusing a publish to ${topic}`);
  client.publish(topic, payload, { qos: 1 }, (err) => { if (!err) acked = true; });
  await closed;
  if (acked) throw new Error(`a refused 3.1.1 publish to ${topic} was acknowledged`);
}

async function end(client) {
  if (!client) return;
  await withTimeout(new Promise((resolve) => client.end(true, {}, resolve)), 3000, 'client end').catch(() => {});
}

// --- mosquitto clients -----------------------------------------------------------------

// Connection arguments for mosquitto_pub/_sub: as the kit's thing, or as admin.
function mosqArgs(server, { kit, admin = false, version = 'mqttv5', clientId } = {}) {
  const args = ['-h', HOST, '-p', String(server.tlsPort), '-V', version];
  if (admin) {
    args.push('--cafile', server.caPath, '-u', 'admin', '-P', server.token,
              '-i', clientId || `itest-mosq-admin-${process.pid}-${Math.floor(Math.random() * 1e9)}`);
  } else {
    args.push('--cafile', kit.caPath, '--cert', kit.certPath, '--key', kit.keyPath, '-i', clientId || kit.thing);
  }
  return args;
}

// mosquitto_pub with a timeout; returns run()'s result.
function mosquittoPub(args, timeoutMs = 10000) {
  return run('mosquitto_pub', args, { timeoutMs });
}

const SEP = '\u0001';  // field separator in the -F output format (not in any payload)

// MQTT 5 properties mosquitto_sub prints with `properties: true`, in -F's order.
const PROPERTY_FIELDS = [['contentType', '%C'], ['responseTopic', '%R'], ['correlationData', '%D'],
                         ['payloadFormat', '%F'], ['messageExpiry', '%E'], ['userProperties', '%P']];

// A running mosquitto_sub. `args` is the connection + subscription arguments.
// sub.subscribed resolves with the granted QoS list once the SUBACK arrived. With
// `properties`, each message also carries the MQTT 5 properties above (as printed).
class MosquittoSub {
  constructor(args, { properties = false } = {}) {
    this.properties = properties;
    const props = properties ? PROPERTY_FIELDS.map(([, f]) => `${f}${SEP}`).join('') : '';
    // stdbuf: mosquitto_sub's stdout is a pipe here, which stdio would block-buffer.
    this.child = spawnTracked('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-F', `MSG${SEP}%q${SEP}%r${SEP}%t${SEP}${props}%p`, ...args]);
  }

  // Every message printed so far: {qos, retain, topic, payload} (and the properties).
  messages() {
    return this.child.out.split('\n').filter((l) => l.startsWith(`MSG${SEP}`)).map((l) => {
      const [, qos, retain, topic, ...rest] = l.split(SEP);
      const m = { qos: Number(qos), retain: retain === '1', topic };
      if (this.properties) for (const [name] of PROPERTY_FIELDS) m[name] = rest.shift();
      m.payload = rest.join(SEP);
      return m;
    });
  }

  // Resolves with the granted QoS codes from the first SUBACK (e.g. [1] or [135]).
  async subscribed(timeoutMs = 8000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /Subscribed \(mid: \d+\): ([\d, ]+)/.exec(this.child.out);
      if (m) return m[1].split(',').map((s) => Number(s.trim()));
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`mosquitto_sub did not report a SUBACK within ${timeoutMs} ms\n${this.describe()}`);
      }
      await sleep(25);
    }
  }

  async waitMessages(n, timeoutMs = 8000, filter = () => true) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.messages().filter(filter);
      if (got.length >= n) return got;
      if (Date.now() > deadline) {
        throw new Error(`mosquitto_sub: timed out after ${timeoutMs} ms waiting for ${n} messages, got ${got.length}\n` +
                        this.describe());
      }
      await sleep(25);
    }
  }

  describe() {
    return `--- mosquitto_sub stdout ---\n${this.child.out}\n--- mosquitto_sub stderr ---\n${this.child.err}`;
  }

  // Stops it (SIGINT makes mosquitto_sub send DISCONNECT; SIGKILL does not) and waits.
  async stop(signal = 'SIGINT') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const r = await withTimeout(this.child.exited, 5000, 'mosquitto_sub exit').catch(() => {
      this.child.kill('SIGKILL');
      return this.child.exited;
    });
    return r;
  }
}

// Publishes numbered records at QoS 1 with up to `window` in flight until stopped;
// `sent` gets every record, `acked` each record whose PUBACK arrived. Returns stop().
function flood(client, topic, tag, acked, sent, window = 20) {
  let seq = 0;
  let inFlight = 0;
  let stopped = false;
  const pump = () => {
    while (!stopped && inFlight < window && client.connected) {
      const payload = JSON.stringify({ device: tag, seq: seq++, ozone: seq % 100 });
      sent.add(payload);
      inFlight++;
      client.publish(topic, payload, { qos: 1 }, (err) => {
        inFlight--;
        if (!err) acked.add(payload);
        setImmediate(pump);
      });
    }
  };
  client.on('connect', pump);
  pump();
  return () => { stopped = true; };
}

// One round of a crash test: every kit's thing connects and floods (records tagged
// `<thing>-r<round>`) for `publishMs`, then the server is killed with SIGKILL and started
// again on the same data directory.
async function floodThenKill(server, kits, round, acked, sent, publishMs) {
  const clients = [];
  const stops = [];
  for (const kit of kits) {
    const c = await connect(thingOptions(server, kit, { reconnectPeriod: 0 }));
    c.on('error', () => {});
    clients.push(c);
    stops.push(flood(c, kit.topic, `${kit.thing}-r${round}`, acked, sent));
  }
  await sleep(publishMs);
  await server.stop({ signal: 'SIGKILL' });
  for (const stop of stops) stop();
  for (const c of clients) c.end(true);
  await server.launch();
}

module.exports = {
  HOST, thingOptions, adminOptions, connect, connectRefused, waitMessages, subscribe, publish,
  publishRefusedV3, end, flood, floodThenKill,
  mosqArgs, mosquittoPub, MosquittoSub,
};
