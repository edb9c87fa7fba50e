// The console's shell: sign-in, navigation, and the hash router (#/things/sensor-1)
// that renders one page at a time. Pages are listed in pages/index.js; each is
// {route, title, nav, render(ctx)}.
import { ApiError, clearToken, get, setToken, setUnauthorizedHandler, token } from './api.js';
import { button, clear, errorBox, h } from './dom.js';
import { NAV_GROUPS, PAGES } from './pages/index.js';

const app = document.getElementById('app');
let current = { id: 0, timers: [] };

function compile(route) {
  const names = [];
  const re = route.replace(/:([a-z]+)/g, (_, n) => { names.push(n); return '([^/]+)'; });
  return { re: new RegExp(`^${re}$`), names };
}
const ROUTES = PAGES.map((p) => ({ ...p, ...compile(p.route) }));

function match(path) {
  for (const r of ROUTES) {
    const m = r.re.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { page: r, params };
    }
  }
  return null;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(qs)) };
}

export function navigate(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

function stopTimers() {
  for (const t of current.timers) clearInterval(t);
}

function signInView(message) {
  stopTimers();
  current = { id: current.id + 1, timers: [] };
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true, 'aria-label': 'Admin token' });
  const error = message ? errorBox(message) : null;
  const form = h('form', { class: 'signin card', 'data-testid': 'signin' },
    h('h1', {}, 'Tributary'),
    h('p', {}, 'Sign in with the server\'s admin token. It is in ', h('code', {}, '<data-dir>/admin.token'),
      ' (by default ', h('code', {}, 'tributary-data/admin.token'), ').'),
    h('label', { for: 'token' }, 'Admin token'), input, error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    try {
      await get('/v1/broker');
      render();
    } catch (e) {
      clearToken();
      signInView(e instanceof ApiError && e.status === 401 ? 'The server refused this token.' : e.message);
    }
  });
  clear(app).append(h('main', { class: 'signin-page' }, form));
  input.focus();
}

function shell() {
  const nav = h('nav', { 'aria-label': 'Sections' },
    NAV_GROUPS.map((group) => h('div', { class: 'group' },
      group.title ? h('h3', {}, group.title) : null,
      PAGES.filter((p) => p.nav === group.id).map((p) =>
        h('a', { href: `#${p.route}`, 'data-route': p.route }, p.title)))));
  const header = h('header', {},
    h('a', { href: '#/', class: 'brand' }, 'Tributary'),
    h('span', { class: 'server', id: 'server-info' }),
    button('Sign out', () => { clearToken(); signInView(); }, { testid: 'signout' }));
  const main = h('main', { id: 'page', tabindex: '-1' });
  clear(app).append(header, h('div', { class: 'body' }, nav, main));
  get('/healthz').then((r) => {
    const el = document.getElementById('server-info');
    if (el) el.textContent = `${location.host} · up ${Math.round(r.uptime_s / 60)} min`;
  }).catch(() => {});
  return main;
}

async function render() {
  if (!token()) return signInView();
  stopTimers();
  const id = current.id + 1;
  current = { id, timers: [] };
  const main = document.getElementById('page') || shell();
  const { path, query } = parseHash();
  const found = match(path);
  for (const a of document.querySelectorAll('nav a')) {
    const r = a.getAttribute('data-route');
    a.classList.toggle('active', r === '/' ? path === '/' : path === r || path.startsWith(`${r}/`));
  }
  clear(main);
  if (!found) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, `No page at ${path}.`));
    return;
  }
  document.title = `${found.page.title} · Tributary`;
  const ctx = {
    main,
    params: found.params,
    query,
    navigate,
    alive: () => current.id === id,
    // Calls fn every ms while this page is shown (not at once).
    every(ms, fn) { if (current.id === id) current.timers.push(setInterval(() => { if (current.id === id) fn(); }, ms)); },
    rerender: () => { if (current.id === id) render(); },
  };
  try {
    await found.page.render(ctx);
  } catch (e) {
    if (current.id === id) main.append(errorBox(e, `Could not show ${found.page.title}`));
  }
}

setUnauthorizedHandler(() => {
  clearToken();
  signInView('The server refused the token (it may have changed). Sign in again.');
});
window.addEventListener('hashchange', render);
// A link to the page already shown (the crumb back to a list after a creation showed
// something else in its place) changes no hash: render again.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a[href^="#"]');
  if (a && a.getAttribute('href') === location.hash && !ev.defaultPrevented) render();
});
render();
