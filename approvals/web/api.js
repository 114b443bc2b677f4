// The broker's JSON API as the page uses it. The session itself is the HttpOnly cookie the broker
// sets at sign-in; the CSRF token that must accompany every non-GET call is kept in sessionStorage
// (this tab only, never in a URL) and sent as the X-CSRF-Token header.

const CSRF_KEY = 'jit.csrf';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// TOTP codes the broker accepted from this tab in the last 90 s (it accepts the steps around now,
// each once), in memory only: a code typed again within its 30 s step is caught before the call,
// which would be refused (409 totp_code_used) and counted as a failed factor. Sign-in codes count:
// approving right after signing in is when it happens.
const REUSE_WINDOW_MS = 90_000;
const acceptedCodes = new Map();  // code -> Date.now() when accepted

function rememberTotp(code) {
  const now = Date.now();
  for (const [old, at] of acceptedCodes) if (now - at > REUSE_WINDOW_MS) acceptedCodes.delete(old);
  acceptedCodes.set(code, now);
}

export function totpJustUsed(code) {
  const at = acceptedCodes.get(code);
  return at !== undefined && Date.now() - at <= REUSE_WINDOW_MS;
}

export function forgetTotps() {
  acceptedCodes.clear();
}

export function csrfToken() {
  return sessionStorage.getItem(CSRF_KEY) || '';
}

export function setCsrfToken(token) {
  if (token) {
    sessionStorage.setItem(CSRF_KEY, token);
  } else {
    sessionStorage.removeItem(CSRF_KEY);
  }
}

// method: 'GET', 'POST' or 'DELETE'; body: an object (sent as JSON) or undefined (no body).
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'the broker cannot be reached');
  }
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) {
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
  }
  if (!response.ok) {
    const code = data && typeof data.code === 'string' ? data.code : 'http_' + response.status;
    const message = data && typeof data.error === 'string' ? data.error
                                                           : 'the broker answered ' + response.status;
    throw new ApiError(response.status, code, message);
  }
  if (body && body.mfa && typeof body.mfa.totp === 'string') rememberTotp(body.mfa.totp);
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const del = (path, body) => call('DELETE', path, body);

// A listing the broker answers in pages ({[key]: [...], next}): follows `next` for at most
// `maxPages` pages and answers {[key]: every item}, as a single page would.
export async function getAll(path, key, maxPages = 20) {
  const items = [];
  let target = path;
  for (let page = 0; page < maxPages; page++) {
    const data = await get(target);
    items.push(...data[key]);
    if (typeof data.next !== 'string') break;
    target = path + (path.includes('?') ? '&' : '?') + 'after=' + encodeURIComponent(data.next);
  }
  return { [key]: items };
}

// A path segment from an id the broker gave us ("req-...", "grt-...").
export function seg(id) {
  return encodeURIComponent(String(id));
}
