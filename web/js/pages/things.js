// Devices: things with their certificates and policies, and the policies themselves.
// Creating a thing (or a new certificate) shows its connection kit once: the private
// key is not kept by the server, so the page offers each file for download right away.
// Each certificate can be deactivated, activated again or revoked for good. A thing's
// attributes (what rules read with get_registry_data) are edited as one JSON object.
import { del, enc, get, patch, post, put } from '../api.js';
import { badge, button, clear, errorBox, fmt, formDialog, h, kv, link, parseJsonField, pre, section, table } from '../dom.js';
import { downloadText } from '../download.js';

// The kit as `tributary thing create --out` writes it.
function kitPanel(thing, issued) {
  const ep = issued.endpoint || {};
  const topic = `devices/${thing}/pollution`;  // the default policy's topics, as in the CLI's kit
  const endpointJson = JSON.stringify({ host: ep.host, mqtt_tls_port: ep.mqtt_tls_port,
    mqtt_ws_port: ep.mqtt_ws_port > 0 ? ep.mqtt_ws_port : null, http_port: ep.http_port, thing, client_id: thing, topic }, null, 2);
  const files = [
    ['device.crt', issued.certificate_pem],
    ['device.key', issued.private_key_pem],
    ['ca.crt', issued.ca_pem],
    ['endpoint.json', endpointJson],
  ];
  const command = `mosquitto_pub -h ${ep.host} -p ${ep.mqtt_tls_port} --cafile ca.crt --cert device.crt --key device.key ` +
    `-i ${thing} -t ${topic} -q 1 -m '{"pm25": 12.5}'`;
  return section('Connection kit',
    h('p', { class: 'note' }, 'The private key is shown only now: the server does not keep it. Save the files before leaving this page.'),
    h('div', { class: 'toolbar' }, files.map(([name, text]) =>
      button(`Download ${name}`, () => downloadText(name, text), { testid: `kit-${name}` }))),
    h('p', {}, 'Try it:'), pre(command, { 'data-testid': 'kit-command' }),
    kv([['Certificate fingerprint', h('code', {}, issued.fingerprint || '—')]]));
}

async function renderThings(ctx) {
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Things'),
    button('Create thing', () => formDialog({
      title: 'Create thing',
      testid: 'create-thing',
      fields: [
        { name: 'name', label: 'Name', required: true, placeholder: 'sensor-1', help: 'Also the client id it connects with.' },
        { name: 'attributes', label: 'Attributes (JSON object)', type: 'textarea', rows: 3, value: '{}' },
        { name: 'policies', label: 'Policies', value: 'default', help: 'Comma-separated names.' },
      ],
      submit: async (v) => {
        const policies = v.policies.split(',').map((s) => s.trim()).filter(Boolean);
        const created = await post('/v1/things', { name: v.name.trim(), attributes: parseJsonField(v.attributes, 'Attributes'), policies });
        const cert = created.certificate || {};
        showKit(ctx, v.name.trim(), { ...cert, ca_pem: created.ca_pem, endpoint: created.endpoint });
      },
    }), { kind: 'primary', testid: 'create-thing' })), list);
  const r = await get('/v1/things');
  if (!ctx.alive()) return;
  list.append(table([
    { title: 'Name', value: (t) => link(`#/things/${enc(t.name)}`, t.name) },
    { title: 'State', value: (t) => badge(t.active ? 'active' : 'deactivated') },
    { title: 'Attributes', value: (t) => h('code', {}, JSON.stringify(t.attributes || {})) },
    { title: 'Created', value: (t) => fmt.time(t.created_at) },
  ], r.things, { testid: 'things', empty: 'No things yet. Create one to get its certificate.' }));
}

// After a creation the kit is the page: it is the only moment the key exists.
function showKit(ctx, thing, issued) {
  clear(ctx.main).append(h('div', { class: 'crumbs' }, link('#/things', 'Things'), ' / ', thing),
    h('h1', {}, `Thing ${thing} created`), kitPanel(thing, issued),
    h('p', {}, link(`#/things/${enc(thing)}`, `Open ${thing}`)));
}

async function renderThing(ctx) {
  const name = ctx.params.name;
  const t = await get(`/v1/things/${enc(name)}`);
  if (!ctx.alive()) return;
  const act = (path, what) => async () => {
    try { await post(`/v1/things/${enc(name)}/${path}`); ctx.rerender(); } catch (e) { ctx.main.prepend(errorBox(e, what)); }
  };
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/things', 'Things'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), badge(t.active ? 'active' : 'deactivated'),
      t.active ? button('Deactivate', act('deactivate', 'Deactivate'), { testid: 'deactivate' })
        : button('Activate', act('activate', 'Activate'), { testid: 'activate' }),
      button('Edit attributes', () => formDialog({
        title: `Attributes of ${name}`,
        testid: 'edit-attributes',
        submitLabel: 'Save',
        fields: [{ name: 'attributes', label: 'Attributes (JSON object)', type: 'textarea', rows: 6,
                   value: JSON.stringify(t.attributes || {}, null, 2),
                   help: 'Rules read them with get_registry_data(\'DescribeThing\', thing, role).' }],
        submit: async (v) => {
          await patch(`/v1/things/${enc(name)}`, { attributes: parseJsonField(v.attributes, 'Attributes'), merge: false });
          ctx.rerender();
        },
      }), { testid: 'edit-attributes' }),
      button('New certificate', async () => {
        try {
          const issued = await post(`/v1/things/${enc(name)}/certificates`);
          showKit(ctx, name, { ...issued });
        } catch (e) { ctx.main.prepend(errorBox(e, 'New certificate')); }
      }, { testid: 'new-certificate' }),
      button('Delete', async () => {
        if (!confirm(`Delete thing ${name}? Its certificates stop working.`)) return;
        try { await del(`/v1/things/${enc(name)}`); ctx.navigate('#/things'); } catch (e) { ctx.main.prepend(errorBox(e, 'Delete')); }
      }, { kind: 'danger', testid: 'delete-thing' })),
    section('Thing', kv([
      ['Attributes', h('code', {}, JSON.stringify(t.attributes || {}))],
      ['Policies', h('span', {}, (t.policies || []).map((p, i) => [i ? ', ' : '', link(`#/policies/${enc(p)}`, p)]))],
      ['Created', fmt.time(t.created_at)],
    ])),
    section('Certificates', table([
      { title: 'Fingerprint (SHA-256)', value: (c) => h('code', {}, c.fingerprint) },
      { title: 'State', value: (c) => badge(c.status) },
      { title: 'Issued', value: (c) => fmt.time(c.created_at) },
      { title: 'Expires', value: (c) => fmt.time(c.expires_at) },
      { title: '', value: (c) => certificateActions(ctx, c) },
    ], t.certificates, { testid: 'certificates', rowKey: (c) => c.fingerprint })));
}

