// Servers: every server of the deployment (this one, and the control and ingest servers
// sharing its metadata database), as each last reported itself in its heartbeat: role,
// status, where devices reach it, version, traffic and its NATS bridge. A server that
// stopped or stopped beating can be forgotten.
import { del, enc, get } from '../api.js';
import { button, errorBox, fmt, h, table } from '../dom.js';

const REFRESH_MS = 2000;

const STATUS_CLASS = { running: 'good', unresponsive: 'bad', stopped: 'muted' };

function statusBadge(s) {
  return h('span', { class: `badge ${STATUS_CLASS[s.status] || 'busy'}`, 'data-testid': 'server-status' }, s.status);
}

// "ingest-2.example.com · MQTTS 8883 · HTTP 8080 · HTTPS 8444": where devices and clients reach it.
function addresses(s) {
  const l = s.listeners || {};
  const parts = [s.advertised_host];
  if (l.mqtt_tls_port > 0) parts.push(`MQTTS ${l.mqtt_tls_port}`);
  if (l.mqtt_ws_port > 0) parts.push(`WS ${l.mqtt_ws_port}`);
  if (l.mqtt_port > 0) parts.push(`TCP ${l.mqtt_port}`);
  if (l.http_port > 0) parts.push(`HTTP ${l.http_port}`);
  if (l.https_port > 0) parts.push(`HTTPS ${l.https_port}`);
  return parts.join(' · ');
}

function bridge(s) {
  if (!s.bridge) return '—';
  return s.bridge.connected ? 'connected' : 'not connected';
}

export default [{
  route: '/servers',
  title: 'Servers',
  nav: 'main',
  async render(ctx) {
    const list = h('div');
    const errors = h('div');
    const summary = h('p', { class: 'note', 'data-testid': 'servers-summary' });
    ctx.main.append(h('h1', {}, 'Servers'), summary, errors, list);
    const show = async () => {
      try {
        const r = await get('/v1/servers');
        if (!ctx.alive()) return;
        const by = (st) => r.servers.filter((s) => s.status === st).length;
        summary.textContent = `${r.servers.length} server${r.servers.length === 1 ? '' : 's'}: ` +
          `${by('running')} running, ${by('unresponsive')} unresponsive, ${by('stopped')} stopped. ` +
          'Each reports itself every few seconds; one whose reports stop for three intervals is unresponsive.';
        list.replaceChildren(table([
          { title: 'Server', value: (s) => h('span', { title: s.id }, s.id.slice(0, 8), s.self ? ' (this one)' : '') },
          { title: 'Role', value: (s) => s.role },
          { title: 'Status', value: statusBadge },
          { title: 'Reached at', value: addresses },
          { title: 'Host', value: (s) => s.host },
          { title: 'Version', value: (s) => s.version },
          { title: 'Started', value: (s) => fmt.time(s.started_at) },
          { title: 'Last report', value: (s) => `${fmt.number(s.last_seen_ago_s)} s ago` },
          { title: 'Connections', class: 'num', value: (s) => fmt.number(s.connections) },
          { title: 'In, msg/s', class: 'num', value: (s) => fmt.number(Math.round(s.messages_received_per_s)) },
          { title: 'Out, msg/s', class: 'num', value: (s) => fmt.number(Math.round(s.messages_sent_per_s)) },
          { title: 'NATS bridge', value: bridge },
          {
            title: '',
            value: (s) => (s.self || s.status === 'running' ? '' : button('Forget', async () => {
              if (!confirm(`Forget server ${s.id}? It is listed again if it starts.`)) return;
              try {
                await del(`/v1/servers/${enc(s.id)}`);
                await show();
              } catch (e) {
                if (ctx.alive()) errors.replaceChildren(errorBox(e, `Could not forget server ${s.id}`));
              }
            }, { testid: 'forget-server' })),
          },
        ], r.servers, { testid: 'servers', rowKey: (s) => s.id, empty: 'No server has reported itself.' }));
        errors.replaceChildren();
      } catch (e) {
        if (ctx.alive()) errors.replaceChildren(errorBox(e, 'Could not read the deployment\'s servers'));
      }
    };
    await show();
    ctx.every(REFRESH_MS, show);
  },
}];
