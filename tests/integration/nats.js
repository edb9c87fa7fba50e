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
  static async start() {
    const server = new NatsServer(await freePort(), makeTempDir('nats'));
    await server.launch();
    return server;
  }

  constructor(port, storeDir) {
    this.port = port;
    this.storeDir = storeDir;
    this.url = `nats://127.0.0.1:${port}`;
    this.child = null;
  }

  async launch(timeoutMs = 10000) {
    const bin = process.env.NATS_SERVER_BIN || 'nats-server';
    this.child = spawnTracked(bin, ['-js', '-a', '127.0.0.1', '-p', String(this.port),
                                    '-sd', path.join(this.storeDir, 'js')]);
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

module.exports = { NatsServer };
