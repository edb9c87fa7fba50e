// scripts/bench-http's client: `n` requests over 8 keep-alive connections, GET /healthz
// then POST /v1/nope (1 KiB body, the bearer token), each as requests a second on one line.
//   node scripts/bench-http-client.js PORT TOKEN N
'use strict';
const http = require('http');
const [port, token, n] = [process.argv[2], process.argv[3], +process.argv[4]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const body = 'x'.repeat(1024);
function one(method) {
  return new Promise((res, rej) => {
    const req = http.request({ host: '127.0.0.1', port, path: method === 'GET' ? '/healthz' : '/v1/nope', method, agent,
      headers: method === 'POST' ? { authorization: `Bearer ${token}`, 'content-length': body.length } : {} }, (r) => { r.resume(); r.on('end', res); });
    req.on('error', rej); if (method === 'POST') req.write(body); req.end();
  });
}
(async () => {
  for (const method of ['GET', 'POST']) {
    let left = n; const t = Date.now();
    await Promise.all(Array.from({ length: 8 }, async () => { while (left-- > 0) await one(method); }));
    process.stdout.write(`${method} ${Math.round(n / ((Date.now() - t) / 1000))} req/s  `);
  }
  agent.destroy();
  process.stdout.write('\n');
})();
