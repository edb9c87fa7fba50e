// Overview: the broker's traffic (with the message rate over the last minutes, measured
// here from the counters' deltas), what needs attention across the pipeline (errors,
// failed runs, drift), and how many of each resource exist, each linking to its page.
import { enc, get } from '../api.js';
import { clear, errorBox, fmt, h, lineChart, link, section, stat } from '../dom.js';

const REFRESH_MS = 2000;
const HISTORY = 90;  // refreshes kept for the rate chart (3 minutes)

// Survives navigation, so that coming back shows the recent rate at once.
const samples = [];

// Every list the overview reads, fetched at once; a list the server refused is null.
async function fetchLists() {
  const names = [['servers', '/v1/servers'], ['things', '/v1/things'], ['rules', '/v1/rules'], ['streams', '/v1/streams'],
    ['tables', '/v1/catalog/tables'], ['crawlers', '/v1/crawlers'], ['jobs', '/v1/jobs'],
    ['training', '/v1/training-jobs'], ['endpoints', '/v1/endpoints'], ['monitors', '/v1/monitors']];
  const got = await Promise.allSettled(names.map(([, path]) => get(path)));
  return Object.fromEntries(names.map(([name], i) => [name, got[i].status === 'fulfilled' ? got[i].value : null]));
}

// The NATS link of JetStream-kept records: "connected to 10.0.0.1:4222, 3 servers known".
function natsLink(r) {
  const known = (r.known_servers || []).length;
  const of = known > 1 ? `, ${known} servers known` : '';
  return r.connected ? `connected to ${r.server}${of}` : `not connected; trying ${r.server}${of}`;
}

function counts(l) {
  const n = (list, key) => (list ? (list[key] || []).length : '—');
  return [
    ['Servers', n(l.servers, 'servers'), '#/servers', 'count-servers'],
    ['Things', n(l.things, 'things'), '#/things', 'count-things'],
    ['Rules', n(l.rules, 'rules'), '#/rules', 'count-rules'],
    ['Streams', n(l.streams, 'streams'), '#/streams', 'count-streams'],
    ['Tables', n(l.tables, 'tables'), '#/catalog', 'count-tables'],
    ['ETL jobs', n(l.jobs, 'jobs'), '#/jobs', 'count-jobs'],
    ['Training jobs', n(l.training, 'TrainingJobSummaries'), '#/training-jobs', 'count-training-jobs'],
    ['Endpoints', n(l.endpoints, 'Endpoints'), '#/endpoints', 'count-endpoints'],
    ['Monitors', n(l.monitors, 'Monitors'), '#/monitors', 'count-monitors'],
  ];
}

// What needs a look, from the same lists: [text, href] for each server that stopped
// reporting, rule with errors, stream
// with delivery errors, crawler or job whose last run failed, failed training job,
// endpoint failed or rolled back, monitor in drift or whose last evaluation failed.
function attention(l) {
  const out = [];
  const each = (list, key, fn) => { for (const x of (list && list[key]) || []) { const item = fn(x); if (item) out.push(item); } };
  each(l.servers, 'servers', (s) => (s.status === 'unresponsive'
    ? [`Server ${s.id.slice(0, 8)} (${s.role}, ${s.advertised_host}) is unresponsive: its last report was ${s.last_seen_ago_s} s ago`, '#/servers'] : null));
  each(l.rules, 'rules', (r) => ((r.metrics?.errors || r.metrics?.actionFailures)
    ? [`Rule ${r.ruleName}: ${r.metrics.errors} errors, ${r.metrics.actionFailures} action failures`, `#/rules/${enc(r.ruleName)}`] : null));
  each(l.streams, 'streams', (s) => ((s.stats.delivery_errors || s.stats.last_error)
    ? [`Stream ${s.config.name}: ${s.stats.delivery_errors} delivery errors${s.stats.last_error ? ` (${s.stats.last_error})` : ''}`, `#/streams/${enc(s.config.name)}`] : null));
  each(l.crawlers, 'crawlers', (c) => (c.last_run?.status === 'failed' ? [`Crawler ${c.name}: its last run failed`, `#/crawlers/${enc(c.name)}`] : null));
  each(l.jobs, 'jobs', (j) => (j.last_run?.status === 'failed' ? [`ETL job ${j.name}: its last run failed`, `#/jobs/${enc(j.name)}`] : null));
  each(l.training, 'TrainingJobSummaries', (t) => (t.TrainingJobStatus === 'Failed'
    ? [`Training job ${t.TrainingJobName} failed`, `#/training-jobs/${enc(t.TrainingJobName)}`] : null));
  each(l.endpoints, 'Endpoints', (e) => ((e.EndpointStatus === 'Failed' || e.FailureReason)
    ? [`Endpoint ${e.EndpointName}: ${e.FailureReason || e.EndpointStatus}`, `#/endpoints/${enc(e.EndpointName)}`] : null));
  each(l.monitors, 'Monitors', (m) => (m.Drift || m.LastEvaluationStatus === 'Failed'
    ? [`Monitor ${m.MonitorName}: ${m.Drift ? 'drift' : 'its last evaluation failed'}`, `#/monitors/${enc(m.MonitorName)}`] : null));
  return out;
}

