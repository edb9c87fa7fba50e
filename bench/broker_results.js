#!/usr/bin/env node
// Helpers for scripts/bench's results (JSON lines in broker-results.jsonl); Node is used
// because every machine that runs the tests has it (scripts/install-deps).
//
//   broker_results.js merge '{"scenario":"1to1-qos0"}'   reads one JSON object from stdin
//                                                        (or a non-JSON error text, kept as
//                                                        "error"), prints it with the fields
//                                                        added, on one line
//   broker_results.js table RESULTS.jsonl                 prints the Markdown tables: each
//                                                        figure the median of the rounds,
//                                                        ratios Tributary / mosquitto
'use strict';
const fs = require('fs');

const BROKERS = ['tributary', 'mosquitto'];
const SCENARIOS = [
  ['1to1-qos0', '1 → 1, QoS 0'],
  ['1to1-qos1', '1 → 1, QoS 1'],
  ['100to1-qos0', '100 → 1 (wildcard), QoS 0'],
  ['100to1-qos1', '100 → 1 (wildcard), QoS 1'],
];

function merge(extra) {
  const text = fs.readFileSync(0, 'utf8').trim();
  let obj;
  try {
    obj = JSON.parse(text.split('\n').pop());
  } catch (e) {
    obj = { error: text || 'no output' };
  }
  console.log(JSON.stringify({ ...obj, ...JSON.parse(extra) }));
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function fmt(v, digits = 0) {
  if (v === null || v === undefined) return 'n/a';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a, b) {
  if (a === null || b === null || a === undefined || b === undefined || b === 0) return 'n/a';
  return (a / b).toFixed(2);
}

function table(path) {
  const rows = fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  // A run that failed part-way still counts when it measured something; its figures
  // are marked with * and the failure is listed below the tables.
  const ok = rows.filter((r) => !('error' in r) || r.messages > 0 || r.scenario === 'idle' ||
                               r.scenario === 'idle_tls');
  const errors = rows.filter((r) => 'error' in r);
  const out = [];
  out.push('## Throughput and latency (median of rounds)', '');
  out.push('| scenario | Tributary msg/s | mosquitto msg/s | msg/s ratio | Tributary p50 µs ' +
           '| mosquitto p50 µs | Tributary p99 µs | mosquitto p99 µs | p99 ratio | lost (T / M) |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [key, title] of SCENARIOS) {
    const fig = {};
    for (const b of BROKERS) {
      const rs = ok.filter((r) => r.scenario === key && r.broker_label === b);
      fig[b] = {
        rate: median(rs.map((r) => r.msgs_per_s)),
        p50: median(rs.map((r) => r.p50_us)),
        p99: median(rs.map((r) => r.p99_us)),
        lost: rs.length ? rs.reduce((s, r) => s + (r.lost || 0), 0) : null,
        rounds: rs.length,
        partial: rs.some((r) => 'error' in r) ? '*' : '',
      };
    }
    const t = fig.tributary, m = fig.mosquitto;
    out.push(`| ${title} | ${fmt(t.rate)}${t.partial} | ${fmt(m.rate)}${m.partial} ` +
             `| ${ratio(t.rate, m.rate)} ` +
             `| ${fmt(t.p50, 1)} | ${fmt(m.p50, 1)} | ${fmt(t.p99, 1)} | ${fmt(m.p99, 1)} ` +
             `| ${ratio(t.p99, m.p99)} | ${fmt(t.lost)} / ${fmt(m.lost)} |`);
  }
  out.push('', '## Memory per idle connection', '');
  const idle = {};
  for (const b of BROKERS) {
    idle[b] = ok.find((r) => r.scenario === 'idle' && r.broker_label === b && 'rss_after_kb' in r);
  }
  const n = (idle.tributary || idle.mosquitto || {}).connections;
  out.push('| broker VmRSS | Tributary | mosquitto | ratio |', '|---|---:|---:|---:|');
  const lines = [
    ['before (MiB)', 'rss_before_kb', 1 / 1024, 1],
    [`with ${fmt(n)} idle connections (MiB)`, 'rss_after_kb', 1 / 1024, 1],
    ['bytes per connection', 'bytes_per_connection', 1, 0],
  ];
  for (const [label, key, scale, digits] of lines) {
    const v = BROKERS.map((b) => (idle[b] && key in idle[b] ? idle[b][key] * scale : null));
    out.push(`| ${label} | ${fmt(v[0], digits)} | ${fmt(v[1], digits)} | ${ratio(v[0], v[1])} |`);
  }
  const tls = {};
  for (const b of BROKERS) {
    tls[b] = ok.find((r) => r.scenario === 'idle_tls' && r.broker_label === b && 'rss_after_kb' in r);
  }
  const v = BROKERS.map((b) => (tls[b] ? tls[b].bytes_per_connection : null));
  const nt = (tls.tributary || tls.mosquitto || {}).connections;
  out.push(`| bytes per connection over TLS (${fmt(nt)} idle) | ${fmt(v[0], 0)} | ` +
           `${fmt(v[1], 0)} | ${ratio(v[0], v[1])} |`);
  if (errors.length) {
    out.push('', '## Failures', '', '(* in the table: figures from the part of the measuring ' +
             'window before the failure)', '');
    for (const r of errors) {
      out.push(`- ${r.broker_label} ${r.scenario || ''} round ${r.round || '-'}: ` +
               String(r.error).trim().replace(/\n/g, ' '));
    }
  }
  console.log(out.join('\n'));
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'merge' && arg) merge(arg);
else if (cmd === 'table' && arg) table(arg);
else {
  console.error('usage: broker_results.js merge JSON | table RESULTS.jsonl');
  process.exit(2);
}
