// The metadata benchmark's client (scripts/bench-metadata): N sequential rounds of HTTP
// API calls that each read or write the metadata database, against a running server;
// prints one JSON line: per operation, the count and the p50/p99/max latency in ms.
//
//   node bench/metadata_api.js ENDPOINT TOKEN N PREFIX
'use strict';

const [endpoint, token, nArg, prefix] = process.argv.slice(2);
const n = Number(nArg);
if (!endpoint || !token || !(n > 0) || !prefix) {
  console.error('usage: node bench/metadata_api.js ENDPOINT TOKEN N PREFIX');
  process.exit(2);
}

const samples = {};
async function call(op, method, path, body, expect) {
  const started = process.hrtime.bigint();
  const r = await fetch(endpoint + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== expect) throw new Error(`${method} ${path}: ${r.status} (expected ${expect}): ${text}`);
  (samples[op] ||= []).push(ms);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

(async () => {
  const rule = (i) => ({ topicRulePayload: { sql: `SELECT * FROM 'bench/${i}/#'`, awsIotSqlVersion: '2016-03-23',
                                             actions: [{ republish: { topic: `copy/${i}`, qos: 0 } }] } });
  for (let i = 0; i < n; i += 1) {
    const thing = `${prefix}-thing-${i}`;
    const name = `${prefix}_rule_${i}`;
    await call('thing create', 'POST', '/v1/things', { name: thing }, 201);
    await call('thing describe', 'GET', `/v1/things/${thing}`, undefined, 200);
    await call('rule create', 'POST', `/v1/rules/${name}`, rule(i), 201);
    await call('rule disable', 'POST', `/v1/rules/${name}/disable`, undefined, 200);
    await call('rule delete', 'DELETE', `/v1/rules/${name}`, undefined, 200);
  }
  await call('thing list', 'GET', '/v1/things', undefined, 200);
  const out = { n, ops: {} };
  for (const [op, list] of Object.entries(samples)) {
    const s = [...list].sort((a, b) => a - b);
    out.ops[op] = { count: s.length, p50_ms: +quantile(s, 0.5).toFixed(3), p99_ms: +quantile(s, 0.99).toFixed(3),
                    max_ms: +s[s.length - 1].toFixed(3) };
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.message); process.exit(1); });