function rates() {
  const pts = { in: [], out: [] };
  for (let i = 1; i < samples.length; i += 1) {
    const a = samples[i - 1];
    const b = samples[i];
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0 || b.received < a.received) continue;  // a restart reset the counters
    pts.in.push([b.t, (b.received - a.received) / dt]);
    pts.out.push([b.t, (b.sent - a.sent) / dt]);
  }
  return pts;
}

export default [{
  route: '/',
  title: 'Overview',
  nav: 'main',
  async render(ctx) {
    const brokerBox = h('div', { class: 'cards', 'data-testid': 'broker-stats' });
    const chartBox = h('div');
    const countBox = h('div', { class: 'cards' });
    const attentionBox = h('div');
    const storageBox = h('div', { class: 'cards wide', 'data-testid': 'storage' });
    const errors = h('div');
    ctx.main.append(h('h1', {}, 'Overview'), errors,
      section('Broker', brokerBox, h('h3', {}, 'Messages per second (in, out)'), chartBox),
      section('Needs attention', attentionBox),
      h('h2', {}, 'Resources'), countBox,
      section('Where things are kept', storageBox));
    // Set at start-up: read once.
    get('/v1/server').then((s) => {
      if (!ctx.alive()) return;
      const lake = s.lake.backend === 's3' ? `S3 ${s.lake.endpoint} (${s.lake.region})` : `local ${s.lake.root}`;
      clear(storageBox).append(
        stat('Metadata', s.metadata, { testid: 'storage-metadata' }),
        stat('Lake', lake, { testid: 'storage-lake' }),
        s.stream_records.backend === 'jetstream'
          ? stat('Stream records', `${s.stream_records.where} (${natsLink(s.stream_records)})`,
            { testid: 'storage-wal' })
          : stat('Write-ahead logs', `${s.wal_dir} (fsync ${s.wal_fsync})`, { testid: 'storage-wal' }));
    }).catch((e) => { if (ctx.alive()) clear(storageBox).append(errorBox(e, 'Could not read where the server keeps things')); });

    async function refresh() {
      try {
        const [b, lists] = await Promise.all([get('/v1/broker'), fetchLists()]);
        const c = counts(lists);
        const problems = attention(lists);
        if (!ctx.alive()) return;
        samples.push({ t: Date.now(), received: b.messages_received, sent: b.messages_sent });
        while (samples.length > HISTORY) samples.shift();
        const r = rates();
        const last = r.in.length ? r.in[r.in.length - 1][1] : undefined;
        clear(brokerBox).append(
          stat('Connections', fmt.number(b.connections), { testid: 'connections' }),
          stat('Messages in', fmt.number(b.messages_received), { testid: 'messages-received' }),
          stat('Messages out', fmt.number(b.messages_sent), { testid: 'messages-sent' }),
          stat('In now, msg/s', last === undefined ? '—' : fmt.number(Math.round(last)), { testid: 'rate-in' }),
          stat('Subscriptions', fmt.number(b.subscriptions)),
          stat('Retained', fmt.number(b.retained_messages)),
          stat('Refused publishes', fmt.number(b.publish_denied)),
          stat('Bytes in / out', `${fmt.bytes(b.bytes_received)} / ${fmt.bytes(b.bytes_sent)}`));
        const l = b.listeners || {};
        brokerBox.append(stat('MQTT ports', [`TLS ${l.mqtt_tls_port}`, l.mqtt_ws_port > 0 ? ` · WS ${l.mqtt_ws_port}` : '',
          l.mqtt_port > 0 ? ` · TCP ${l.mqtt_port}` : ''].join('')));
        // MQTT between servers over NATS (--broker-nats-url), when this server bridges.
        if (b.bridge) {
          const br = b.bridge;
          brokerBox.append(stat('Other servers (NATS bridge)',
            `${br.connected ? `connected to ${br.server}` : `not connected; trying ${br.server}`}` +
            ` · ${fmt.number(br.interest_filters)} filters wanted here`, { testid: 'bridge' }));
        }
        clear(chartBox).append(lineChart({
          series: [{ name: 'in', points: r.in }, { name: 'out', points: r.out }],
          height: 160, yLabel: 'messages per second', testid: 'rate-chart',
        }));
        clear(countBox).append(...c.map(([label, value, href, testid]) => stat(label, fmt.number(value), { href, testid })));
        clear(attentionBox).append(problems.length
          ? h('ul', { 'data-testid': 'attention' }, problems.map(([text, href]) => h('li', {}, link(href, text))))
          : h('p', { class: 'note', 'data-testid': 'attention' }, 'Nothing needs attention: every server reporting, no rule or stream errors, no failed run, job or endpoint, no drift.'));
        clear(errors);
      } catch (e) {
        if (ctx.alive()) clear(errors).append(errorBox(e, 'Could not read the server\'s state'));
      }
    }
    await refresh();
    ctx.every(REFRESH_MS, refresh);
  },
}];
