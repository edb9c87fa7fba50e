// Test harness for the integration tests: starts the real `tributary` binary on a
// fresh temporary data directory (every port 0, loopback only), reads the ports it
// chose from DIR/server.json, runs CLI commands against it, stops it with SIGTERM or
// SIGKILL and restarts it on the same directory. Every child process and temporary
// directory it creates is removed when the test file's process exits, even when a
// test fails or times out, so a failed run leaves nothing behind.
//
// Environment: TRIBUTARY_BIN (path of the binary, required), NODE_PATH (tests/node_modules).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const BIN = path.resolve(process.env.TRIBUTARY_BIN || path.join(__dirname, '../../build/tributary'));  // absolute: tests may run it elsewhere (cwd)

// Children and temp dirs still alive; killed and removed at exit.
const liveChildren = new Set();
const tempDirs = new Set();
function cleanUpNow() {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch (_) { /* already gone */ }
  }
  if (!process.env.ITEST_KEEP_TMP) {
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
process.on('exit', cleanUpNow);
// A test runner or CTest timeout stops us with a signal: clean up before dying.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    cleanUpNow();
    process.exit(128 + (os.constants.signals[signal] || 0));
  });
}

function makeTempDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-itest-${tag}-`));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir) {
  if (process.env.ITEST_KEEP_TMP) return;
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A port on 127.0.0.1 that nothing listens on now (bound once, then closed).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Resolves with `promise`'s value, or rejects with "timed out after N ms: what".
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Starts a child process that is tracked for cleanup. Its stdout/stderr are
// accumulated in child.out / child.err; child.exited resolves with {code, signal}.
function spawnTracked(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.out = '';
  child.err = '';
  child.stdout.on('data', (d) => { child.out += d.toString(); });
  child.stderr.on('data', (d) => { child.err += d.toString(); });
  liveChildren.add(child);
  child.exited = new Promise((resolve) => {
    child.on('error', (error) => {
      liveChildren.delete(child);
      resolve({ code: null, signal: null, error });
    });
    child.on('close', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  return child;
}

// Runs a command to completion (killed after timeoutMs) and returns
// {code, signal, stdout, stderr, timedOut}.
async function run(cmd, args, { timeoutMs = 20000, env, cwd, input } = {}) {
  const child = spawnTracked(cmd, args, {
    env: env ? { ...process.env, ...env } : process.env,
    cwd,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin.end(input);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  const { code, signal, error } = await child.exited;
  clearTimeout(timer);
  return { code, signal, error, stdout: child.out, stderr: child.err, timedOut };
}

// Describes a finished command for assertion messages.
function describeRun(what, r) {
  return `${what}: exit code ${r.code}${r.signal ? ` signal ${r.signal}` : ''}` +
         `${r.timedOut ? ' (timed out, killed)' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

class Server {
  // Use Server.start().
  constructor(dataDir, extraArgs) {
    this.dataDir = dataDir;
    this.extraArgs = extraArgs;
    this.child = null;
    this.info = null;
    this.logs = '';  // stderr+stdout of every run of this server, for failure messages
  }

  // Starts `tributary server` on a fresh temp dir (or `dataDir`) and waits for server.json.
  static async start({ args = [], dataDir, tag = 'server', timeoutMs = 20000 } = {}) {
    const server = new Server(dataDir || makeTempDir(tag), args);
    await server.launch(timeoutMs);
    return server;
  }

  // One call to the HTTP API with the admin token (and `headers`): {status, headers, text,
  // json} (json undefined when the body is not JSON), whatever the status.
  api(method, urlPath, body, { timeoutMs = 30000, headers = {} } = {}) {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: this.httpPort, path: urlPath, method,
        headers: { Authorization: `Bearer ${this.token}`,
                   ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}),
                   ...headers },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try { json = JSON.parse(text); } catch (_) { json = undefined; }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  async launch(timeoutMs = 20000) {
    // Free ports for every listener, but those the test's own arguments set.
    const ports = ['--http-port', '--mqtt-tls-port', '--mqtt-ws-port', '--https-port']
      .filter((flag) => !this.extraArgs.includes(flag)).flatMap((flag) => [flag, '0']);
    const bind = this.extraArgs.includes('--bind') ? [] : ['--bind', '127.0.0.1'];
    const args = ['server', '--data-dir', this.dataDir, ...bind, ...ports, '--log-level', 'debug',
                  ...this.extraArgs];
    this.logs += `\n=== ${BIN} ${args.join(' ')}\n`;
    const child = spawnTracked(BIN, args);
    this.child = child;
    child.stdout.on('data', (d) => { this.logs += d.toString(); });
    child.stderr.on('data', (d) => { this.logs += d.toString(); });
    let exited = null;
    child.exited.then((r) => { exited = r; });
    const file = path.join(this.dataDir, 'server.json');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(`tributary server exited before writing ${file} ` +
                        `(code ${exited.code}, signal ${exited.signal}${exited.error ? `, ${exited.error.message}` : ''})` +
                        `\n${this.tail()}`);
      }
      try {
        const info = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (info.pid === child.pid) {
          this.info = info;
          return info;
        }
      } catch (_) { /* not written yet, or left over from the previous run */ }
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`tributary server did not write ${file} with pid ${child.pid} within ${timeoutMs} ms\n${this.tail()}`);
  }

  get httpPort() { return this.info.http_port; }
  get tlsPort() { return this.info.mqtt_tls_port; }
  get wsPort() { return this.info.mqtt_ws_port; }
  get httpsPort() { return this.info.https_port; }
  get mqttPort() { return this.info.mqtt_port; }
  get endpoint() { return this.info.endpoint; }
  get caPath() { return path.join(this.dataDir, 'pki', 'ca.crt'); }
  get ca() { return fs.readFileSync(this.caPath); }
  get token() { return fs.readFileSync(path.join(this.dataDir, 'admin.token'), 'utf8').trim(); }

  // The last lines of the server's output, for failure messages.
  tail(lines = 60) {
    const all = this.logs.split('\n');
    return `--- last ${Math.min(lines, all.length)} lines of tributary server output ---\n` +
           all.slice(-lines).join('\n');
  }

  // Sends `signal` and waits for the exit; returns {code, signal}. Escalates to
  // SIGKILL (and reports it) if a graceful stop takes longer than timeoutMs.
  async stop({ signal = 'SIGTERM', timeoutMs = 15000 } = {}) {
    const child = this.child;
    if (!child) return { code: null, signal: null };
    child.kill(signal);
    let timer;
    const result = await Promise.race([
      child.exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); }),
    ]);
    clearTimeout(timer);
    this.child = null;
    if (result === null) {
      child.kill('SIGKILL');
      await child.exited;
      return { code: null, signal: 'SIGKILL', hung: true };
    }
    return result;
  }

  // Stops (SIGTERM by default) and starts again on the same data directory; the
  // ports change (they are 0), so read them again from this.info.
  async restart({ signal = 'SIGTERM' } = {}) {
    const stopped = await this.stop({ signal });
    if (signal === 'SIGTERM' && (stopped.hung || stopped.code !== 0)) {
      throw new Error(`graceful stop (SIGTERM) did not exit with code 0: ${JSON.stringify(stopped)}\n${this.tail()}`);
    }
    await this.launch();
    return stopped;
  }

  // Stops the server (SIGKILL if it hangs) and removes its data directory.
  async dispose() {
    await this.stop({ timeoutMs: 5000 });
    removeTempDir(this.dataDir);
  }

  // Runs `tributary <args> --data-dir DIR`; returns run()'s result.
  cli(args, { timeoutMs = 20000, dataDir = true } = {}) {
    return run(BIN, dataDir ? [...args, '--data-dir', this.dataDir] : args, { timeoutMs });
  }

  // cli(), asserting exit code 0 (the failure message holds the command's output and the
  // server's last lines); returns run()'s result.
  async cliOk(args, options) {
    const r = await this.cli(args, options);
    if (r.code !== 0) throw new Error(`${describeRun(args.join(' '), r)}\n${this.tail(30)}`);
    return r;
  }

  // `thing create NAME --out KIT`; returns the kit (paths, PEMs and endpoint.json).
  async createThing(name) {
    const out = makeTempDir(`kit-${name}`);
    const kitDir = path.join(out, 'kit');
    const r = await this.cli(['thing', 'create', name, '--out', kitDir]);
    if (r.code !== 0) throw new Error(`${describeRun(`thing create ${name}`, r)}\n${this.tail()}`);
    return loadKit(kitDir);
  }
}

