// alice asks through the page; carol, already signed in, finds it with Refresh (no page reload),
// sees alice's earlier grant of the role in the history, and denies with a comment; alice sees
// the denial and the comment.
import assert from 'node:assert/strict';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  decide,
  expectHidden,
  expectText,
  expectVisible,
  myRequestRowSelector,
  openPage,
  showTab,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

// Watches for 2 s that the page does not drop `user` back to the sign-in form.
async function expectStillSignedIn(user, when) {
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    if (await user.page.isVisible('#login-form')) {
      const why = await user.page.locator('#login-error').innerText().catch(() => '');
      throw new Error(`${user.name} was sent back to the sign-in form ${when} (#login-error: ${JSON.stringify(why)})`);
    }
    await user.page.waitForTimeout(100);
  }
  await expectText(user.page, '#whoami', user.name);
}

// erin is a third approver, so the earlier grant needs neither carol's nor alice's TOTP codes.
const rig = useRig({
  users: ['alice', 'carol', 'dave', 'erin'],
  policy: `
groups: { developers: [alice], approvers: [carol, dave, erin] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [approvers]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread], extensions: [permit-pty] }
`,
});

scenario(rig, 'a denial with a comment shows to alice', async ({ broker, user }) => {
  // An earlier grant of the role, approved through the API by dave and erin.
  const aliceToken = await apiLogin(broker, 'alice');
  const earlier = await createRequest(broker, aliceToken, { reason: 'rotate replica', ticket: 'OPS-1' });
  for (const approver of ['dave', 'erin']) {
    const token = await apiLogin(broker, approver);
    await api(broker, 'POST', `/v1/requests/${earlier.id}/approve`, {
      token,
      body: { comment: 'ok', mfa: { totp: await broker.totp.code(approver) } },
    });
  }

  const carol = await user('carol');
  await openPage(carol);
  await signInWithTotp(carol);
  await showTab(carol, 'queue');
  // Set before the request exists: Refresh must bring it in without reloading the document.
  await carol.page.evaluate(() => (window.__notReloaded = true));

  const alice = await user('alice');
  await openPage(alice);
  await signInWithTotp(alice);
  await showTab(alice, 'my-requests');
  await alice.page.selectOption('#new-role', 'prod-db-read');
  await alice.page.fill('#new-reason', 'read slow-query log for INC-77');
  await alice.page.fill('#new-ticket', 'INC-77');
  await alice.page.fill('#new-duration', '20m');
  await alice.page.click('#new-submit');
  await expectVisible(alice.page, '#my-requests-list .my-request-row[data-request-id]:not([data-request-id="' + earlier.id + '"])', 'the new request in alice\'s list');
  const ids = await alice.page.$$eval('#my-requests-list .my-request-row', (rows) => rows.map((r) => r.dataset.requestId));
  const id = ids.find((one) => one !== earlier.id);
  const created = await api(broker, 'GET', `/v1/requests/${id}`, { token: aliceToken });
  assert.equal(created.requester, 'alice');
  assert.equal(created.reason, 'read slow-query log for INC-77');
  assert.equal(created.ticket, 'INC-77');
  assert.equal(created.duration, '20m');
  assert.equal(created.state, 'pending');
  await expectText(alice.page, `${myRequestRowSelector(id)} .state`, 'pending');

  // carol: Refresh, not reload.
  await carol.page.click('#refresh');
  const row = `#queue-list .request-row[data-request-id="${id}"]`;
  await expectVisible(carol.page, row, 'alice\'s request after Refresh');
  assert.equal(await carol.page.evaluate(() => window.__notReloaded), true, 'Refresh did not reload the page');
  await expectText(carol.page, `${row} .approvals`, '0/2');
  await carol.page.click(`${row} .open-request`);
  await expectVisible(carol.page, `#request-detail[data-request-id="${id}"]`, 'detail');
  await expectText(carol.page, '#detail-state', 'pending');
  // The earlier grant of prod-db-read is alice's recent history.
  await expectVisible(carol.page, '#detail-history .history-row', 'history row');
  assert.equal(await carol.page.locator('#detail-history .history-row').count(), 1);

  // A mistyped code is refused, and carol stays signed in to try again.
  await carol.page.fill('#review-comment', 'first try');
  await carol.page.click('#deny');
  await expectVisible(carol.page, '#mfa-dialog', 'MFA prompt for deny');
  await carol.page.fill('#mfa-totp-code', broker.totp.wrongCode('carol'));
  const flashBefore = await carol.page.locator('#flash').innerText();
  const refused = carol.page.waitForResponse((r) => r.url().endsWith(`/v1/requests/${id}/deny`));
  await carol.page.click('#mfa-submit-totp');
  assert.equal((await refused).status(), 401);
  await expectStillSignedIn(carol, 'after a wrong code');
  // The refusal is shown: a new #flash message, or the prompt stays open to try again.
  await carol.page.waitForFunction(
    (before) => document.getElementById('flash').innerText !== before ||
      !document.getElementById('mfa-dialog').hidden && document.getElementById('mfa-dialog').checkVisibility(),
    flashBefore, { timeout: 5_000 },
  ).catch(() => {
    throw new Error(`nothing tells carol her code was refused (#flash still ${JSON.stringify(flashBefore)})`);
  });
  assert.equal((await api(broker, 'GET', `/v1/requests/${id}`, { token: aliceToken })).state, 'pending');
  if (await carol.page.isVisible('#mfa-dialog')) await carol.page.click('#mfa-cancel');
  await expectHidden(carol.page, '#mfa-dialog', 'MFA prompt after cancel');

  const comment = 'Use the read replica dashboard instead; ask in #ops if it lacks data.';
  await decide(carol, 'deny', { comment, factor: 'totp' });
  await expectText(carol.page, '#detail-state', 'denied');
  await expectText(carol.page, '#flash', /\bden(y|ied)\b/i);
  const denied = await api(broker, 'GET', `/v1/requests/${id}`, { token: aliceToken });
  assert.equal(denied.state, 'denied');
  assert.equal(denied.reviews[0].reviewer, 'carol');
  assert.equal(denied.reviews[0].decision, 'deny');
  assert.equal(denied.reviews[0].comment, comment);
  assert.equal(denied.grant ?? null, null);

  // alice sees the denial and the comment.
  await alice.page.click('#refresh');
  const mine = myRequestRowSelector(id);
  await expectText(alice.page, `${mine} .state`, 'denied');
  // carol's decision as a word a person reads, then her comment.
  const comments = await expectText(alice.page, `${mine} .review-comments`, /\bcarol\b.*\b(deny|denied)\b/);
  assert.ok(comments.includes(comment), `review comments show the comment: ${comments}`);
  assert.equal(await alice.page.locator(`${mine} .ssh-command`).count(), 0, 'no command for a denied request');
});
