// Live messages: what devices publish (and what the server publishes itself: republish
// actions, monitor events) on a topic filter, as it arrives, like AWS IoT's MQTT test
// client. The page holds a watch on the server (/v1/live) and long-polls it; messages
// that came faster than the page read them are counted as dropped, not hidden. A test
// message published from here goes through the rules as a device's would.
import { ApiError, del, enc, get, post } from '../api.js';
import { button, clear, errorBox, fmt, h, table } from '../dom.js';

const KEEP = 200;        // messages shown, newest first
const WAIT_MS = 10000;   // one poll's longest wait

function payloadText(m) {
  if (m.payload === undefined) return `(binary, ${fmt.bytes(m.size)}, base64) ${m.payload_base64}`;
  try {
    return JSON.stringify(JSON.parse(m.payload), null, 1).replace(/\n\s*/g, ' ');
  } catch {
    return m.payload;
  }
}

async function render(ctx) {
  const filterInput = h('input', { id: 'live-filter', value: ctx.query.filter || '#', 'aria-label': 'Topic filter', class: 'mono' });
  const status = h('span', { class: 'note', 'data-testid': 'live-status' }, 'Not watching.');
  const list = h('div');
  const errors = h('div');
  let messages = [];
  let dropped = 0;
  let watch = null;   // {id, filter}
  let generation = 0; // a new watch ends the loop of the old one

  const show = () => {
    status.textContent = watch
      ? `Watching ${watch.filter}: ${fmt.number(messages.length)} shown${dropped ? `, ${fmt.number(dropped)} dropped (they came faster than this page read them)` : ''}.`
      : 'Not watching.';
    list.replaceChildren(table([
      { title: 'Received', value: (m) => new Date(m.received_at).toLocaleTimeString() },
      { title: 'Topic', value: (m) => h('code', {}, m.topic) },
      { title: 'Client', value: (m) => m.client_id || (m.over_http ? '(HTTP publish)' : '(server)') },
      { title: 'QoS', class: 'num', value: (m) => String(m.qos) },
      { title: 'Payload', value: (m) => h('code', {}, payloadText(m), m.truncated ? ` … (${fmt.bytes(m.size)} in all)` : '') },
    ], messages, { testid: 'live-messages', empty: watch ? 'Waiting for messages…' : 'Start watching a topic filter.' }));
  };

  async function stop() {
    generation += 1;
    const old = watch;
    watch = null;
    show();
    if (old) await del(`/v1/live/watches/${enc(old.id)}`).catch(() => {});
  }

  async function loop(gen, w) {
    let after = w.next;
    while (gen === generation && ctx.alive()) {
      try {
        const r = await get(`/v1/live/watches/${enc(w.id)}/messages?after=${after}&wait_ms=${WAIT_MS}`);
        if (gen !== generation) return;
        after = r.next;
        dropped += r.dropped;
        messages = [...r.messages.reverse(), ...messages].slice(0, KEEP);
        show();
      } catch (e) {
        if (gen !== generation) return;
        if (e instanceof ApiError && e.status === 404) {  // lapsed (the server restarted, say): watch again
          try {
            const again = await post('/v1/live/watches', { filter: w.filter });
            Object.assign(w, again);
            watch = w;
            after = again.next;
            continue;
          } catch (e2) { clear(errors).append(errorBox(e2, 'Watching again')); }
        } else {
          clear(errors).append(errorBox(e, 'Reading messages'));
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    if (gen === generation) await stop();  // the user left the page
  }

  async function start() {
    clear(errors);
    await stop();
    try {
      const w = await post('/v1/live/watches', { filter: filterInput.value.trim() });
      messages = [];
      dropped = 0;
      watch = w;
      show();
      loop(generation, w);
    } catch (e) {
      errors.append(errorBox(e, 'Watching'));
    }
  }

  const form = h('form', { class: 'toolbar', 'data-testid': 'live-form' },
    h('label', { for: 'live-filter' }, 'Topic filter'), filterInput,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'live-start' }, 'Watch'),
    button('Stop', () => stop(), { testid: 'live-stop' }),
    button('Clear', () => { messages = []; dropped = 0; show(); }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); start(); });

  const pubTopic = h('input', { id: 'pub-topic', class: 'mono', value: 'sensors/console/pm', 'aria-label': 'Topic' });
  const pubPayload = h('textarea', { id: 'pub-payload', rows: 3, spellcheck: 'false', 'aria-label': 'Payload' }, '{"pm25": 12.5}');
  const pubQos = h('select', { id: 'pub-qos', 'aria-label': 'QoS' }, h('option', { value: '1' }, 'QoS 1'), h('option', { value: '0' }, 'QoS 0'));
  const pubRetain = h('input', { type: 'checkbox', id: 'pub-retain' });
  const pubResult = h('div', { 'data-testid': 'publish-result' });
  const pubForm = h('form', { 'data-testid': 'publish-form' },
    h('div', { class: 'toolbar' }, h('label', { for: 'pub-topic' }, 'Topic'), pubTopic, pubQos,
      h('label', { for: 'pub-retain' }, pubRetain, ' retain'),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'publish' }, 'Publish')),
    pubPayload, pubResult);
  pubForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(pubResult);
    try {
      const r = await post('/v1/live/publish', { topic: pubTopic.value.trim(), payload: pubPayload.value,
        qos: Number(pubQos.value), retain: pubRetain.checked });
      pubResult.append(h('p', { class: 'note' }, `Published to ${r.topic} (QoS ${r.qos}); the rules took it: ${r.verdict}.`));
    } catch (e) {
      pubResult.append(errorBox(e, 'Publishing'));
    }
  });
  ctx.main.append(h('h1', {}, 'Live messages'),
    h('p', { class: 'note' }, 'Messages on a topic filter as they arrive (+ one level, # the rest). ',
      'The server keeps the last 1,000 per watch until this page reads them.'),
    form, errors, status, list,
    h('section', { class: 'card' }, h('h2', {}, 'Publish a test message'),
      h('p', { class: 'note' }, 'As client "console": the rules see it as they see a device\'s message, then subscribers get it.'),
      pubForm));
  show();
  // Watching starts at once when the address names a filter (#/live?filter=...).
  if (ctx.query.filter) await start();
  // Leaving the page ends the watch on the server even while a poll is waiting.
  const check = setInterval(() => { if (!ctx.alive()) { clearInterval(check); stop(); } }, 500);
}

export default [{ route: '/live', title: 'Live messages', nav: 'devices', render }];
