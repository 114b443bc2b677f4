// Every view of the page, on a desktop window and on a 390 px phone: axe-core finds no serious or
// critical accessibility problem, and nothing scrolls sideways. The tabs follow the WAI-ARIA tabs
// pattern from the keyboard, and a requester who approves nothing sees no approver tabs.
import assert from 'node:assert/strict';
import { checkView } from './lib/a11y.js';
import { api, apiLogin, createRequest } from './lib/api.js';
import {
  decide,
  expectHidden,
  expectText,
  expectVisible,
  openPage,
  openRequest,
  queueRowSelector,
  showTab,
  signInWithTotp,
} from './lib/page.js';
import { scenario, useRig } from './lib/scenario.js';

const rig = useRig();
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
const sizes = [['desktop', desktop], ['phone', phone]];

// Which tab is selected, which one takes the Tab key, and which one has the focus.
async function tabState(page) {
  return page.evaluate(() => ({
    selected: [...document.querySelectorAll('[role=tab][aria-selected=true]')].map((t) => t.id),
    tabbable: [...document.querySelectorAll('[role=tab][tabindex="0"]')].map((t) => t.id),
    focused: document.activeElement && document.activeElement.id,
    visiblePanels: [...document.querySelectorAll('[role=tabpanel]:not([hidden])')].map((p) => p.id),
  }));
}

async function expectTab(page, id, after) {
  const state = await tabState(page);
  const panel = id.replace(/^tab-/, 'panel-');
  assert.deepEqual(state, { selected: [id], tabbable: [id], focused: id, visiblePanels: [panel] },
                   `after ${after}`);
}

scenario(rig, 'every view passes axe and fits a phone; tabs work from the keyboard', async ({ broker, user }) => {
  const aliceToken = await apiLogin(broker, 'alice');
  const first = await createRequest(broker, aliceToken, { reason: 'check replica lag', ticket: 'OPS-1' });
  const second = await createRequest(broker, aliceToken, { reason: 'read the slow-query log', ticket: 'OPS-2' });
  const daveToken = await apiLogin(broker, 'dave');
  await api(broker, 'POST', `/v1/requests/${first.id}/approve`, {
    token: daveToken,
    body: { comment: 'ok', mfa: { totp: await broker.totp.code('dave') } },
  });

  const carol = await user('carol');
  await openPage(carol);
  for (const [name, size] of sizes) {
    await carol.page.setViewportSize(size);
    await checkView(carol.page, `sign-in (${name})`);
  }
  await carol.page.setViewportSize(desktop);
  await signInWithTotp(carol);

  // Tabs from the keyboard: arrows move and select (wrapping), Home and End jump.
  const panels = await carol.page.$$eval('[role=tab]', (tabs) => tabs.map((t) => {
    const panel = document.getElementById(t.getAttribute('aria-controls'));
    return panel && panel.getAttribute('role') === 'tabpanel' &&
      panel.getAttribute('aria-labelledby') === t.id;
  }));
  assert.ok(panels.length === 6 && panels.every(Boolean), 'each tab controls a panel labelled by it');
  await carol.page.focus('#tab-queue');
  await expectTab(carol.page, 'tab-queue', 'sign-in');
  await carol.page.keyboard.press('ArrowRight');
  await expectTab(carol.page, 'tab-review-due', 'ArrowRight');
  await carol.page.keyboard.press('End');
  await expectTab(carol.page, 'tab-passkeys', 'End');
  await carol.page.keyboard.press('ArrowRight');
  await expectTab(carol.page, 'tab-queue', 'ArrowRight from the last tab');
  await carol.page.keyboard.press('ArrowLeft');
  await expectTab(carol.page, 'tab-passkeys', 'ArrowLeft from the first tab');
  await carol.page.keyboard.press('Home');
  await expectTab(carol.page, 'tab-queue', 'Home');

  // carol's approval makes the first request active, so "approved grants" has a row.
  await openRequest(carol, first.id);
  await decide(carol, 'approve', { comment: 'fine', factor: 'totp' });
  await expectText(carol.page, '#detail-state', 'active');

  for (const [name, size] of sizes) {
    await carol.page.setViewportSize(size);
    await showTab(carol, 'queue');
    await expectVisible(carol.page, queueRowSelector(second.id), 'the pending request');
    await checkView(carol.page, `queue (${name})`);
    await openRequest(carol, second.id);
    await checkView(carol.page, `request card (${name})`);
    await carol.page.click('#deny');
    await expectVisible(carol.page, '#mfa-dialog', 'MFA prompt');
    await checkView(carol.page, `MFA dialog (${name})`);
    await carol.page.click('#mfa-cancel');
    await expectHidden(carol.page, '#mfa-dialog', 'MFA prompt after cancel');
    await showTab(carol, 'approved-grants');
    await expectVisible(carol.page, '#approved-grants-list .grant-row', 'the grant carol approved');
    await checkView(carol.page, `approved grants (${name})`);
    for (const tab of ['review-due', 'my-requests', 'search', 'passkeys']) {
      await showTab(carol, tab);
      if (tab === 'search') await expectVisible(carol.page, '#search-list .search-row', 'results');
      await checkView(carol.page, `${tab} (${name})`);
    }
  }

  // alice approves nothing: she sees only her own tabs.
  const alice = await user('alice', { viewport: phone });
  await openPage(alice);
  await signInWithTotp(alice);
  await expectVisible(alice.page, '#panel-my-requests', 'alice starts on her requests');
  const visibleTabs = await alice.page.$$eval('[role=tab]', (tabs) => tabs.filter((t) => !t.hidden).map((t) => t.id));
  assert.deepEqual(visibleTabs, ['tab-my-requests', 'tab-search', 'tab-passkeys']);
  await alice.page.focus('#tab-my-requests');
  await alice.page.keyboard.press('ArrowLeft');
  await expectTab(alice.page, 'tab-passkeys', 'ArrowLeft past the hidden tabs');
  await alice.page.keyboard.press('Home');
  await expectTab(alice.page, 'tab-my-requests', 'Home');
  for (const [name, size] of sizes) {
    await alice.page.setViewportSize(size);
    await expectVisible(alice.page, '#my-requests-list .ssh-command', 'the active grant\'s command');
    await checkView(alice.page, `alice's requests (${name})`);
  }
  // Her own request's card says why she cannot decide it.
  await alice.page.evaluate((id) => { window.location.hash = `request=${id}`; }, second.id);
  await expectVisible(alice.page, `#request-detail[data-request-id="${second.id}"]`, 'alice\'s card');
  await expectText(alice.page, '#detail-why-not', /your own request/i);
  assert.equal(await alice.page.isDisabled('#approve'), true);
  for (const [name, size] of sizes) {
    await alice.page.setViewportSize(size);
    await checkView(alice.page, `alice's request card (${name})`);
  }
});
