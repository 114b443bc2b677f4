// The page's security headers and its cookie session: a state-changing call made with the cookie
// but without the CSRF token is refused, the same call with the token works; the page, its assets
// and API answers carry CSP, nosniff, no-referrer and HSTS, and API answers are no-store.
import assert from 'node:assert/strict';
import { api, apiCall, apiLogin, createRequest } from './lib/api.js';
import { expectText, openPage, signInWithTotp } from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig();

function assertSecurityHeaders(headers, what) {
  const csp = headers['content-security-policy'] ?? '';
  assert.match(csp, /(^|;)\s*default-src 'self'\s*(;|$)/, `${what}: CSP default-src 'self' in ${JSON.stringify(csp)}`);
  assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `${what}: CSP frame-ancestors 'none' in ${JSON.stringify(csp)}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${what}: CSP allows nothing unsafe`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  const hsts = headers['strict-transport-security'] ?? '';
  const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0);
  assert.ok(maxAge >= 86400, `${what}: HSTS with a max-age of at least a day, saw ${JSON.stringify(hsts)}`);
}

scenario(rig, 'a cookie call without the CSRF token is refused; with it, it works', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const request = await createRequest(broker, aliceToken, { reason: 'csrf check', ticket: 'OPS-3' });
  const alice = await user('alice');
  await openPage(alice);
  const loginAnswer = alice.page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/login');
  await signInWithTotp(alice);
  const loginBody = await (await loginAnswer).json();
  const csrf = loginBody.csrf_token;
  assert.match(csrf, /^\S{20,}$/, 'the login answer carries a CSRF token');
  // The session lives in the HttpOnly cookie only: the page's login answer has no bearer token.
  assert.equal('token' in loginBody, false, `no token in ${Object.keys(loginBody)}`);

  // The session cookie is __Host-, Secure, HttpOnly, SameSite=Strict and invisible to scripts.
  const cookies = await alice.context.cookies();
  const session = cookies.find((c) => c.name === '__Host-jit_session');
  assert.ok(session, `session cookie among ${cookies.map((c) => c.name)}`);
  assert.deepEqual(
    { secure: session.secure, httpOnly: session.httpOnly, sameSite: session.sameSite, path: session.path },
    { secure: true, httpOnly: true, sameSite: 'Strict', path: '/' },
  );
  assert.equal(await alice.page.evaluate(() => document.cookie.includes('jit_session')), false);
  // The page keeps the token out of every URL (checked for all requests by the scenario wrapper)
  // and out of persistent storage.
  assert.equal(await alice.page.evaluate((t) => JSON.stringify(localStorage).includes(t), csrf), false);

  const cancel = (headers) =>
    alice.page.evaluate(
      async ({ id, headers }) => {
        const answer = await fetch(`/v1/requests/${id}/cancel`, { method: 'POST', credentials: 'same-origin', headers });
        return { status: answer.status, type: answer.headers.get('content-type'), body: await answer.text() };
      },
      { id: request.id, headers },
    );
  const state = async () => (await api(broker, 'GET', `/v1/requests/${request.id}`, { token: aliceToken })).state;

  const without = await cancel({});
  assert.equal(without.status, 403, `cookie call without X-CSRF-Token: ${without.body}`);
  assert.match(without.type, /^application\/json/);
  assert.equal(JSON.parse(without.body).code, 'permission_denied');
  const wrong = await cancel({ 'X-CSRF-Token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` });
  assert.equal(wrong.status, 403, `cookie call with a wrong X-CSRF-Token: ${wrong.body}`);
  assert.equal(JSON.parse(wrong.body).code, 'permission_denied');
  assert.equal(await state(), 'pending', 'the refused calls changed nothing');

  const withToken = await cancel({ 'X-CSRF-Token': csrf });
  assert.equal(withToken.status, 200, withToken.body);
  assert.equal(JSON.parse(withToken.body).state, 'cancelled');
  assert.equal(await state(), 'cancelled');
});

scenario(rig, 'page, assets and API answers carry the security headers', async ({ broker, user }) => {
  const carol = await user('carol');
  const assets = [];
  carol.page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/web/')) assets.push(r);
  });
  const page = await openPage(carol);
  assertSecurityHeaders(page.headers(), 'GET /');
  assert.match(page.headers()['content-type'] ?? '', /^text\/html/);

  // No inline script, inline style or inline event handler in the served HTML: everything comes
  // from /web/ (and the scenario wrapper fails on any CSP violation at run time).
  const tags = (await page.text()).match(/<[a-z][^>]*>/gi) ?? [];
  const inline = {
    scripts: tags.filter((tag) => /^<script\b/i.test(tag) && !/\ssrc=/i.test(tag)),
    styles: tags.filter((tag) => /^<style\b/i.test(tag) || /\sstyle\s*=/i.test(tag)),
    handlers: tags.filter((tag) => /\son[a-z]+\s*=/i.test(tag)),
    external: tags.filter((tag) => /\s(src|href)\s*=\s*["']?(https?:)?\/\//i.test(tag)),
  };
  assert.deepEqual(inline, { scripts: [], styles: [], handlers: [], external: [] });

  assert.ok(assets.some((r) => /\.js$/.test(new URL(r.url()).pathname)), 'the page loads its script from /web/');
  for (const asset of assets) {
    const path = new URL(asset.url()).pathname;
    assert.equal(asset.status(), 200, path);
    assertSecurityHeaders(asset.headers(), `GET ${path}`);
    const type = asset.headers()['content-type'] ?? '';
    if (path.endsWith('.js')) assert.match(type, /^(text|application)\/javascript/, `${path}: ${type}`);
    if (path.endsWith('.css')) assert.match(type, /^text\/css/, `${path}: ${type}`);
  }

  // API answers seen by the browser (cookie session) and by a bearer client, success and error.
  await signInWithTotp(carol);
  const fromPage = await carol.page.evaluate(async () => {
    const answer = await fetch('/v1/session', { credentials: 'same-origin' });
    return { status: answer.status, headers: Object.fromEntries(answer.headers.entries()), body: await answer.json() };
  });
  assert.equal(fromPage.status, 200);
  assert.equal(fromPage.body.user, 'carol');
  await expectText(carol.page, '#whoami', 'carol');
  const token = await apiLogin(broker, 'dave');
  const answers = {
    'GET /v1/session (page)': fromPage.headers,
    'GET /v1/requests': (await apiCall(broker, 'GET', '/v1/requests', { token })).headers,
    'GET /v1/requests/req-missing': (await apiCall(broker, 'GET', '/v1/requests/req-missing', { token })).headers,
    'POST /v1/login (refused)': (
      await apiCall(broker, 'POST', '/v1/login', { body: { user: 'dave', password: 'wrong', mfa: { totp: '000000' } } })
    ).headers,
  };
  for (const [what, headers] of Object.entries(answers)) {
    assertSecurityHeaders(headers, what);
    assert.match(headers['cache-control'] ?? '', /\bno-store\b/, `${what}: Cache-Control no-store`);
  }
});
