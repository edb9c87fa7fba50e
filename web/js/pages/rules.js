// Rules: the SQL that picks messages off the broker and the actions that take them
// (a delivery stream, a republish, an object, an HTTP request), with how many messages
// each matched and how many failed. Rules are created and replaced from AWS IoT's
// topicRulePayload JSON, and tried on a message (what they would do, without doing it).
import { del, enc, get, post, put } from '../api.js';
import { badge, button, errorBox, fmt, formDialog, h, kv, link, parseJsonField, pre, section, table } from '../dom.js';

const TEMPLATE = {
  topicRulePayload: {
    sql: "SELECT *, topic(2) AS device FROM 'sensors/+/pm'",
    ruleDisabled: false,
    awsIotSqlVersion: '2016-03-23',
    actions: [{ firehose: { deliveryStreamName: 'pm', separator: '\n' } }],
  },
};

// "firehose → pm", "republish → alerts/${topic(2)}", "s3 → raw/${topic()}.json"
function describeAction(a) {
  if (a.firehose) return `firehose → ${a.firehose.deliveryStreamName}`;
  if (a.republish) return `republish → ${a.republish.topic}`;
  if (a.s3) return `s3 → ${a.s3.bucketName}/${a.s3.key}`;
  if (a.http) return `http → ${a.http.url}`;
  return Object.keys(a).join(', ');
}

function actionLinks(actions) {
  return (actions || []).map((a, i) => [i ? ', ' : '',
    a.firehose ? link(`#/streams/${enc(a.firehose.deliveryStreamName)}`, describeAction(a)) : describeAction(a)]);
}

function payloadOf(rule) {
  const p = { sql: rule.sql, ruleDisabled: rule.ruleDisabled, awsIotSqlVersion: rule.awsIotSqlVersion, actions: rule.actions };
  if (rule.errorAction) p.errorAction = rule.errorAction;
  if (rule.description) p.description = rule.description;
  return { topicRulePayload: p };
}

async function renderRules(ctx) {
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Rules'),
    button('Create rule', () => formDialog({
      title: 'Create rule',
      testid: 'create-rule',
      fields: [
        { name: 'name', label: 'Name', required: true, placeholder: 'pm_to_lake', help: 'Letters, digits and underscores.' },
        { name: 'payload', label: 'topicRulePayload (JSON)', type: 'textarea', rows: 12, value: fmt.json(TEMPLATE) },
      ],
      submit: async (v) => {
        await post(`/v1/rules/${enc(v.name.trim())}`, parseJsonField(v.payload, 'topicRulePayload'));
        ctx.navigate(`#/rules/${enc(v.name.trim())}`);
      },
    }), { kind: 'primary', testid: 'create-rule' })), list);
  const show = async () => {
    const r = await get('/v1/rules');
    if (!ctx.alive()) return;
    list.replaceChildren(table([
      { title: 'Name', value: (x) => link(`#/rules/${enc(x.ruleName)}`, x.ruleName) },
      { title: 'State', value: (x) => badge(x.ruleDisabled ? 'disabled' : 'enabled') },
      { title: 'SQL', value: (x) => h('code', {}, x.sql) },
      { title: 'Actions', value: (x) => actionLinks(x.actions) },
      { title: 'Matched', class: 'num', value: (x) => fmt.number(x.metrics?.matched) },
      { title: 'Errors', class: 'num', value: (x) => fmt.number(x.metrics?.errors) },
    ], r.rules, { testid: 'rules', rowKey: (x) => x.ruleName, empty: 'No rules yet: messages reach subscribers only.' }));
  };
  await show();
  ctx.every(2000, () => show().catch(() => {}));
}

// A topic the rule's FROM filter matches: each wildcard level becomes "test".
function sampleTopic(filter) {
  return filter.split('/').map((level) => (level === '+' || level === '#' ? 'test' : level)).join('/');
}

