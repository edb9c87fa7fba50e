// What crawlers and ETL jobs share on their pages: Run / Stop buttons over
// `<base>/run` and `<base>/stop`, and the "last run" cell of their lists.
import { enc, post } from './api.js';
import { badge, button, clear, errorBox, fmt, h } from './dom.js';

// Run / Stop for one crawler or job (`kind` 'crawlers' or 'jobs'): Run disabled while it
// runs, Stop while it does not; failures go to `errors`, then `after` runs.
// setRunning(bool) updates the two.
export function runStopButtons(kind, name, errors, after, { prefix = '', running = false } = {}) {
  const what = kind === 'jobs' ? 'job' : 'crawler';
  const act = (verb) => async () => {
    clear(errors);
    try {
      await post(`/v1/${kind}/${enc(name)}/${verb}`);
    } catch (e) {
      errors.append(errorBox(e, `Could not ${verb} ${what} ${name}`));
    }
    after();
  };
  const run = button('Run', act('run'), { kind: 'primary', testid: `${prefix}run` });
  const stop = button('Stop', act('stop'), { testid: `${prefix}stop` });
  const setRunning = (on) => { run.disabled = on; stop.disabled = !on; };
  setRunning(running);
  return { nodes: [run, ' ', stop], setRunning };
}

// A list's "Last run" cell: its outcome and when it started.
export function lastRunCell(lastRun) {
  return lastRun ? h('span', {}, badge(lastRun.status), ' ', fmt.time(lastRun.started_at)) : '—';
}
