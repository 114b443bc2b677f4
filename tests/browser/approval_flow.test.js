// The main story in a real browser: carol registers a passkey after a TOTP sign-in, signs
// in again with password + passkey, finds alice's pending request in her queue and approves it
// with a passkey assertion bound to that request; dave approves with TOTP; alice sees the request
// active with the `jit ssh-cert <grant>` command to copy.
import assert from 'node:assert/strict';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  decide,
  expectHidden,
  expectText,
  myRequestRow,
  openPage,
  openRequest,
  queueRow,
  registerPasskey,
  signInWithPasskey,
  signInWithTotp,
  signOut,
} from './lib/page.js';
import { scenario, screenshot, useRig } from './lib/scenario.js';

const rig = useRig();

scenario(rig, 'passkey and TOTP approvals make alice\'s request active', async ({ t, broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const request = await createRequest(broker, aliceToken, {
    reason: 'migrate the orders table',
    ticket: 'OPS-7',
    duration: '45m',
  });
  const id = request.id;
  const read = () => api(broker, 'GET', `/v1/requests/${id}`, { token: aliceToken });

  // carol: TOTP sign-in, then a passkey, then sign out and back in with the passkey.
  const carol = await user('carol', { passkey: true });
  await openPage(carol);
  await signInWithTotp(carol);
  await registerPasskey(carol);
  const [passkey] = await carol.passkeys();
  assert.equal(passkey?.rpId, 'localhost', 'the virtual authenticator holds carol\'s passkey');
  assert.equal(passkey.isResidentCredential, true);

  await signOut(carol);
  await expectHidden(carol.page, '#whoami', 'signed out');
  const afterLogout = await carol.page.evaluate(() =>
    fetch('/v1/session', { credentials: 'same-origin' }).then((r) => r.status),
  );
  assert.equal(afterLogout, 401, 'signing out ends the session on the broker too');

  await signInWithPasskey(carol);
  const signCountAfterLogin = (await carol.passkeys())[0].signCount;
  assert.ok(signCountAfterLogin > passkey.signCount, 'the passkey sign-in used the authenticator');

  // Her queue shows alice's request with everything an approver needs.
  const row = await queueRow(carol, id);
  await expectText(carol.page, `${row} .requester`, 'alice');
  await expectText(carol.page, `${row} .role`, 'prod-db-read');
  await expectText(carol.page, `${row} .reason`, 'migrate the orders table');
  await expectText(carol.page, `${row} .ticket`, 'OPS-7');
  await expectText(carol.page, `${row} .duration`, /45\s*m/);
  await expectText(carol.page, `${row} .age`, /\S/);
  await expectText(carol.page, `${row} .approvals`, '0/2');
  assert.equal((await carol.page.textContent(`${row} .breakglass`)).trim(), '', 'not break-glass');
  await screenshot(t, carol.page, 'queue');

  await openRequest(carol, id);
  await expectText(carol.page, '#detail-state', 'pending');
  await expectText(carol.page, '#detail-reason', 'migrate the orders table');
  assert.equal(await carol.page.locator('#detail-history .history-row').count(), 0, 'alice has no earlier grant');

  await decide(carol, 'approve', { comment: 'checked with the DBA team', factor: 'passkey' });
  await expectText(carol.page, '#detail-state', 'pending');
  await expectText(carol.page, '#flash', /approv/i);
  assert.ok(
    carol.challengeAsks.some((ask) => ask.url.endsWith(`/v1/requests/${id}/webauthn/begin`) &&
                                      JSON.parse(ask.body || '{}').decision === 'approve'),
    'the assertion was asked for with a challenge bound to this request and to "approve"',
  );
  assert.ok((await carol.passkeys())[0].signCount > signCountAfterLogin, 'the approval used the passkey');
  let state = await read();
  assert.equal(state.state, 'pending');
  assert.equal(state.approvals, 1);
  assert.equal(state.reviews.length, 1);
  assert.equal(state.reviews[0].reviewer, 'carol');
  assert.equal(state.reviews[0].decision, 'approve');
  assert.equal(state.reviews[0].comment, 'checked with the DBA team');
  assert.equal(state.reviews[0].mfa.factor, 'webauthn');
  await screenshot(t, carol.page, 'request');

  // dave: TOTP sign-in, sees 1/2, approves with a TOTP code; the request turns active.
  const dave = await user('dave');
  await openPage(dave);
  await signInWithTotp(dave);
  const daveRow = await queueRow(dave, id);
  await expectText(dave.page, `${daveRow} .approvals`, '1/2');
  await openRequest(dave, id);
  await decide(dave, 'approve', { comment: 'second pair of eyes', factor: 'totp' });
  await expectText(dave.page, '#detail-state', 'active');
  await expectText(dave.page, '#flash', /approv/i);
  state = await read();
  assert.equal(state.state, 'active');
  assert.equal(state.reviews[1].reviewer, 'dave');
  assert.equal(state.reviews[1].mfa.factor, 'totp');
  assert.match(state.grant?.id ?? '', /^grt-/);

  // alice: the request is active, with the command to fetch her certificate.
  const alice = await user('alice');
  await openPage(alice);
  await signInWithTotp(alice);
  const mine = await myRequestRow(alice, id);
  await expectText(alice.page, `${mine} .role`, 'prod-db-read');
  await expectText(alice.page, `${mine} .state`, 'active');
  await expectText(alice.page, `${mine} .ssh-command`, `jit ssh-cert ${state.grant.id}`);
  // Each reviewer's decision (as a word a person reads) and comment.
  await expectText(alice.page, `${mine} .review-comments`, /\bcarol\b.*\bapproved?\b.*checked with the DBA team/s);
  await expectText(alice.page, `${mine} .review-comments`, /\bdave\b.*\bapproved?\b.*second pair of eyes/s);
  assert.equal(await alice.page.locator(`${mine} .copy-command`).count(), 1, 'a copy button');
});
