// A chat message (format: slack | teams, broker/workers/chat_formats.hpp) links an approver to
// `<origin>/#request=ID`: carol follows that link signed out, signs in, and lands on that request's
// detail with its approve and deny buttons (the decision still asks her for a fresh factor).
import { apiLogin, createRequest } from './lib/api.js';
import { expectText, expectVisible, signInWithTotp } from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig();

scenario(rig, 'a chat link opens the request after sign-in', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const { id } = await createRequest(broker, aliceToken, { reason: 'linked from chat', ticket: 'OPS-9' });

  const carol = await user('carol');
  await carol.page.goto(`${broker.origin}/#request=${id}`);
  await expectVisible(carol.page, '#login-form', 'signed-out page');
  await signInWithTotp(carol);
  await expectVisible(carol.page, `#request-detail[data-request-id="${id}"]`, `detail of ${id}`);
  await expectText(carol.page, '#detail-reason', 'linked from chat');
  await expectText(carol.page, '#detail-state', 'pending');
});
