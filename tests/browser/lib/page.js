// What a person does on the approval page, written against the element contract in
// WEB-CONTRACT.md (ids, row classes, data attributes) and nothing else. Every wait names what it
// waited for and what it saw instead, so a failure says which element of the page is wrong.
import { passwordOf } from './broker.js';

const WAIT_MS = 15_000;

function describe(value) {
  return value === null ? 'nothing (element missing)' : JSON.stringify(value);
}

// Waits until the text of `selector` as a person reads it (innerText, so list items and cells
// stay apart; trimmed, whitespace collapsed) equals `expected` (a string)
// or matches it (a RegExp); throws with the last text seen.
export async function expectText(page, selector, expected, { timeout = WAIT_MS } = {}) {
  const deadline = Date.now() + timeout;
  let seen = null;
  for (;;) {
    seen = await page
      .locator(selector)
      .first()
      .innerText({ timeout: 500 })
      .then((text) => text.replace(/\s+/g, ' ').trim())
      .catch(() => null);
    const ok =
      seen !== null && (expected instanceof RegExp ? expected.test(seen) : seen === expected);
    if (ok) return seen;
    if (Date.now() > deadline) {
      throw new Error(`${selector}: expected text ${expected instanceof RegExp ? expected : JSON.stringify(expected)}, saw ${describe(seen)}`);
    }
    await page.waitForTimeout(150);
  }
}

export async function expectVisible(page, selector, what, { timeout = WAIT_MS } = {}) {
  try {
    await page.locator(selector).first().waitFor({ state: 'visible', timeout });
  } catch {
    throw new Error(`${what}: ${selector} did not become visible within ${timeout} ms`);
  }
}

export async function expectHidden(page, selector, what, { timeout = WAIT_MS } = {}) {
  try {
    await page.locator(selector).first().waitFor({ state: 'hidden', timeout });
  } catch {
    throw new Error(`${what}: ${selector} is still visible after ${timeout} ms`);
  }
}

export async function openPage(user) {
  const response = await user.page.goto(`${user.broker.origin}/`);
  if (response.status() !== 200) throw new Error(`GET / answered ${response.status()}`);
  await expectVisible(user.page, '#login-form', 'signed-out page');
  return response;
}

async function fillCredentials(user) {
  await user.page.fill('#login-user', user.name);
  await user.page.fill('#login-password', passwordOf(user.name));
}

async function expectSignedIn(user, how) {
  try {
    await expectText(user.page, '#whoami', user.name);
  } catch (error) {
    const loginError = await user.page.locator('#login-error').textContent().catch(() => null);
    throw new Error(`${user.name} ${how}: ${error.message}; #login-error says ${describe(loginError)}`);
  }
  await expectHidden(user.page, '#login-form', `${user.name} signed in`);
}

export async function signInWithTotp(user) {
  await fillCredentials(user);
  await user.page.fill('#login-totp', await user.broker.totp.code(user.name));
  await user.page.click('#login-with-totp');
  await expectSignedIn(user, 'signing in with password + TOTP');
}

export async function signInWithPasskey(user) {
  await fillCredentials(user);
  await user.page.click('#login-with-passkey');
  await expectSignedIn(user, 'signing in with password + passkey');
}

// Registering a passkey asks for a fresh factor first: a TOTP code here (the user has no passkey
// yet to vouch for the new one).
export async function registerPasskey(user) {
  await user.page.click('#register-passkey');
  await answerMfa(user, 'totp', 'registering a passkey');
  await expectText(user.page, '#passkey-status', /\bregistered\b/i);
}

export async function signOut(user) {
  await user.page.click('#logout');
  await expectVisible(user.page, '#login-form', `${user.name} signed out`);
}

export async function showTab(user, name) {
  await user.page.click(`#tab-${name}`);
  await expectVisible(user.page, `#panel-${name}`, `tab ${name}`);
}

export const queueRowSelector = (id) => `#queue-list .request-row[data-request-id="${id}"]`;
export const myRequestRowSelector = (id) => `#my-requests-list .my-request-row[data-request-id="${id}"]`;

// Shows the queue (refreshed) and waits for the row of request `id`.
export async function queueRow(user, id) {
  await showTab(user, 'queue');
  await user.page.click('#refresh');
  await expectVisible(user.page, queueRowSelector(id), `${user.name}'s queue row of ${id}`);
  return queueRowSelector(id);
}

export async function myRequestRow(user, id) {
  await showTab(user, 'my-requests');
  await user.page.click('#refresh');
  await expectVisible(user.page, myRequestRowSelector(id), `${user.name}'s row of ${id}`);
  return myRequestRowSelector(id);
}

export async function openRequest(user, id) {
  const row = await queueRow(user, id);
  await user.page.click(`${row} .open-request`);
  await expectVisible(user.page, `#request-detail[data-request-id="${id}"]`, `detail of ${id}`);
  await expectVisible(user.page, '#detail-state', `state of ${id}`);
}

// Approves or denies the open request with a comment, answering the MFA prompt with the passkey
// or with a fresh TOTP code; waits until the prompt closes.
export async function decide(user, decision, { comment, factor }) {
  await user.page.fill('#review-comment', comment);
  await user.page.click(decision === 'approve' ? '#approve' : '#deny');
  await answerMfa(user, factor, decision);
}

// Answers the MFA prompt that `action` opened, with the passkey or a fresh TOTP code.
export async function answerMfa(user, factor, action) {
  await expectVisible(user.page, '#mfa-dialog', `MFA prompt for ${action}`);
  if (factor === 'passkey') {
    await user.page.click('#mfa-use-passkey');
  } else {
    await user.page.fill('#mfa-totp-code', await user.broker.totp.code(user.name));
    await user.page.click('#mfa-submit-totp');
  }
  await expectHidden(user.page, '#mfa-dialog', `MFA prompt after ${action} with ${factor}`);
}
