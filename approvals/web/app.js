// The web approval page: sign-in (password + TOTP or passkey), tabs (passkeys in passkeys.js), refresh
// and polling. Talks only to the broker's JSON API; builds the page with DOM calls, never markup.
import { get, post, setCsrfToken, csrfToken } from './api.js';
import { $, setText, show } from './dom.js';
import { initMfaDialog } from './mfa.js';
import { fillRoles, initMyRequests, loadMyRequests } from './my_requests.js';
import { initPasskeys, loadPasskeys, setPasskeyStatus } from './passkeys.js';
import { initQueue, loadQueue, openRequest } from './queue.js';
import { initReviews, loadApprovedGrants, loadReviewDue } from './reviews.js';
import { flash, isApprover, onSessionLost, report, session } from './state.js';
import * as webauthn from './webauthn.js';

const POLL_MS = 5000;

const tabs = {
  'tab-queue': { panel: 'panel-queue', load: loadQueue },
  'tab-review-due': { panel: 'panel-review-due', load: loadReviewDue },
  'tab-approved-grants': { panel: 'panel-approved-grants', load: loadApprovedGrants },
  'tab-my-requests': { panel: 'panel-my-requests', load: loadMyRequests, poll: true },
  'tab-passkeys': { panel: 'panel-passkeys', load: loadPasskeys },
};
let currentTab = null;
let pollTimer = null;

function selectTab(id) {
  currentTab = id;
  for (const [tabId, tab] of Object.entries(tabs)) {
    const active = tabId === id;
    $(tabId).setAttribute('aria-selected', active ? 'true' : 'false');
    $(tabId).classList.toggle('active', active);
    show(tab.panel, active);
  }
  return tabs[id].load();
}

function refresh() {
  if (currentTab) return tabs[currentTab].load();
  return Promise.resolve();
}

function startPolling() {
  stopPolling();
  // Only the my-requests list is re-read on a timer: the other tabs hold inputs being typed into.
  pollTimer = setInterval(() => {
    if (currentTab && tabs[currentTab].poll && !document.hidden) tabs[currentTab].load();
  }, POLL_MS);
}

function stopPolling() {
  if (pollTimer !== null) clearInterval(pollTimer);
  pollTimer = null;
}

async function enterSession() {
  const [info, roles] = await Promise.all([get('/v1/session'), get('/v1/roles')]);
  session.user = info.user;
  session.groups = info.groups;
  session.roles = roles.roles;
  setText('whoami', info.user);
  setPasskeyStatus(info.has_passkey);
  fillRoles();
  show('signed-out', false);
  show('session-bar', true);
  show('signed-in', true);
  show('request-detail', false);
  startPolling();
  await selectTab(isApprover() ? 'tab-queue' : 'tab-my-requests');
  // A chat message links to "/#request=ID" (broker/workers/chat_formats.hpp): open that request.
  const linked = /^#request=([A-Za-z0-9_-]{1,64})$/.exec(window.location.hash);
  if (linked && isApprover()) await openRequest(linked[1]);
}

function leaveSession(message) {
  stopPolling();
  setCsrfToken(null);
  session.user = null;
  session.groups = [];
  session.roles = [];
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
  initQueue();
  initReviews();
  initMyRequests();
  initPasskeys();
  onSessionLost(leaveSession);
  $('login-form').addEventListener('submit', loginWithTotp);
  $('login-with-passkey').addEventListener('click', loginWithPasskey);
  $('logout').addEventListener('click', logout);
  $('refresh').addEventListener('click', refresh);
  for (const id of Object.keys(tabs)) $(id).addEventListener('click', () => selectTab(id));
  // A reload of this tab keeps the session: the cookie is still there and so is the CSRF token.
  if (!csrfToken()) return leaveSession('');
  try {
    await enterSession();
  } catch (e) {
    leaveSession('');
  }
}

start();
