// Scores forecasts for scripts/bench-forecast with SageMaker DeepAR's test metric
// definitions (src/forecast/metrics.h), pooled over all rolling origins of a series:
//   RMSE              sqrt(mean over points of (mean forecast - actual)^2)
//   wQuantileLoss[q]  2 * sum of pinball losses at q / sum |actual|
//   mean_wQuantileLoss the mean of wQuantileLoss[q] over q = 0.1 .. 0.9
//
//   node score.js DIR ORIGINS METHOD...
// reads DIR/actual_K.json and DIR/METHOD_K.json (K = 1..ORIGINS; line i of each
// is series i) and prints a Markdown table per series plus the mean over series
// of mean_wQuantileLoss, then one JSON line per method to DIR/scores.jsonl.
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, originsArg, ...methods] = process.argv.slice(2);
const origins = Number(originsArg);
const quantiles = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const readLines = (file) =>
  fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

const names = readLines('actual_1.json').map((a) => a.name);
const scores = {};  // method -> series -> {sq, n, pinball[q], abs}
for (const m of methods) {
  scores[m] = names.map(() => ({ sq: 0, n: 0, pinball: quantiles.map(() => 0), abs: 0 }));
  for (let k = 1; k <= origins; ++k) {
    const actual = readLines(`actual_${k}.json`);
    const forecast = readLines(`${m}_${k}.json`);
    if (forecast.length !== actual.length) {
      throw new Error(`${m}_${k}.json has ${forecast.length} lines, actual_${k}.json ${actual.length}`);
    }
    actual.forEach((a, i) => {
      const f = forecast[i];
      const s = scores[m][i];
      a.target.forEach((y, t) => {
        s.sq += (f.mean[t] - y) ** 2;
        s.n += 1;
        s.abs += Math.abs(y);
        quantiles.forEach((q, j) => {
          const key = String(q);
          const values = f.quantiles && f.quantiles[key];
          if (!values) throw new Error(`${m}_${k}.json line ${i + 1}: no quantile ${key}`);
          const p = values[t];
          s.pinball[j] += y >= p ? q * (y - p) : (1 - q) * (p - y);
        });
      });
    });
  }
}

const rmse = (s) => Math.sqrt(s.sq / s.n);
const mwql = (s) => s.pinball.reduce((acc, x) => acc + (2 * x) / s.abs, 0) / quantiles.length;
const cell = (x, digits) => x.toFixed(digits);

const header = ['series', ...methods.map((m) => `${m} RMSE`), ...methods.map((m) => `${m} mean_wQL`)];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
names.forEach((name, i) => {
  const row = [name, ...methods.map((m) => cell(rmse(scores[m][i]), 2)),
               ...methods.map((m) => cell(mwql(scores[m][i]), 4))];
  console.log(`| ${row.join(' | ')} |`);
});
const meanOverSeries = (m) => scores[m].reduce((acc, s) => acc + mwql(s), 0) / names.length;
console.log(`| mean over series | ${methods.map(() => '').join(' | ')} | ` +
            `${methods.map((m) => `**${cell(meanOverSeries(m), 4)}**`).join(' | ')} |`);

const out = methods.map((m) => JSON.stringify({
  method: m,
  origins,
  mean_over_series_mean_wQuantileLoss: meanOverSeries(m),
  series: Object.fromEntries(names.map((n, i) => [n, { RMSE: rmse(scores[m][i]), mean_wQuantileLoss: mwql(scores[m][i]) }])),
}));
fs.writeFileSync(path.join(dir, 'scores.jsonl'), out.join('\n') + '\n');