// Reads a connection kit written by `thing create`.
function loadKit(dir) {
  const file = (name) => path.join(dir, name);
  for (const name of ['device.crt', 'device.key', 'ca.crt', 'endpoint.json']) {
    if (!fs.existsSync(file(name))) throw new Error(`connection kit ${dir} has no ${name}`);
  }
  const endpoint = JSON.parse(fs.readFileSync(file('endpoint.json'), 'utf8'));
  return {
    dir,
    endpoint,
    thing: endpoint.thing,
    topic: endpoint.topic,
    certPath: file('device.crt'),
    keyPath: file('device.key'),
    caPath: file('ca.crt'),
    cert: fs.readFileSync(file('device.crt')),
    key: fs.readFileSync(file('device.key')),
    ca: fs.readFileSync(file('ca.crt')),
  };
}

// A unique, valid thing name for one test.
let thingCounter = 0;
function thingName(prefix = 'sensor') {
  thingCounter += 1;
  return `${prefix}-${process.pid}-${thingCounter}`;
}

// The reference device's pollution payload (the article's processPollutionData).
function pollutionPayload(seq = 0) {
  return JSON.stringify({
    ozone: Math.round(Math.random() * 100),
    particulate_matter: Math.round(Math.random() * 100),
    carbon_monoxide: Math.round(Math.random() * 100),
    sulfur_dioxide: Math.round(Math.random() * 100),
    nitrogen_dioxide: Math.round(Math.random() * 100),
    longitude: 10.250786139881143,
    latitude: 56.20251117218925,
    timestamp: new Date(),
    seq,
  });
}

// Waits until fn() resolves truthy (polling; an exception counts as not yet), or fails
// naming `what`.
async function eventually(fn, what, { timeoutMs = 20000, everyMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(everyMs);
  }
}

// `tributary server` expected to fail at start: the harness's flags plus `extra`, on a
// fresh data directory; returns run()'s result, how long it took and the directory.
async function startRefused(extra, { tag = 'refused', timeoutMs = 20000 } = {}) {
  const dataDir = makeTempDir(tag);
  const started = Date.now();
  const r = await run(BIN, ['server', '--data-dir', dataDir, '--bind', '127.0.0.1', '--http-port', '0',
                            '--mqtt-tls-port', '0', '--mqtt-ws-port', '0', '--https-port', '0', ...extra], { timeoutMs });
  r.elapsedMs = Date.now() - started;
  r.dataDir = dataDir;
  return r;
}

module.exports = {
  BIN, Server, run, describeRun, spawnTracked, makeTempDir, removeTempDir, withTimeout, sleep, freePort,
  loadKit, thingName, pollutionPayload, eventually, startRefused,
};
