#!/usr/bin/env node
// Helpers for scripts/bench-serving (BENCHMARKS.md, "Model serving").
//
//   serving_results.js flops MODEL_DIR NUM_SAMPLES
//       prints {"flops_per_request", ...}: the LSTM and projection multiply-adds of one
//       request (context encoding + NUM_SAMPLES paths x prediction_length steps), from the
//       artifact's model.json and hyperparameters.json
//   serving_results.js histogram BEFORE.prom AFTER.prom ENDPOINT VARIANT
//       prints the p50/p99 (ms) and count of the requests answered between the two
//       /metrics scrapes, per latency histogram, interpolated within the server's buckets
//       the way the server's own ModelLatencyP50Ms is (base/metrics.cc)
//   serving_results.js cpu SERVER_PID
//       prints the CPU seconds (user + system) of the server and of its descendants (the
//       workers), and the machine's busy and total jiffies (/proc/stat)
//   serving_results.js level RUN_DIR N THREADS ENDPOINT VARIANT
//       assembles RUN_DIR/c<N>.json from what scripts/bench-serving left for concurrency N
//       (c<N>.wrk, c<N>.time, c<N>.metrics-{before,after}, c<N>.cpu-{before,after},
//       c<N>.describe.json, c<N>.loadavg)
//   serving_results.js report RUN_DIR OUT.json
//       reads RUN_DIR/run.json and RUN_DIR/c<N>.json, writes OUT.json and prints the
//       Markdown summary
'use strict';
const fs = require('fs');
const path = require('path');

const DIST_OUTPUTS = {
  'student-T': 3, gaussian: 2, 'negative-binomial': 2, beta: 2, 'deterministic-L1': 1,
};

function flops(modelDir, numSamples) {
  const model = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const hp = JSON.parse(fs.readFileSync(path.join(modelDir, 'hyperparameters.json'), 'utf8'));
  const cells = Number(hp.num_cells);
  const layers = Number(hp.num_layers);
  const embedding = Number(hp.embedding_dimension);
  const cats = (model.cardinality || []).length;
  const input = model.num_real_features + cats * embedding;
  const outputs = DIST_OUTPUTS[model.likelihood];
  if (!outputs) throw new Error(`model.json: unknown likelihood '${model.likelihood}'`);
  // Per step (multiply-add = 2 FLOPs; biases, gate nonlinearities, embeddings and
  // sampling left out): 4 gates x (input + hidden) x hidden per layer, then the projection.
  let perStep = 4 * (input + cells) * cells * 2;
  for (let l = 1; l < layers; ++l) perStep += 4 * (cells + cells) * cells * 2;
  perStep += cells * outputs * 2;
  const steps = model.context_length + numSamples * model.prediction_length;
  return {
    input_size: input, num_real_features: model.num_real_features, cardinality: model.cardinality,
    embedding_dimension: embedding, num_cells: cells, num_layers: layers,
    likelihood: model.likelihood, dist_outputs: outputs, context_length: model.context_length,
    prediction_length: model.prediction_length, num_samples: numSamples,
    flops_per_step: perStep, steps_per_request: steps, flops_per_request: perStep * steps,
  };
}

