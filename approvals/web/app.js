// The web approval page: sign-in (password + TOTP or passkey), tabs (tabs.js; which ones a user
// sees follows GET /v1/roles), the open request's address (#request=ID, #grant=ID), refresh and
// polling. Talks only to the broker's JSON API; builds the page with DOM calls, never markup.
import { csrfToken, forgetTotps, get, post, setCsrfToken, totpJustUsed } from './api.js';
import { closeRequest, initDetail, openLink, parseLink, refreshOpenRequest } from './detail.js';
import { $, setText, show } from './dom.js';
import { initMfaDialog, TOTP_REUSED } from './mfa.js';
import { fillRoles, initMyRequests, loadMyRequests } from './my_requests.js';
import { initPasskeys, loadPasskeys, setPasskeyStatus } from './passkeys.js';
import { initQueue, loadQueue } from './queue.js';
import { initReviews, loadApprovedGrants, loadReviewDue } from './reviews.js';
import { initSearch, loadSearch } from './search.js';
import { showSsoProviders, takeSsoCsrfToken } from './sso.js';
import { flash, isApprover, onSessionLost, report, session } from './state.js';
import { allowTabs, initTabs, reloadCurrent, selectTab } from './tabs.js';
import * as webauthn from './webauthn.js';

const POLL_MS = 5000;

// In the strip's order. `poll`: re-read on the timer; the others hold inputs being typed into
// row by row (a review's notes, a revocation's reason), or filters over a long list.
const tabs = {
  'tab-queue': { load: loadQueue, poll: true },
  'tab-review-due': { load: loadReviewDue },
  'tab-approved-grants': { load: loadApprovedGrants },
  'tab-my-requests': { load: loadMyRequests, poll: true },
  'tab-search': { load: loadSearch },
  'tab-passkeys': { load: loadPasskeys },
};
let pollTimer = null;

function refresh() {
  return Promise.all([reloadCurrent(), refreshOpenRequest()]);
}

function startPolling() {
  stopPolling();
  // The open request card is re-read whatever the tab, so it never lags behind the list.
  pollTimer = setInterval(() => {
    if (document.hidden) return;
    reloadCurrent({ timer: true });
    refreshOpenRequest();
  }, POLL_MS);
}

function stopPolling() {
  if (pollTimer !== null) clearInterval(pollTimer);
  pollTimer = null;
}

async function enterSession() {
  // Read before a tab is selected: selecting one closes the card and clears the address.
  const linked = window.location.hash;
  const [info, roles] = await Promise.all([get('/v1/session'), get('/v1/roles')]);
  session.user = info.user;
  session.groups = info.groups;
  session.roles = roles.roles;
  setText('whoami', info.user);
  setPasskeyStatus(info.has_passkey);
  session.hasFactor = info.has_factor !== false;
  fillRoles();
  // The approver's tabs only for someone who approves a role (GET /v1/roles, `approver`).
  const approver = isApprover();
  allowTabs({ 'tab-queue': approver, 'tab-review-due': approver, 'tab-approved-grants': approver });
  show('signed-out', false);
  show('session-bar', true);
  show('signed-in', true);
  startPolling();
  await selectTab(approver ? 'tab-queue' : 'tab-my-requests');
  // A chat message links to "/#request=ID" (broker/workers/chat_formats.hpp); the card shows
  // "#request=ID" or "#grant=ID" addresses: open what the address names.
  if (parseLink(linked)) await openLink(linked, { push: false });
}

function leaveSession(message) {
  stopPolling();
  closeRequest({ keepAddress: true });  // signing in again reopens it
  forgetTotps();
  setCsrfToken(null);
  session.user = null;
  session.groups = [];
  session.roles = [];
  session.hasFactor = true;
  show('signed-in', false);
  show('session-bar', false);
  show('signed-out', true);
  setText('whoami', '');
  $('login-password').value = '';
  $('login-totp').value = '';
  setText('login-error', message || '');
}

function loginFields() {
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  if (!user || !password) throw new Error('enter your user name and password');
  return { user, password };
}

async function finishLogin(answer) {
  setCsrfToken(answer.csrf_token);
  $('login-password').value = '';
  $('login-totp').value = '';
  setText('login-error', '');
  flash('signed in as ' + answer.user, 'ok');
  await enterSession();
}

async function loginWithTotp(event) {
  event.preventDefault();
  setText('login-error', '');
  try {
    const { user, password } = loginFields();
    const code = $('login-totp').value.trim();
    if (!/^[0-9]{6,8}$/.test(code)) throw new Error('enter the 6-digit code from your authenticator');
    if (totpJustUsed(code)) throw new Error(TOTP_REUSED);
    await finishLogin(await post('/v1/login', { user, password, mfa: { totp: code }, session: 'cookie' }));
  } catch (e) {
    setText('login-error', e.message || String(e));
  }
}

async function loginWithPasskey() {
  setText('login-error', '');
  try {
    const { user, password } = loginFields();
    if (!webauthn.supported()) throw new Error('this browser has no passkey support');
    const options = await post('/v1/webauthn/login/begin', { user });
    const assertion = await webauthn.assert(options);
    const body = { user, password, mfa: { webauthn: assertion }, session: 'cookie' };
    await finishLogin(await post('/v1/login', body));
  } catch (e) {
    setText('login-error', e.message || String(e));
  }
}

async function logout() {
  try {
    await post('/v1/logout');
    leaveSession('');
    flash('signed out');
  } catch (e) {
    // Whatever the broker said, this tab forgets the session.
    leaveSession('');
    report('sign-out', e);
  }
}

async function start() {
  initMfaDialog();
  initTabs(tabs, () => closeRequest());
  initDetail();
  initQueue();
  initReviews();
  initMyRequests();
  initSearch();
  initPasskeys();
  onSessionLost(leaveSession);
  $('login-form').addEventListener('submit', loginWithTotp);
  $('login-with-passkey').addEventListener('click', loginWithPasskey);
  $('logout').addEventListener('click', logout);
  $('refresh').addEventListener('click', refresh);
  // A link on the page, Back or Forward, or an address typed into this tab.
  window.addEventListener('hashchange', () => {
    if (!session.user) return;
    if (parseLink(window.location.hash)) openLink(window.location.hash, { push: false });
    else closeRequest({ keepAddress: true });
  });
  showSsoProviders();
  // Back from the identity provider: the broker's redirect handed over the CSRF token.
  takeSsoCsrfToken();
  // A reload of this tab keeps the session: the cookie is still there and so is the CSRF token.
  if (!csrfToken()) return leaveSession('');
  try {
    await enterSession();
  } catch (e) {
    leaveSession('');
  }
}

start();
