// Two approvers have alice's request open. What one does shows on the other's card without a
// reload: the count, then the state; the Approve button of whoever can no longer act is disabled
// with the reason shown, and a #flash that no longer holds ("it is now pending") is replaced.
// On the way, carol types the code she signed in with again: the page says why it will not do and
// sends nothing.
import assert from 'node:assert/strict';
import { apiLogin, createRequest } from './lib/api.js';
import {
  answerMfa,
  decide,
  expectText,
  expectVisible,
  openPage,
  openRequest,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig();

scenario(rig, 'an open request card follows the other approver', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const { id } = await createRequest(broker, aliceToken, { reason: 'compare plans', ticket: 'OPS-5' });

  const carol = await user('carol');
  const dave = await user('dave');
  const loginCodes = {};
  for (const approver of [carol, dave]) {
    await openPage(approver);
    const login = approver.page.waitForRequest((r) => r.url().endsWith('/v1/login'));
    await signInWithTotp(approver);
    loginCodes[approver.name] = JSON.parse((await login).postData()).mfa.totp;
    await openRequest(approver, id);
    await expectText(approver.page, '#detail-approvals', '0/2');
    assert.equal(await approver.page.isEnabled('#approve'), true, `${approver.name} may approve`);
    await approver.page.evaluate(() => (window.__notReloaded = true));
  }

  const approveCalls = [];
  carol.page.on('request', (r) => {
    if (r.url().endsWith(`/v1/requests/${id}/approve`)) approveCalls.push(r.url());
  });
  await carol.page.fill('#review-comment', 'plan looks right');
  await carol.page.click('#approve');
  await expectVisible(carol.page, '#mfa-dialog', 'MFA prompt for approve');
  await carol.page.fill('#mfa-totp-code', loginCodes.carol);
  await carol.page.click('#mfa-submit-totp');
  await expectText(carol.page, '#mfa-error', /just used.*wait for .*next one/);
  assert.deepEqual(approveCalls, [], 'the used code was not sent');
  await answerMfa(carol, 'totp', 'approve');
  await expectText(carol.page, '#detail-approvals', '1/2');
  await expectText(carol.page, '#flash', /approved .*now pending/);
  await expectText(carol.page, '#detail-why-not', /already approved/i);
  assert.equal(await carol.page.isDisabled('#approve'), true, 'carol cannot approve twice');

  // dave's card and his queue row catch up on their own, and agree.
  const daveRow = `#queue-list .request-row[data-request-id="${id}"]`;
  await expectText(dave.page, '#detail-approvals', '1/2');
  await expectText(dave.page, `${daveRow} .approvals`, '1/2');
  await expectText(dave.page, '#detail-reviews', /carol approved: plan looks right/);
  assert.equal(await dave.page.isEnabled('#approve'), true, 'dave may still approve');

  await decide(dave, 'approve', { comment: 'ok', factor: 'totp' });
  await expectText(dave.page, '#detail-state', 'active');

  // carol's card: active, nothing left to decide, and her old "now pending" message is gone.
  await expectText(carol.page, '#detail-state', 'active');
  await expectText(carol.page, '#detail-approvals', '2/2');
  await expectText(carol.page, '#detail-why-not', /active/i);
  await expectText(carol.page, '#detail-grant', /^grt-\S+ active, until .* left\)$/);
  await expectText(carol.page, '#flash', /is now active/);
  assert.equal(await carol.page.isDisabled('#approve'), true);
  assert.equal(await carol.page.isDisabled('#deny'), true);
  for (const approver of [carol, dave]) {
    assert.equal(await approver.page.evaluate(() => window.__notReloaded), true, `${approver.name}'s page was not reloaded`);
  }
});