// Turning one certificate off (inactive, or revoked for good: a lost or leaked key) or
// back on; leaving active closes the thing's connections.
function certificateActions(ctx, c) {
  if (c.status === 'revoked') return '';
  const set = (status) => async () => {
    if (status === 'revoked' && !confirm(`Revoke certificate ${c.fingerprint.slice(0, 16)}…? This cannot be undone.`)) return;
    try {
      await put(`/v1/certificates/${enc(c.fingerprint)}`, { status });
      ctx.rerender();
    } catch (e) { ctx.main.prepend(errorBox(e, `Setting the certificate ${status}`)); }
  };
  const prefix = c.fingerprint.slice(0, 8);
  return h('span', {},
    c.status === 'active' ? button('Deactivate', set('inactive'), { testid: `cert-${prefix}-deactivate` })
      : button('Activate', set('active'), { testid: `cert-${prefix}-activate` }),
    ' ', button('Revoke', set('revoked'), { kind: 'danger', testid: `cert-${prefix}-revoke` }));
}

const POLICY_TEMPLATE = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'client/${thing}' },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/sensors/${thing}/*' },
  ],
};

async function renderPolicies(ctx) {
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Policies'),
    button('Create policy', () => formDialog({
      title: 'Create policy',
      testid: 'create-policy',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'document', label: 'Document (AWS IoT policy JSON; ${thing} is the connecting thing)', type: 'textarea', rows: 12, value: fmt.json(POLICY_TEMPLATE) },
      ],
      submit: async (v) => {
        await post('/v1/policies', { name: v.name.trim(), document: parseJsonField(v.document, 'Document') });
        ctx.navigate(`#/policies/${enc(v.name.trim())}`);
      },
    }), { kind: 'primary', testid: 'create-policy' })), list);
  const r = await get('/v1/policies');
  if (!ctx.alive()) return;
  list.append(table([
    { title: 'Name', value: (p) => link(`#/policies/${enc(p.name)}`, p.name) },
    { title: 'Statements', class: 'num', value: (p) => fmt.number((p.document?.Statement || []).length) },
    { title: 'Things', value: (p) => (p.things || []).join(', ') || '—' },
    { title: 'Created', value: (p) => fmt.time(p.created_at) },
  ], r.policies, { testid: 'policies' }));
}

async function renderPolicy(ctx) {
  const name = ctx.params.name;
  const p = await get(`/v1/policies/${enc(name)}`);
  if (!ctx.alive()) return;
  const attach = (verb) => () => formDialog({
    title: `${verb === 'attach' ? 'Attach' : 'Detach'} ${name}`,
    submitLabel: verb === 'attach' ? 'Attach' : 'Detach',
    fields: [{ name: 'thing', label: 'Thing', required: true }],
    submit: async (v) => { await post(`/v1/policies/${enc(name)}/${verb}`, { thing: v.thing.trim() }); ctx.rerender(); },
  });
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/policies', 'Policies'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name),
      button('Edit', () => formDialog({
        title: `Edit ${name}`, submitLabel: 'Save',
        fields: [{ name: 'document', label: 'Document', type: 'textarea', rows: 14, value: fmt.json(p.document) }],
        submit: async (v) => { await put(`/v1/policies/${enc(name)}`, { document: parseJsonField(v.document, 'Document') }); ctx.rerender(); },
      }), { testid: 'edit-policy' }),
      button('Attach to thing', attach('attach'), { testid: 'attach' }),
      button('Detach', attach('detach')),
      button('Delete', async () => {
        if (!confirm(`Delete policy ${name}?`)) return;
        try { await del(`/v1/policies/${enc(name)}`); ctx.navigate('#/policies'); } catch (e) { ctx.main.prepend(errorBox(e, 'Delete')); }
      }, { kind: 'danger' })),
    section('Attached to', h('p', {}, (p.things || []).length ? (p.things || []).map((t, i) => [i ? ', ' : '', link(`#/things/${enc(t)}`, t)]) : 'no thing')),
    section('Document', pre(fmt.json(p.document), { 'data-testid': 'policy-document' })));
}

export default [
  { route: '/things', title: 'Things', nav: 'devices', render: renderThings },
  { route: '/things/:name', title: 'Thing', render: renderThing },
  { route: '/policies', title: 'Policies', nav: 'devices', render: renderPolicies },
  { route: '/policies/:name', title: 'Policy', render: renderPolicy },
];
