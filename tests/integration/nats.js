// A throwaway NATS server with JetStream for integration tests: Debian's nats-server on a
// free loopback port, its store in a temporary directory (removed at exit with the rest).
'use strict';

const net = require('node:net');
const path = require('node:path');
const { spawnTracked, makeTempDir, sleep, freePort } = require('./harness');


function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

class NatsServer {
  // `tls`: {cert, key} files: clients must speak TLS (the URL is then tls://).
  static async start({ tls } = {}) {
    const server = new NatsServer(await freePort(), makeTempDir('nats'), tls);
    await server.launch();
    return server;
  }

  constructor(port, storeDir, tls) {
    this.port = port;
    this.storeDir = storeDir;
    this.tls = tls;
    this.url = `${tls ? 'tls' : 'nats'}://127.0.0.1:${port}`;
    this.child = null;
  }

  async launch(timeoutMs = 10000) {
    const bin = process.env.NATS_SERVER_BIN || 'nats-server';
    const tlsArgs = this.tls ? ['--tls', '--tlscert', this.tls.cert, '--tlskey', this.tls.key] : [];
    this.child = spawnTracked(bin, ['-js', '-a', '127.0.0.1', '-p', String(this.port),
                                    '-sd', path.join(this.storeDir, 'js'), ...tlsArgs]);
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(this.port))) {
      const exited = await Promise.race([this.child.exited, sleep(50).then(() => null)]);
      if (exited) {
        throw new Error(`nats-server exited (${JSON.stringify(exited)}): ${this.child.err}` +
                        (exited.error ? ' (is the nats-server package installed? scripts/install-deps)' : ''));
      }
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${this.port} within ${timeoutMs} ms`);
    }
  }

  async stop(signal = 'SIGTERM') {
    if (!this.child) return;
    this.child.kill(signal);
    await this.child.exited;
    this.child = null;
  }
}

// A throwaway CA and a certificate for 127.0.0.1 it signed, made with the openssl command
// line in `dir`: {ca, cert, key} paths.
function makeCertificates(dir) {
  const { execFileSync } = require('node:child_process');
  const fs = require('node:fs');
  const p = (f) => path.join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '1',
           '-subj', '/CN=tributary-test-ca']);
  openssl(['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=nats']);
  fs.writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
           '-CAcreateserial', '-out', p('server.crt'), '-days', '1', '-extfile', p('server.ext')]);
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

module.exports = { NatsServer, makeCertificates };
