#!/usr/bin/env node
// Helpers for scripts/bench-lake's results (JSON lines in lake-results.jsonl).
//
//   lake_results.js merge '{"load":"sub"}'   as broker_results.js merge
//   lake_results.js table RESULTS.jsonl     prints the Markdown tables: per WAL fsync
//                                           policy and load, each figure the median of
//                                           the rounds; ratio = with the rule / alone
'use strict';
const fs = require('fs');

const LOADS = {
  sub: 'P → 1 subscriber, QoS 1',
  nosub: 'P publishers, no subscriber, QoS 1',
  fleet: 'P devices, I in flight each, no subscriber, QoS 1',
};

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

const ms = (us) => (us === null || us === undefined ? null : us / 1000);
// CPU microseconds per acknowledged message of a phase: the server's, the load generator's.
const perMsg = (r, key) => (typeof r[key] === 'number' && r.acked > 0 ? (r[key] * 1e6) / r.acked : null);
// Bytes the server had written to storage per acknowledged message (WAL and lake).
const diskPerMsg = (r) => (typeof r.server_disk_bytes === 'number' && r.acked > 0
  ? r.server_disk_bytes / r.acked : null);
// The machine's CPU left idle while the load ran: "idle / iowait" percent.
const idleOf = (rs) => {
  const idle = median(rs.map((r) => r.machine_idle_pct));
  const iowait = median(rs.map((r) => r.machine_iowait_pct));
  return idle === null ? 'n/a' : `${fmt(idle)} / ${fmt(iowait)}`;
};
const sum = (rs, key) => (rs.length ? rs.reduce((s, r) => s + (r[key] || 0), 0) : null);

function table(path) {
  const rows = fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  const ok = rows.filter((r) => !('error' in r) || r.messages > 0);
  const failed = rows.filter((r) => 'error' in r || r.exit !== 0);
  const out = [];
  out.push('## Ingestion to the lake (median of rounds)', '');
  out.push('| WAL fsync | load | broker alone msg/s | with rule msg/s | ratio | lake records/s ' +
           '| lake p50 ms | lake p99 ms | lake max ms | missing | duplicates | lost ' +
           '| server CPU µs/msg alone | with rule | disk B/msg with rule ' +
           '| idle / iowait % alone | with rule |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const fsyncs = [...new Set(rows.map((r) => r.fsync))];
  for (const fsync of fsyncs) {
    for (const load of Object.keys(LOADS)) {
      const alone = ok.filter((r) => r.fsync === fsync && r.load === load && r.phase === 'alone');
      const rule = ok.filter((r) => r.fsync === fsync && r.load === load && r.phase === 'rule');
      if (!alone.length && !rule.length) continue;
      const a = median(alone.map((r) => r.msgs_per_s));
      const w = median(rule.map((r) => r.msgs_per_s));
      const { publishers, inflight } = rule[0] || alone[0];
      const label = LOADS[load].replace('P', publishers).replace('I', inflight);
      out.push(`| ${fsync} | ${label} | ${fmt(a)} | ${fmt(w)} ` +
               `| ${a && w !== null ? (w / a).toFixed(2) : 'n/a'} ` +
               `| ${fmt(median(rule.map((r) => r.lake_records_per_s)))} ` +
               `| ${fmt(ms(median(rule.map((r) => r.lake_p50_us))), 1)} ` +
               `| ${fmt(ms(median(rule.map((r) => r.lake_p99_us))), 1)} ` +
               `| ${fmt(ms(Math.max(...rule.map((r) => r.lake_max_us || 0))), 1)} ` +
               `| ${fmt(sum(rule, 'lake_missing'))} | ${fmt(sum(rule, 'lake_duplicates'))} ` +
               `| ${fmt(sum([...alone, ...rule], 'lost'))} ` +
               `| ${fmt(median(alone.map((r) => perMsg(r, 'server_cpu_s'))), 2)} ` +
               `| ${fmt(median(rule.map((r) => perMsg(r, 'server_cpu_s'))), 2)} ` +
               `| ${fmt(median(rule.map(diskPerMsg)))} | ${idleOf(alone)} | ${idleOf(rule)} |`);
    }
  }
  out.push('', '### All runs', '');
  out.push('| WAL fsync | round | load | phase | msg/s | p50 ms | p99 ms | lake records/s ' +
           '| lake p50 ms | lake p99 ms | lake objects | acked | lake records | missing | drained ' +
           '| server CPU µs/msg | load CPU µs/msg | disk B/msg | idle / iowait % |');
  out.push('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const lake = r.phase === 'rule';
    out.push(`| ${r.fsync} | ${r.round} | ${r.load} | ${r.phase} | ${fmt(r.msgs_per_s)} ` +
             `| ${fmt(ms(r.p50_us), 1)} | ${fmt(ms(r.p99_us), 1)} ` +
             `| ${lake ? fmt(r.lake_records_per_s) : '-'} ` +
             `| ${lake ? fmt(ms(r.lake_p50_us), 1) : '-'} | ${lake ? fmt(ms(r.lake_p99_us), 1) : '-'} ` +
             `| ${lake ? fmt(r.lake_objects) : '-'} | ${fmt(r.acked)} ` +
             `| ${lake ? fmt(r.lake_records) : '-'} | ${lake ? fmt(r.lake_missing) : '-'} ` +
             `| ${r.drained} | ${fmt(perMsg(r, 'server_cpu_s'), 2)} ` +
             `| ${fmt(perMsg(r, 'load_cpu_s'), 2)} | ${fmt(diskPerMsg(r))} | ${idleOf([r])} |`);
  }
  if (failed.length) {
    out.push('', '### Failures', '');
    for (const r of failed) {
      out.push(`- fsync ${r.fsync} ${r.load} ${r.phase} round ${r.round}: exit ${r.exit}` +
               (r.error ? `: ${String(r.error).trim().replace(/\n/g, ' ')}` : ''));
    }
  }
  console.log(out.join('\n'));
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'merge' && arg) merge(arg);
else if (cmd === 'table' && arg) table(arg);
else {
  console.error('usage: lake_results.js merge JSON | table RESULTS.jsonl');
  process.exit(2);
}
