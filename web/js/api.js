// The HTTP API as the console calls it: every request carries the admin token, which
// lives only in this tab's sessionStorage (never in a URL, never in localStorage).
const TOKEN_KEY = 'tributary.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};

export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }
export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value); }
export function clearToken() { sessionStorage.removeItem(TOKEN_KEY); }

// Calls the API; resolves with the parsed JSON answer (null for an empty one), or with
// the Response itself when `raw` is set. A non-2xx answer rejects with an ApiError that
// carries the server's code and message; a 401 also signs the console out.
export async function api(method, path, body, { raw = false, headers = {} } = {}) {
  const init = { method, cache: 'no-store', headers: { Authorization: `Bearer ${token()}`, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', `the server did not answer (${e.message})`);
  }
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText || 'request failed';
    try {
      const j = await res.json();
      // The API's {"error": {code, message}}; a model's own answer may be {"error": "text"}.
      if (j && typeof j.error === 'string') message = j.error;
      else if (j && j.error) ({ code = code, message = message } = j.error);
    } catch { /* not JSON */ }
    if (res.status === 401) onUnauthorized(message);
    throw new ApiError(res.status, code, message);
  }
  if (raw) return res;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, options) => api('GET', path, undefined, options);
export const post = (path, body, options) => api('POST', path, body === undefined ? {} : body, options);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

// One path segment or query value.
export const enc = encodeURIComponent;
