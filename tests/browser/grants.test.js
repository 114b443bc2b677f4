// The approver's other two tabs: a grant carol approved shows under "approved grants" and she
// revokes it with her passkey (a fresh presence assertion); a break-glass grant erin took shows
// under "review due" and carol files its post-incident review with a TOTP code. Carol then removes
// her passkey in the passkeys tab.
import assert from 'node:assert/strict';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  answerMfa,
  decide,
  expectHidden,
  expectText,
  expectVisible,
  openPage,
  openRequest,
  registerPasskey,
  showTab,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig({
  users: ['alice', 'carol', 'dave', 'erin'],
  policy: `
groups: { developers: [alice], approvers: [carol, dave], oncall: [erin] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [approvers]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread], extensions: [permit-pty] }
    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }
`,
});

scenario(rig, 'carol revokes a grant she approved, with her passkey', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const request = await createRequest(broker, aliceToken, { reason: 'hotfix check', ticket: 'OPS-11' });
  const daveToken = await apiLogin(broker, 'dave');
  await api(broker, 'POST', `/v1/requests/${request.id}/approve`, {
    token: daveToken,
    body: { comment: 'ok', mfa: { totp: await broker.totp.code('dave') } },
  });

  const carol = await user('carol', { passkey: true });
  await openPage(carol);
  await signInWithTotp(carol);
  await registerPasskey(carol);
  await openRequest(carol, request.id);
  await decide(carol, 'approve', { comment: 'fine', factor: 'passkey' });
  await expectText(carol.page, '#detail-state', 'active');
  const grant = (await api(broker, 'GET', `/v1/requests/${request.id}`, { token: aliceToken })).grant;

  await showTab(carol, 'approved-grants');
  const row = `#approved-grants-list .grant-row[data-grant-id="${grant.id}"]`;
  await expectVisible(carol.page, row, 'the grant carol approved');
  await expectText(carol.page, `${row} .user`, 'alice');
  await expectText(carol.page, `${row} .role`, 'prod-db-read');
  await expectText(carol.page, `${row} .state`, 'active');
  await expectText(carol.page, `${row} .not-after`, /\S/);
  const signCount = (await carol.passkeys())[0].signCount;
  await carol.page.click(`${row} .revoke`);
  await answerMfa(carol, 'passkey', 'revoke');
  await expectText(carol.page, '#flash', /revoked/i);
  assert.ok((await carol.passkeys())[0].signCount > signCount, 'the revoke used the passkey');
  const revoked = await api(broker, 'GET', `/v1/grants/${grant.id}`, { token: aliceToken });
  assert.equal(revoked.state, 'revoked');
  // The list shows active grants only, so the revoked one leaves it.
  await expectHidden(carol.page, row, 'the revoked grant');

  // Her passkeys tab lists the one she registered; removing it takes a fresh factor (the passkey
  // itself here) and leaves none.
  await showTab(carol, 'passkeys');
  const [passkey] = await carol.passkeys();
  const passkeyRow = `#passkeys-list tr[data-credential-id="${passkey.credentialId.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}"]`;
  await expectVisible(carol.page, passkeyRow, 'carol\'s passkey in her list');
  await expectText(carol.page, `${passkeyRow} .used`, /ago|in /);
  await carol.page.click(`${passkeyRow} .remove-passkey`);
  await answerMfa(carol, 'passkey', 'removing the passkey');
  await expectText(carol.page, '#flash', /passkey removed/i);
  await expectHidden(carol.page, passkeyRow, 'the removed passkey');
  await expectVisible(carol.page, '#passkeys-empty', 'no passkeys left');
  await expectText(carol.page, '#passkey-status', /none yet/i);
});

scenario(rig, 'carol files the post-incident review of erin\'s break-glass access', async ({ broker, user }) => {
  const erinToken = await apiLogin(broker, 'erin');
  const breakglass = await api(
    broker,
    'POST',
    '/v1/breakglass',
    {
      token: erinToken,
      body: {
        role: 'prod-db-read',
        incident: 'INC-900',
        reason: 'primary is down',
        duration: '15m',
        mfa: { totp: await broker.totp.code('erin') },
      },
    },
    201,
  );
  assert.equal(breakglass.state, 'active');

  const carol = await user('carol');
  await openPage(carol);
  await signInWithTotp(carol);
  await showTab(carol, 'review-due');
  const row = `#review-due-list .review-row[data-request-id="${breakglass.id}"]`;
  await expectVisible(carol.page, row, 'erin\'s break-glass access awaiting review');
  await carol.page.fill(`${row} .review-comment`, 'justified: primary outage, access used for failover');
  await carol.page.click(`${row} .submit-review`);
  await answerMfa(carol, 'totp', 'post-incident review');
  await expectText(carol.page, '#flash', /review/i);
  const reviewed = await api(broker, 'GET', `/v1/requests/${breakglass.id}`, { token: erinToken });
  assert.equal(reviewed.reviewed_by, 'carol');
  assert.equal(typeof reviewed.reviewed_at, 'number');
  await expectHidden(carol.page, row, 'the reviewed break-glass access');
});
