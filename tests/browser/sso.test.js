// Single sign-on in a real browser (docs/sso.md): carol, known only to the organisation's OpenID
// provider (tests/sso/test_idp.js, started by run.sh), signs in with "Sign in with Corp IdP",
// registers a first passkey on the strength of that fresh MFA sign-in, and approves alice's
// request with it. Then the provider drops her from idp-sre-leads: at her next sign-in the page
// offers her no approving, and the broker refuses her approval.
import assert from 'node:assert/strict';
import { apiCall, apiLogin, createRequest } from './lib/api.js';
import { idp, idpControl, requireIdp, ssoSection } from './lib/idp.js';
import {
  decide,
  expectHidden,
  expectText,
  expectVisible,
  openPage,
  openRequest,
  signOut,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

requireIdp();

const ssoPolicy = `
groups: { developers: [alice], sre-leads: { source: idp } }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 1
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread] }
`;

const rig = useRig({ policy: ssoPolicy, users: ['alice'], sso: ssoSection });

// The SSO link, then the provider's login page (test_idp.js: the account name, submitted; amr
// stays "pwd,otp") unless the provider still has her signed in (`atProvider: false`): then it
// sends her straight back, with the groups it has for her now.
async function signInWithCorp(carol, { atProvider }) {
  await openPage(carol);
  await expectVisible(carol.page, '#sso-providers a.sso-link', 'the SSO link');
  await expectText(carol.page, '#sso-providers a.sso-link', 'Sign in with Corp IdP');
  await carol.page.click('#sso-providers a.sso-link');
  if (atProvider) {
    await carol.page.waitForURL((url) => url.href.startsWith(`${idp.issuer}/interaction/`));
    await carol.page.fill('input[name=login]', 'carol');
    await carol.page.click('button');
  }
  await expectText(carol.page, '#whoami', 'carol');
  await expectHidden(carol.page, '#login-form', 'carol signed in through the provider');
}

// The CSRF token each SSO sign-in hands the page in a cookie (never in a URL).
function keepSsoCsrfTokens(carol) {
  carol.page.on('response', async (response) => {
    if (!new URL(response.url()).pathname.endsWith('/v1/auth/sso/corp/callback')) return;
    for (const { name, value } of await response.headersArray()) {
      const found = name.toLowerCase() === 'set-cookie' && /^__Host-jit_sso_csrf=([^;]+)/.exec(value);
      if (found) {
        carol.csrfToken = found[1];
        carol.secrets.push(found[1]);
      }
      const session = name.toLowerCase() === 'set-cookie' && /^__Host-jit_session=([^;]+)/.exec(value);
      if (session) carol.secrets.push(session[1]);
    }
  });
}

scenario(rig, 'carol signs in through the provider, approves with a passkey, loses the group', async ({ broker, user }) => {
  await idpControl({ users: { carol: { groups: ['idp-sre-leads'] } } });
  const aliceToken = await apiLogin(broker, 'alice');
  const first = await createRequest(broker, aliceToken, { reason: 'rotate the replica', ticket: 'OPS-16' });

  const carol = await user('carol', { passkey: true });
  keepSsoCsrfTokens(carol);
  await signInWithCorp(carol, { atProvider: true });
  await expectText(carol.page, '#passkey-status', /none yet/i);
  // Her first passkey: no factor asked, the provider's fresh MFA sign-in vouches for it.
  await carol.page.click('#register-passkey');
  await expectText(carol.page, '#passkey-status', /\bregistered\b/i);
  assert.equal((await carol.passkeys()).length, 1, 'the virtual authenticator holds her passkey');

  await openRequest(carol, first.id);
  await decide(carol, 'approve', { comment: 'looked at the replica lag', factor: 'passkey' });
  await expectText(carol.page, '#detail-state', 'active');
  const approved = await apiCall(broker, 'GET', `/v1/requests/${first.id}`, { token: aliceToken });
  assert.equal(approved.json.reviews[0].reviewer, 'carol');
  assert.equal(approved.json.reviews[0].mfa.factor, 'webauthn');

  // The provider takes her out of idp-sre-leads; it counts from her next sign-in.
  const second = await createRequest(broker, aliceToken, { reason: 'rotate again', ticket: 'OPS-17' });
  await idpControl({ users: { carol: { groups: ['idp-developers-readonly'] } } });
  await signOut(carol);
  await signInWithCorp(carol, { atProvider: false });
  const visibleTabs = await carol.page.$$eval('[role=tab]', (tabs) => tabs.filter((t) => !t.hidden).map((t) => t.id));
  assert.deepEqual(visibleTabs, ['tab-my-requests', 'tab-search', 'tab-passkeys'], 'no queue to approve from');
  // And the broker refuses an approval from her session, whatever the page shows.
  const refused = await carol.page.evaluate(
    async ({ id, csrf }) => {
      const response = await fetch(`/v1/requests/${id}/approve`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: '{}',
      });
      return { status: response.status, body: await response.json() };
    },
    { id: second.id, csrf: carol.csrfToken },
  );
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  const pending = await apiCall(broker, 'GET', `/v1/requests/${second.id}`, { token: aliceToken });
  assert.equal(pending.json.state, 'pending');
  assert.equal(pending.json.reviews.length, 0);
});
