// Overview: the broker's traffic (with the message rate over the last minutes, measured
// here from the counters' deltas) and how many of each resource exist, each linking to
// its page.
import { get } from '../api.js';
import { clear, errorBox, fmt, h, lineChart, section } from '../dom.js';

const REFRESH_MS = 2000;
const HISTORY = 90;  // refreshes kept for the rate chart (3 minutes)

// Survives navigation, so that coming back shows the recent rate at once.
const samples = [];

function stat(label, value, href, testid) {
  const body = [h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testid }, value)];
  return href ? h('a', { class: 'stat', href }, body) : h('div', { class: 'stat' }, body);
}

async function counts() {
  const lists = await Promise.allSettled([
    get('/v1/things'), get('/v1/rules'), get('/v1/streams'), get('/v1/catalog/tables'),
    get('/v1/jobs'), get('/v1/training-jobs'), get('/v1/endpoints'), get('/v1/monitors'),
  ]);
  const n = (i, key) => (lists[i].status === 'fulfilled' ? (lists[i].value[key] || []).length : '—');
  return [
    ['Things', n(0, 'things'), '#/things', 'count-things'],
    ['Rules', n(1, 'rules'), '#/rules', 'count-rules'],
    ['Streams', n(2, 'streams'), '#/streams', 'count-streams'],
    ['Tables', n(3, 'tables'), '#/catalog', 'count-tables'],
    ['ETL jobs', n(4, 'jobs'), '#/jobs', 'count-jobs'],
    ['Training jobs', n(5, 'TrainingJobSummaries'), '#/training-jobs', 'count-training-jobs'],
    ['Endpoints', n(6, 'Endpoints'), '#/endpoints', 'count-endpoints'],
    ['Monitors', n(7, 'Monitors'), '#/monitors', 'count-monitors'],
  ];
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
    const errors = h('div');
    ctx.main.append(h('h1', {}, 'Overview'), errors,
      section('Broker', brokerBox, h('h3', {}, 'Messages per second (in, out)'), chartBox),
      h('h2', {}, 'Resources'), countBox);

    async function refresh() {
      try {
        const [b, c] = await Promise.all([get('/v1/broker'), counts()]);
        if (!ctx.alive()) return;
        samples.push({ t: Date.now(), received: b.messages_received, sent: b.messages_sent });
        while (samples.length > HISTORY) samples.shift();
        const r = rates();
        const last = r.in.length ? r.in[r.in.length - 1][1] : undefined;
        clear(brokerBox).append(
          stat('Connections', fmt.number(b.connections), null, 'connections'),
          stat('Messages in', fmt.number(b.messages_received), null, 'messages-received'),
          stat('Messages out', fmt.number(b.messages_sent), null, 'messages-sent'),
          stat('In now, msg/s', last === undefined ? '—' : fmt.number(Math.round(last)), null, 'rate-in'),
          stat('Subscriptions', fmt.number(b.subscriptions)),
          stat('Retained', fmt.number(b.retained_messages)),
          stat('Refused publishes', fmt.number(b.publish_denied)),
          stat('Bytes in / out', `${fmt.bytes(b.bytes_received)} / ${fmt.bytes(b.bytes_sent)}`));
        const l = b.listeners || {};
        brokerBox.append(stat('MQTT ports', [`TLS ${l.mqtt_tls_port}`, l.mqtt_ws_port > 0 ? ` · WS ${l.mqtt_ws_port}` : '',
          l.mqtt_port > 0 ? ` · TCP ${l.mqtt_port}` : ''].join('')));
        clear(chartBox).append(lineChart({
          series: [{ name: 'in', points: r.in }, { name: 'out', points: r.out }],
          height: 160, yLabel: 'messages per second', testid: 'rate-chart',
        }));
        clear(countBox).append(...c.map(([label, value, href, testid]) => stat(label, fmt.number(value), href, testid)));
        clear(errors);
      } catch (e) {
        if (ctx.alive()) clear(errors).append(errorBox(e, 'Could not read the server\'s state'));
      }
    }
    await refresh();
    ctx.every(REFRESH_MS, refresh);
  },
}];
