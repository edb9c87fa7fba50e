// A stand-in for `tributary-forecast train` in training_jobs_test.cc: the same
// arguments (train --train DIR [--test DIR] --hyperparameters F --output DIR), the same
// progress lines and artifact files, with behaviour chosen by a hyperparameter:
//   "mode": "ok" (default)   `epochs` progress lines `step_ms` apart, then model.json,
//                            hyperparameters.json and metrics.json (test:* with --test)
//           "bad-hp"         "error: epochs: ..." on stderr, exit 2 (the tool's validation)
//           "crash"          a line, then killed by SIGSEGV
//           "hang"           progress lines forever
//           "stubborn"       progress lines forever, ignoring SIGTERM
//           "saves"          progress lines forever; on SIGTERM it writes the artifact files
//                            of the epochs so far and exits 0 (as the real trainer does)
// It checks its channel directories: each needs at least one file, whose line count
// it reports.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
if (args[0] !== 'train') {
  process.stderr.write(`error: expected 'train', got ${args[0]}\n`);
  process.exit(2);
}
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const hp = JSON.parse(fs.readFileSync(flag('--hyperparameters'), 'utf8'));
const mode = hp.mode || 'ok';
const epochs = Number(hp.epochs || '2');
const stepMs = Number(hp.step_ms || '20');

const lines = (dir) => fs.readdirSync(dir, { recursive: true })
  .map((f) => path.join(dir, f))
  .filter((f) => fs.statSync(f).isFile())
  .reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).length, 0);
console.log(`train channel: ${lines(flag('--train'))} series`);
if (flag('--test')) console.log(`test channel: ${lines(flag('--test'))} series`);

if (mode === 'bad-hp') {
  process.stderr.write(`error: epochs: '${hp.epochs}' is not an integer\n`);
  process.exit(2);
}
if (mode === 'crash') {
  console.log('about to crash');
  process.kill(process.pid, 'SIGSEGV');
}
if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));

const progress = (e, total) =>
  console.log(`epoch ${e}/${total} loss=${(5 / e).toFixed(4)} val_loss=${flag('--test') ? (6 / e).toFixed(4) : '-'} ` +
              `lr=0.001 samples/s=${100 * e} elapsed=0:00:0${e % 10} eta=0:01:0${e % 10}`);

const save = (epochsRun) => {
  const out = flag('--output');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify({ format: 'stand-in', epochs: epochsRun }));
  fs.writeFileSync(path.join(out, 'hyperparameters.json'), JSON.stringify(hp));
  const metrics = { 'train:final_loss': 5 / epochsRun };
  if (flag('--test')) Object.assign(metrics, { 'test:RMSE': 1.5, 'test:mean_wQuantileLoss': 0.125 });
  fs.writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics));
  console.log(`trained ${epochsRun} epochs; model in ${out}`);
};

let epoch = 0;
const forever = mode === 'hang' || mode === 'stubborn' || mode === 'saves';
const timer = setInterval(() => {
  epoch += 1;
  progress(epoch, forever ? 1000000 : epochs);
  if (forever || epoch < epochs) return;
  clearInterval(timer);
  save(epochs);
}, stepMs);
if (mode === 'saves') {
  process.on('SIGTERM', () => {
    clearInterval(timer);
    console.log(`stopped by SIGTERM after epoch ${epoch}: saving the model`);
    save(Math.max(epoch, 1));
    process.exit(0);
  });
}
