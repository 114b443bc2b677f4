// Every request and grant has its own address: the page's address follows the open card
// (#request=ID, #grant=ID), the card shows it to copy, Back goes to the card before, and a reload
// reopens it. The Find tab finds a request by its ticket (and by requester, state, free text).
// Times show with their zone; the queue shows each request's id and how long is left to decide.
import assert from 'node:assert/strict';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  expectHidden,
  expectText,
  expectVisible,
  openPage,
  queueRow,
  showTab,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

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

const hashOf = (page) => page.evaluate(() => window.location.hash);

scenario(rig, 'requests and grants have addresses; Find searches by ticket', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const ops1 = await createRequest(broker, aliceToken, { reason: 'first look', ticket: 'OPS-1' });
  const inc = await createRequest(broker, aliceToken, { reason: 'incident follow-up', ticket: 'INC-77' });
  const ops2 = await createRequest(broker, aliceToken, { reason: 'second look', ticket: 'OPS-2' });
  for (const approver of ['dave', 'erin']) {
    const token = await apiLogin(broker, approver);
    await api(broker, 'POST', `/v1/requests/${ops1.id}/approve`, {
      token,
      body: { comment: 'ok', mfa: { totp: await broker.totp.code(approver) } },
    });
  }
  const grant = (await api(broker, 'GET', `/v1/requests/${ops1.id}`, { token: aliceToken })).grant;

  const carol = await user('carol');
  await openPage(carol);
  await signInWithTotp(carol);

  // The queue shows the id and the time left to decide, with the absolute time and zone on hover.
  const row = await queueRow(carol, inc.id);
  await expectText(carol.page, `${row} .request-id`, inc.id);
  await expectText(carol.page, `${row} .deadline`, /^decide within \d+[mhd]$/);
  const deadline = await carol.page.locator(`${row} .deadline time`).evaluate((t) => ({ datetime: t.getAttribute('datetime'), title: t.title }));
  assert.equal(new Date(deadline.datetime).getTime() / 1000, inc.pending_deadline);
  assert.match(deadline.title, /\b(UTC|GMT[+-]?[\d:]*|[A-Z]{3,5})$/, 'absolute time ends with its zone');

  // Find by ticket: only INC-77's request, and opening it gives the page its address.
  await showTab(carol, 'search');
  await expectText(carol.page, '#search-count', '3 of 3 requests match');
  await carol.page.fill('#search-ticket', 'inc-77');
  await expectText(carol.page, '#search-count', '1 of 3 requests match');
  const found = await carol.page.$$eval('#search-list .search-row', (rows) => rows.map((r) => r.dataset.requestId));
  assert.deepEqual(found, [inc.id]);
  await carol.page.click(`#search-list .search-row[data-request-id="${inc.id}"] .open-request`);
  await expectVisible(carol.page, `#request-detail[data-request-id="${inc.id}"]`, 'the found request');
  assert.equal(await hashOf(carol.page), `#request=${inc.id}`);
  await expectText(carol.page, '#detail-link', `${broker.origin}/#request=${inc.id}`);
  await expectText(carol.page, '#detail-age', /\(.*\b(UTC|GMT[+-]?[\d:]*|[A-Z]{3,5})\)$/);
  // The other filters.
  await carol.page.fill('#search-ticket', '');
  await carol.page.selectOption('#search-state', 'active');
  await expectText(carol.page, '#search-count', '1 of 3 requests match');
  await expectVisible(carol.page, `#search-list .search-row[data-request-id="${ops1.id}"]`, 'the active one');
  await carol.page.selectOption('#search-state', '');
  await carol.page.fill('#search-requester', 'ALI');
  await carol.page.fill('#search-text', 'second look');
  await expectText(carol.page, '#search-count', '1 of 3 requests match');
  await expectVisible(carol.page, `#search-list .search-row[data-request-id="${ops2.id}"]`, 'free text');
  // The day asked, in the browser's zone: today finds all three, tomorrow onwards none.
  await carol.page.fill('#search-requester', '');
  await carol.page.fill('#search-text', '');
  const day = (offset) => carol.page.evaluate((days) => {
    const d = new Date();
    d.setDate(d.getDate() + days);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }, offset);
  await carol.page.fill('#search-from', await day(0));
  await carol.page.fill('#search-until', await day(0));
  await expectText(carol.page, '#search-count', '3 of 3 requests match');
  await carol.page.fill('#search-from', await day(1));
  await carol.page.fill('#search-until', '');
  await expectText(carol.page, '#search-count', '0 of 3 requests match');
  await carol.page.fill('#search-from', '');
  await carol.page.fill('#search-until', await day(-1));
  await expectText(carol.page, '#search-count', '0 of 3 requests match');
  await carol.page.fill('#search-until', '');

  // A grant's address opens its request's card, showing the grant and its time left.
  await carol.page.evaluate((id) => { window.location.hash = `grant=${id}`; }, grant.id);
  await expectVisible(carol.page, `#request-detail[data-request-id="${ops1.id}"]`, 'the grant\'s request');
  await expectText(carol.page, '#detail-link', `${broker.origin}/#grant=${grant.id}`);
  await expectText(carol.page, '#detail-grant', new RegExp(`^${grant.id} active, until .*\\(\\d+m left\\)$`));
  await expectText(carol.page, '#detail-why-not', /active/);

  // Back: the card it came from.
  await carol.page.goBack();
  await expectVisible(carol.page, `#request-detail[data-request-id="${inc.id}"]`, 'Back');
  assert.equal(await hashOf(carol.page), `#request=${inc.id}`);

  // A reload keeps the session and reopens what the address names.
  await carol.page.reload();
  await expectVisible(carol.page, `#request-detail[data-request-id="${inc.id}"]`, 'after a reload');
  await expectText(carol.page, '#detail-state', 'pending');

  // Closing the card clears the address; a link in a list sets it again.
  await carol.page.click('#close-detail');
  await expectHidden(carol.page, '#request-detail', 'closed card');
  assert.equal(await hashOf(carol.page), '');
  await carol.page.click(`#queue-list .request-row[data-request-id="${ops2.id}"] .request-id a`);
  await expectVisible(carol.page, `#request-detail[data-request-id="${ops2.id}"]`, 'the linked request');
  assert.equal(await hashOf(carol.page), `#request=${ops2.id}`);
});
