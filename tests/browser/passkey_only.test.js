// A role whose approvals take a passkey only (policy `approver_mfa: passkey`): carol's approval
// prompt offers no code field, and her passkey approval counts. A code sent anyway (through the
// API) is refused with 403 passkey_required and counts nothing.
import assert from 'node:assert/strict';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  answerMfa,
  expectHidden,
  expectText,
  expectVisible,
  openPage,
  openRequest,
  registerPasskey,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig({
  policy: `
groups: { developers: [alice], approvers: [carol, dave] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [approvers]
    approvals_required: 2
    approver_mfa: passkey
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread], extensions: [permit-pty] }
`,
});

scenario(rig, 'a passkey-only role is approved with a passkey, never a code', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const request = await createRequest(broker, aliceToken, {
    reason: 'restore the orders replica',
    ticket: 'OPS-9',
    duration: '30m',
  });
  assert.equal(request.approver_mfa, 'passkey');

  // dave tries with a code through the API: refused, and nothing counted.
  const daveToken = await apiLogin(broker, 'dave');
  const refused = await api(broker, 'POST', `/v1/requests/${request.id}/approve`, {
    token: daveToken,
    body: { mfa: { totp: await broker.totp.code('dave') } },
  }, 403);
  assert.equal(refused.code, 'passkey_required');

  const carol = await user('carol', { passkey: true });
  await openPage(carol);
  await signInWithTotp(carol);
  await registerPasskey(carol);
  await openRequest(carol, request.id);
  await carol.page.fill('#review-comment', 'replica checked');
  await carol.page.click('#approve');
  await expectVisible(carol.page, '#mfa-dialog', 'the approval prompt');
  await expectHidden(carol.page, '#mfa-totp-code', 'no code field for a passkey-only role');
  await expectHidden(carol.page, '#mfa-submit-totp', 'no code button for a passkey-only role');
  await expectText(carol.page, '#mfa-purpose', /passkey only/);
  await answerMfa(carol, 'passkey', 'approve');
  await expectText(carol.page, '#flash', /approv/i);

  const after = await api(broker, 'GET', `/v1/requests/${request.id}`, { token: aliceToken });
  assert.equal(after.approvals, 1, 'carol\'s passkey approval counts, dave\'s code did not');
});