async function renderRule(ctx) {
  const name = ctx.params.name;
  const stats = h('div');
  const trial = h('div');
  const r = await get(`/v1/rules/${enc(name)}`);
  if (!ctx.alive()) return;
  const act = (fn, what) => async () => {
    try { await fn(); ctx.rerender(); } catch (e) { ctx.main.prepend(errorBox(e, what)); }
  };
  const showStats = (rule) => stats.replaceChildren(kv([
    ['Matched', fmt.number(rule.metrics?.matched)],
    ['Errors (SQL or payload)', fmt.number(rule.metrics?.errors)],
    ['Action failures', fmt.number(rule.metrics?.actionFailures)],
  ], { testid: 'rule-metrics' }));
  showStats(r);
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/rules', 'Rules'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), badge(r.ruleDisabled ? 'disabled' : 'enabled'),
      r.ruleDisabled
        ? button('Enable', act(() => post(`/v1/rules/${enc(name)}/enable`), 'Enable'), { testid: 'enable' })
        : button('Disable', act(() => post(`/v1/rules/${enc(name)}/disable`), 'Disable'), { testid: 'disable' }),
      button('Edit', () => formDialog({
        title: `Replace ${name}`, submitLabel: 'Replace', testid: 'edit-rule',
        fields: [{ name: 'payload', label: 'topicRulePayload (JSON)', type: 'textarea', rows: 14, value: fmt.json(payloadOf(r)) }],
        submit: async (v) => { await put(`/v1/rules/${enc(name)}`, parseJsonField(v.payload, 'topicRulePayload')); ctx.rerender(); },
      }), { testid: 'edit-rule' }),
      button('Try', () => formDialog({
        title: `Try ${name} on a message`, submitLabel: 'Try', testid: 'try-rule',
        fields: [
          { name: 'topic', label: 'Topic', required: true, value: sampleTopic(r.sql.match(/FROM\s+'([^']*)'/i)?.[1] || 'test') },
          { name: 'payload', label: 'Message', type: 'textarea', rows: 6, value: '{}' },
          { name: 'clientId', label: 'Client id', value: 'console' },
        ],
        submit: async (v) => {
          const t = await post(`/v1/rules/${enc(name)}/test`, { topic: v.topic.trim(), payload: v.payload, clientId: v.clientId });
          trial.replaceChildren(section('Tried on a message (nothing was sent)', pre(fmt.json(t), { 'data-testid': 'rule-trial' })));
        },
      }), { testid: 'try-rule' }),
      button('Delete', async () => {
        if (!confirm(`Delete rule ${name}?`)) return;
        try { await del(`/v1/rules/${enc(name)}`); ctx.navigate('#/rules'); } catch (e) { ctx.main.prepend(errorBox(e, 'Delete')); }
      }, { kind: 'danger', testid: 'delete-rule' })),
    ...(r.error ? [h('div', { class: 'error', 'data-testid': 'rule-error' }, `Not run: ${r.error}`)] : []),
    section('Statement', pre(r.sql, { 'data-testid': 'rule-sql' })),
    h('div', { class: 'grid2' },
      section('Counters', stats),
      section('Actions', kv([
        ...r.actions.map((a, i) => [`Action ${i + 1}`, h('span', {}, actionLinks([a]))]),
        ['Error action', r.errorAction ? describeAction(r.errorAction) : 'none (failures are counted and logged)'],
        ['SQL version', r.awsIotSqlVersion],
        ['Created', fmt.time(r.createdAt)],
        ['Updated', fmt.time(r.updatedAt)],
      ]))), trial);
  ctx.every(2000, async () => {
    try { const again = await get(`/v1/rules/${enc(name)}`); if (ctx.alive()) showStats(again); } catch { /* shown on the next render */ }
  });
}

export default [
  { route: '/rules', title: 'Rules', nav: 'ingest', render: renderRules },
  { route: '/rules/:name', title: 'Rule', render: renderRule },
];