// Prometheus text: name{labels} value -> the bucket counts of one labelled histogram.
function buckets(text, name, endpoint, variant) {
  const out = new Map();
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    if (!line.includes(`endpoint="${endpoint}"`) || !line.includes(`variant="${variant}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line);
    if (line.startsWith(`${name}_bucket`) && le) out.set(le[1], value);
    if (line.startsWith(`${name}_count`)) count = value;
  }
  return { cumulative: out, count };
}

// base/metrics.cc's Histogram::Quantile over per-bucket counts.
function quantile(bounds, counts, q) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; ++i) {
    if (counts[i] > 0 && seen + counts[i] >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      const upper = i < bounds.length ? bounds[i] : lower * 2;
      const frac = Math.min(1, Math.max(0, (rank - seen) / counts[i]));
      return lower + (upper - lower) * frac;
    }
    seen += counts[i];
  }
  return null;
}

function histogramDiff(beforeFile, afterFile, endpoint, variant) {
  const before = fs.readFileSync(beforeFile, 'utf8');
  const after = fs.readFileSync(afterFile, 'utf8');
  const result = {};
  for (const [key, name] of [['model', 'tributary_endpoint_model_latency_seconds'],
                             ['overhead', 'tributary_endpoint_overhead_latency_seconds']]) {
    const a = buckets(before, name, endpoint, variant);
    const b = buckets(after, name, endpoint, variant);
    const les = [...b.cumulative.keys()].filter((le) => le !== '+Inf').sort((x, y) => Number(x) - Number(y));
    const cum = [...les, '+Inf'].map((le) => (b.cumulative.get(le) || 0) - (a.cumulative.get(le) || 0));
    const counts = cum.map((c, i) => (i === 0 ? c : c - cum[i - 1]));
    const bounds = les.map(Number);
    const ms = (q) => { const v = quantile(bounds, counts, q); return v === null ? null : Math.round(v * 1e6) / 1e3; };
    result[key] = { count: b.count - a.count, p50_ms: ms(0.5), p99_ms: ms(0.99) };
  }
  return result;
}

function cpu(serverPid) {
  const tck = 100;  // USER_HZ: /proc reports jiffies of 1/100 s on Linux
  const procs = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); } catch (_) { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');  // f[0] is field 3 (state)
    procs.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tck });
  }
  const root = Number(serverPid);
  const descendants = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop();
    for (const [pid, info] of procs) {
      if (info.ppid === p) { descendants.push(pid); frontier.push(pid); }
    }
  }
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return {
    server_s: procs.has(root) ? procs.get(root).cpu : null,
    workers_s: descendants.reduce((a, p) => a + procs.get(p).cpu, 0), workers: descendants,
    machine: { busy: total - line[3] - line[4], total },
  };
}

function level(runDir, n, threads, endpoint, variant) {
  const file = (suffix) => path.join(runDir, `c${n}.${suffix}`);
  const wrkOut = fs.readFileSync(file('wrk'), 'utf8');
  const json = wrkOut.split('\n').find((l) => l.startsWith('WRK_JSON '));
  const wrk = json ? JSON.parse(json.slice(9)) : { error: wrkOut.slice(-2000) };
  const [user, sys] = fs.readFileSync(file('time'), 'utf8').trim().split(/\s+/).map(Number);
  const a = JSON.parse(fs.readFileSync(file('cpu-before'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(file('cpu-after'), 'utf8'));
  const cores = require('os').cpus().length;
  const busyCores = (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total) * cores;
  const seconds = wrk.duration_us ? wrk.duration_us / 1e6 : null;
  const describe = JSON.parse(fs.readFileSync(file('describe.json'), 'utf8'));
  const v = (describe.ProductionVariants || []).find((x) => x.VariantName === variant) || {};
  const out = {
    concurrency: Number(n), threads: Number(threads), wrk,
    server: histogramDiff(file('metrics-before'), file('metrics-after'), endpoint, variant),
    server_cumulative: v.Metrics || null,
    workers_memory_bytes: v.MemoryBytes || null,
    cpu: {
      server_s: b.server_s - a.server_s, workers_s: b.workers_s - a.workers_s, wrk_s: user + sys,
      machine_busy_cores: busyCores,
      // what ran besides this benchmark, in cores: the rest of the machine's busy time
      other_cores: seconds ? busyCores - ((b.server_s - a.server_s) + (b.workers_s - a.workers_s) + user + sys) / seconds : null,
    },
    loadavg: fs.readFileSync(file('loadavg'), 'utf8').trim(),
  };
  fs.writeFileSync(path.join(runDir, `c${n}.json`), JSON.stringify(out, null, 2) + '\n');
}

const fmt = (v, d = 1) => (v === null || v === undefined ? '-' : Number(v).toFixed(d));
const int = (v) => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));

function report(runDir, outFile) {
  const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  const levels = [];
  for (const c of run.concurrency) {
    const file = path.join(runDir, `c${c}.json`);
    if (fs.existsSync(file)) levels.push(JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  const f = run.compute.flops_per_request;
  const peak = run.peak && run.peak.machine_flops;
  for (const l of levels) {
    const w = l.wrk || {};
    const ok = (w.statuses && w.statuses['200']) || 0;
    l.ok_per_s = w.duration_us ? ok / (w.duration_us / 1e6) : null;
    l.model_gflops = l.ok_per_s === null ? null : l.ok_per_s * f / 1e9;
    l.share_of_peak = peak && l.model_gflops !== null ? l.model_gflops * 1e9 / peak : null;
    l.cpu_ms_per_request = ok ? 1000 * (l.cpu.server_s + l.cpu.workers_s) / ok : null;
  }
  fs.writeFileSync(outFile, JSON.stringify({ ...run, levels }, null, 2) + '\n');

  console.log('| concurrency | wrk threads | requests/s (200) | p50 ms | p99 ms | max ms | non-2xx | of them 503 | ' +
              'model p50 / p99 ms | overhead p50 / p99 ms | server + workers CPU ms per request | ' +
              'model GFLOP/s | share of peak | busy cores: all / not this benchmark |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|');
  for (const l of levels) {
    const w = l.wrk || {};
    const lat = w.latency_us || {};
    const st = w.statuses || {};
    const non2xx = Object.entries(st).filter(([s]) => !s.startsWith('2')).reduce((a, [, n]) => a + n, 0);
    const h = l.server || { model: {}, overhead: {} };
    console.log(`| ${l.concurrency} | ${l.threads} | ${fmt(l.ok_per_s)} | ${fmt(lat.p50 / 1e3)} | ` +
                `${fmt(lat.p99 / 1e3)} | ${fmt(lat.max / 1e3)} | ${int(non2xx)} | ${int(st['503'] || 0)} | ` +
                `${fmt(h.model.p50_ms)} / ${fmt(h.model.p99_ms)} | ${fmt(h.overhead.p50_ms, 2)} / ${fmt(h.overhead.p99_ms, 2)} | ` +
                `${fmt(l.cpu_ms_per_request)} | ${fmt(l.model_gflops, 2)} | ` +
                `${l.share_of_peak === null ? '-' : (100 * l.share_of_peak).toFixed(2) + ' %'} | ` +
                `${fmt(l.cpu.machine_busy_cores, 2)} / ${fmt(l.cpu.other_cores, 2)} |`);
  }
  const c = run.compute;
  console.log(`\nper request: ${(f / 1e6).toFixed(1)} MFLOP = ${c.steps_per_request} LSTM steps ` +
              `(${c.context_length} context + ${c.num_samples} samples x ${c.prediction_length}) x ` +
              `${c.flops_per_step.toLocaleString('en-US')} FLOP (input ${c.input_size}, ${c.num_layers} x ` +
              `${c.num_cells} cells, ${c.dist_outputs} outputs)`);
  const g = (v) => (v ? `${(v / 1e9).toFixed(1)} GFLOP/s` : 'not measured');
  if (peak) {
    console.log(`peak: ${(peak / 1e9).toFixed(1)} GFLOP/s` +
                (run.peak.given_flops ? ' (BENCH_SERVING_PEAK_GFLOPS)' : ` = ${run.peak.cores} cores x sgemm 2048, 1 thread`) +
                `; measured in this run: sgemm 2048 1 thread ${g(run.peak.sgemm_1thread_flops)}, ` +
                `2 threads ${g(run.peak.sgemm_2threads_flops)}`);
  }
  const mem = levels.map((l) => l.workers_memory_bytes).filter((m) => m);
  if (mem.length) console.log(`workers' memory (the variant's MemoryBytes): ${(Math.max(...mem) / 2 ** 20).toFixed(0)} MiB`);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'flops') console.log(JSON.stringify(flops(args[0], Number(args[1]))));
else if (cmd === 'histogram') console.log(JSON.stringify(histogramDiff(...args)));
else if (cmd === 'cpu') console.log(JSON.stringify(cpu(args[0])));
else if (cmd === 'level') level(...args);
else if (cmd === 'report') report(args[0], args[1]);
else {
  console.error('usage: serving_results.js flops MODEL_DIR NUM_SAMPLES | histogram BEFORE AFTER ENDPOINT VARIANT | ' +
                'cpu SERVER_PID | level RUN_DIR N THREADS ENDPOINT VARIANT | report RUN_DIR OUT.json');
  process.exit(2);
}
