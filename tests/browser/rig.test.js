// The rig on its own, with no dependence on the page: the TOTP generator against RFC 6238 and
// oathtool, the broker process, the trusted dev certificate in Chromium, and a virtual passkey
// that registers and signs in through the broker's WebAuthn API from a real browser document.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { apiCall, apiLogin } from './lib/api.js';
import { startBroker, passwordOf } from './lib/broker.js';
import { Browser } from './lib/browser.js';
import { base32Decode, totpAtStep } from './lib/totp.js';

let broker;
let browser;

before(async () => {
  broker = await startBroker();
  browser = await Browser.launch(broker);
});

after(async () => {
  await browser?.close();
  await broker?.stop();
});

test('TOTP codes match RFC 6238 and oathtool', () => {
  // RFC 6238 appendix B, SHA-1 seed, T = 59 s (step 1): 94287082, whose last 6 digits we use.
  assert.equal(totpAtStep(Buffer.from('12345678901234567890'), 1, 8), '94287082');
  assert.equal(totpAtStep(Buffer.from('12345678901234567890'), 1), '287082');
  assert.deepEqual(base32Decode('GEZDGNBVGY3TQOJQ'), Buffer.from('1234567890'));
  const secret = crypto.randomBytes(20);
  const step = 57_000_000 + crypto.randomInt(1000);
  const expected = execFileSync(
    'oathtool',
    ['--totp', '--now', new Date(step * 30_000).toISOString().replace('.000Z', 'Z'), secret.toString('hex')],
    { encoding: 'utf8' },
  ).trim();
  assert.equal(totpAtStep(secret, step), expected);
});

test('the broker accepts a generated TOTP code once', async () => {
  const code = await broker.totp.code('dave');
  const body = { user: 'dave', password: passwordOf('dave'), mfa: { totp: code } };
  const first = await apiCall(broker, 'POST', '/v1/login', { body });
  assert.equal(first.status, 200, first.text);
  assert.match(first.json.token, /^\S{20,}$/);
  const replay = await apiCall(broker, 'POST', '/v1/login', { body });
  assert.equal(replay.status, 401);
  assert.equal(replay.json.code, 'unauthenticated');
});

test('Chromium trusts the dev certificate and a virtual passkey works with the broker', async (t) => {
  t.diagnostic(`Chromium ${browser.version()}`);
  const token = await apiLogin(broker, 'carol');
  const carol = await browser.user('carol', { passkey: true });
  // Any document of the origin will do: the ceremony runs on https://localhost:<port>.
  const response = await carol.page.goto(`${broker.origin}/healthz`);
  assert.equal(response.status(), 200);
  assert.equal(await carol.page.evaluate(() => window.isSecureContext), true);

  // Adding a passkey needs a fresh factor in the finish call: a TOTP code of an unused step.
  const code = await broker.totp.code('carol');
  const outcome = await carol.page.evaluate(
    async ({ token, user, password, code }) => {
      const fromB64url = (text) =>
        Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const toB64url = (buffer) =>
        btoa(String.fromCharCode(...new Uint8Array(buffer)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const post = async (target, body, bearer) => {
        const answer = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
          body: JSON.stringify(body ?? {}),
        });
        return { status: answer.status, json: await answer.json() };
      };
      const options = (await post('/v1/webauthn/register/begin', undefined, token)).json;
      const created = await navigator.credentials.create({
        publicKey: {
          ...options,
          challenge: fromB64url(options.challenge),
          user: { ...options.user, id: fromB64url(options.user.id) },
          excludeCredentials: options.excludeCredentials.map((c) => ({ ...c, id: fromB64url(c.id) })),
        },
      });
      const finish = await post(
        '/v1/webauthn/register/finish',
        {
          client_data_json: toB64url(created.response.clientDataJSON),
          attestation_object: toB64url(created.response.attestationObject),
          mfa: { totp: code },
        },
        token,
      );
      const request = (await post('/v1/webauthn/login/begin', { user })).json;
      const asserted = await navigator.credentials.get({
        publicKey: { ...request, challenge: fromB64url(request.challenge), allowCredentials: [] },
      });
      const login = await post('/v1/webauthn/login/finish', {
        user,
        password,
        webauthn: {
          credential_id: toB64url(asserted.rawId),
          client_data_json: toB64url(asserted.response.clientDataJSON),
          authenticator_data: toB64url(asserted.response.authenticatorData),
          signature: toB64url(asserted.response.signature),
          user_handle: toB64url(asserted.response.userHandle),
        },
      });
      return { finish, login, credentialId: toB64url(created.rawId) };
    },
    { token, user: 'carol', password: passwordOf('carol'), code },
  );
  assert.equal(outcome.finish.status, 201, JSON.stringify(outcome.finish.json));
  assert.equal(outcome.finish.json.credential_id, outcome.credentialId);
  assert.equal(outcome.login.status, 200, JSON.stringify(outcome.login.json));
  assert.equal(outcome.login.json.user, 'carol');
  const passkeys = await carol.passkeys();
  assert.equal(passkeys.length, 1);
  assert.equal(passkeys[0].rpId, 'localhost');
  assert.equal(passkeys[0].isResidentCredential, true);
  assert.ok(passkeys[0].signCount >= 1, 'the assertion counted');
  assert.deepEqual(carol.problems(), []);
});
