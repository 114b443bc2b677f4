// Text that people type shows as text: a reason and a review comment carrying markup render
// literally in the queue, the request detail and alice's list, and nothing of them runs or loads.
// (The CSP alone would stop the script from running; these checks fail on any page that builds
// its rows with innerHTML, because the markup would then become elements instead of text.)
import assert from 'node:assert/strict';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  expectText,
  myRequestRow,
  openPage,
  openRequest,
  queueRow,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig();
const payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">';

// Nothing the payload would have added exists, ran or was fetched.
async function assertInert(user, where) {
  const found = await user.page.evaluate(
    (scope) => ({
      xss: typeof window.__xss,
      images: document.querySelectorAll(`${scope} img`).length,
      scripts: document.querySelectorAll(`${scope} script`).length,
    }),
    where,
  );
  assert.deepEqual(found, { xss: 'undefined', images: 0, scripts: 0 }, `${user.name}: ${where}`);
  const fetchedX = user.urls.filter((url) => new URL(url).pathname.endsWith('/x'));
  assert.deepEqual(fetchedX, [], `${user.name}: the payload's <img src=x> was never loaded`);
  assert.deepEqual(user.dialogs, []);
}

scenario(rig, 'an XSS payload in the reason and a comment renders as inert text', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const pending = await createRequest(broker, aliceToken, { reason: payload, ticket: 'OPS-9' });
  const denied = await createRequest(broker, aliceToken, { reason: `second ${payload}`, ticket: 'OPS-10' });
  const daveToken = await apiLogin(broker, 'dave');
  await api(broker, 'POST', `/v1/requests/${denied.id}/deny`, {
    token: daveToken,
    body: { comment: `no: ${payload}`, mfa: { totp: await broker.totp.code('dave') } },
  });

  const carol = await user('carol');
  await openPage(carol);
  await signInWithTotp(carol);
  const row = await queueRow(carol, pending.id);
  await expectText(carol.page, `${row} .reason`, payload);
  await assertInert(carol, '#queue-list');
  await openRequest(carol, pending.id);
  await expectText(carol.page, '#detail-reason', payload);
  await assertInert(carol, '#request-detail');
  await assertInert(carol, 'body');

  const alice = await user('alice');
  await openPage(alice);
  await signInWithTotp(alice);
  const mine = await myRequestRow(alice, denied.id);
  await expectText(alice.page, `${mine} .state`, 'denied');
  const comments = await expectText(alice.page, `${mine} .review-comments`, /dave/);
  assert.ok(comments.includes(`no: ${payload}`), `the comment shows literally: ${comments}`);
  await assertInert(alice, '#my-requests-list');
  await assertInert(alice, 'body');
});
