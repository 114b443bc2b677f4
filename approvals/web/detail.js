// The request card (#request-detail): one request as it stands now, with the requester's recent
// grants of that role, its grant, its own address (#request=ID, or #grant=ID when reached through
// its grant) and approve/deny with a comment and a factor bound to the request. It is shown inside
// whichever tab is open, re-read with that tab's list and on the page's timer, so it never tells a
// different story from the list beside it; what it no longer allows is disabled, with the reason.
import { get, post, seg } from './api.js';
import { copyFrom } from './clipboard.js';
import { $, clear, decided, el, left, relative, setText, setTime, show, timeEl, when } from './dom.js';
import { askMfa } from './mfa.js';
import { flash, mayReview, report, session } from './state.js';
import { currentPanel, reloadCurrent } from './tabs.js';

const LINK = /^#(request|grant)=([A-Za-z0-9_-]{1,64})$/;

let shown = null;     // { id, hash, state, approvals, denials } of the open request
let deciding = false;  // an approve or deny of the open request is under way

export function approvalsText(request) {
  return request.approvals + '/' + request.approvals_required;
}

export function myReview(request) {
  return (request.reviews || []).find((review) => review.reviewer === session.user);
}

// "decide within 42m" for a pending request's deadline; '' for any other state.
export function decideWithin(request) {
  if (request.state !== 'pending' || typeof request.pending_deadline !== 'number') return '';
  if (request.pending_deadline * 1000 <= Date.now()) return 'time to decide has passed';
  return 'decide within ' + relative(request.pending_deadline).replace(/^in /, '');
}

// Why the signed-in user cannot approve or deny `request` now, or null when they can.
export function whyNot(request) {
  if (request.requester === session.user) return 'This is your own request: another approver must decide it.';
  if (!mayReview(request.role)) return 'You are not an approver of ' + request.role + '.';
  if (request.state !== 'pending') return 'It is ' + request.state.replace('_', ' ') + ': there is nothing left to decide.';
  const review = myReview(request);
  if (review) return 'You already ' + decided(review.decision) + ' it.';
  if (request.pending_deadline * 1000 <= Date.now()) return 'Its time to decide has passed.';
  return null;
}

// The page's address of a request or grant: "<origin>/#request=ID".
export function addressOf(hash) {
  return window.location.origin + '/#' + hash;
}

function setAddress(hash, push) {
  const base = window.location.pathname + window.location.search;
  const url = base + (hash ? '#' + hash : '');
  if (url === base + window.location.hash) return;
  if (push) window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
}

export function parseLink(hash) {
  const match = LINK.exec(hash);
  return match ? { kind: match[1], id: match[2] } : null;
}

function reviewItem(review) {
  const text = review.reviewer + ' ' + decided(review.decision) +
               (review.comment ? ': ' + review.comment : '');
  return el('li', { class: 'review' }, text, ' ', timeEl(review.created_at));
}

function historyRow(grant) {
  return el('tr', { class: 'history-row', 'data-grant-id': grant.id },
            el('td', { class: 'not-before', 'data-label': 'Granted' }, when(grant.not_before)),
            el('td', { class: 'not-after', 'data-label': 'Until' }, when(grant.not_after)),
            el('td', { class: 'state', 'data-label': 'State' }, grant.state),
            el('td', { class: 'breakglass', 'data-label': 'Break-glass' },
               grant.breakglass ? 'break-glass' : 'no'));
}

function fillGrant(grant) {
  const node = $('detail-grant');
  clear(node);
  if (!grant) {
    node.append('none yet');
    return;
  }
  node.append(el('a', { href: '#grant=' + grant.id, class: 'mono grant-link' }, grant.id), ' ',
              el('span', { class: 'state state-' + grant.state }, grant.state), ', until ',
              timeEl(grant.not_after, when(grant.not_after)));
  if (grant.state === 'active') {
    node.append(' (', el('span', { class: 'time-left' }, left(grant.not_after)), ')');
  }
}

function fillDetail(request, hash) {
  $('request-detail').setAttribute('data-request-id', request.id);
  setText('detail-id', request.id);
  setText('detail-link', addressOf(hash));
  $('detail-link').setAttribute('href', '#' + hash);
  setText('detail-state', request.state);
  $('detail-state').className = 'state state-' + request.state;
  setText('detail-requester', request.requester);
  setText('detail-role', request.role);
  setText('detail-reason', request.reason);
  setText('detail-ticket', request.ticket);
  setText('detail-duration', request.duration);
  setTime('detail-age', request.created_at);
  const deadline = $('detail-deadline');
  clear(deadline);
  const within = decideWithin(request);
  deadline.append(within ? timeEl(request.pending_deadline, within + ' (by ' + when(request.pending_deadline) + ')') : '-');
  setText('detail-approvals', approvalsText(request) + (request.denials ? ', ' + request.denials + ' denied' : ''));
  setText('detail-breakglass', request.breakglass ? 'break-glass' : 'no');
  fillGrant(request.grant);
  const reviews = $('detail-reviews');
  clear(reviews);
  for (const review of request.reviews || []) reviews.append(reviewItem(review));
  show('detail-reviews-empty', (request.reviews || []).length === 0);
  const reason = whyNot(request);
  setText('detail-why-not', reason || '');
  show('detail-why-not', reason !== null);
  $('approve').disabled = reason !== null || deciding;
  $('deny').disabled = reason !== null || deciding;
  shown = { id: request.id, hash, state: request.state, approvals: request.approvals,
            denials: request.denials, passkeyOnly: request.approver_mfa === 'passkey' };
}

function fillHistory(grants) {
  const body = $('detail-history');
  clear(body);
  for (const grant of grants) body.append(historyRow(grant));
  show('detail-history-empty', grants.length === 0);
}

export function openRequestId() {
  return shown ? shown.id : null;
}

// Opens request `id` in the current tab; `hash` is its address (the request's, or its grant's
// when reached through that); `push` adds the address to the tab's history.
export async function openRequest(id, { hash = 'request=' + id, push = true } = {}) {
  try {
    const [request, history] = await Promise.all([
      get('/v1/requests/' + seg(id)),
      get('/v1/requests/' + seg(id) + '/history'),
    ]);
    const panel = currentPanel();
    if (panel && $('request-detail').parentElement !== $(panel)) $(panel).append($('request-detail'));
    if (!shown || shown.id !== request.id) $('review-comment').value = '';
    fillDetail(request, hash);
    fillHistory(history.grants);
    show('request-detail', true);
    setAddress(hash, push);
    $('request-detail').scrollIntoView({ block: 'nearest' });
  } catch (e) {
    report('could not open ' + hash.replace('=', ' '), e);
  }
}

export async function openGrant(id, options = {}) {
  try {
    const grant = await get('/v1/grants/' + seg(id));
    await openRequest(grant.request, { ...options, hash: 'grant=' + grant.id });
  } catch (e) {
    report('could not open grant ' + id, e);
  }
}

// Opens what an address names ("#request=ID", "#grant=ID"); false when it names nothing.
export async function openLink(hash, options = {}) {
  const link = parseLink(hash);
  if (!link) return false;
  if (shown && shown.hash === link.kind + '=' + link.id) return true;
  if (link.kind === 'grant') await openGrant(link.id, options);
  else await openRequest(link.id, { ...options, hash: 'request=' + link.id });
  return true;
}

// `keepAddress`: the address already changed (Back, a typed address); otherwise it is cleared.
export function closeRequest({ keepAddress = false } = {}) {
  if (!shown) return;
  shown = null;
  show('request-detail', false);
  $('request-detail').removeAttribute('data-request-id');
  if (!keepAddress) setAddress('', false);
}

// Reads the open request again. A change someone else made (another approver, the requester, the
// timeout) replaces whatever #flash said before, since that may no longer hold.
export async function refreshOpenRequest() {
  if (!shown || deciding) return;
  const before = shown;
  let request;
  try {
    request = await get('/v1/requests/' + seg(before.id));
  } catch (e) {
    if (e && e.status === 401) report('could not refresh the request', e);
    return;  // The list's own load says what went wrong; the card keeps what it showed.
  }
  if (!shown || shown.id !== before.id || deciding) return;  // closed or replaced meanwhile
  fillDetail(request, before.hash);
  if (request.state !== before.state || request.approvals !== before.approvals ||
      request.denials !== before.denials) {
    flash(request.requester + "'s request for " + request.role + ' is now ' + request.state +
          ' (' + approvalsText(request) + ' approvals)');
  }
}

async function decide(decision) {
  if (!shown) return;
  const { id, hash, passkeyOnly } = shown;
  const requester = $('detail-requester').textContent;
  const role = $('detail-role').textContent;
  const comment = $('review-comment').value;
  // A role with approver_mfa: passkey counts approvals only with a passkey (a code is refused).
  const mfa = await askMfa(decision + ' ' + requester + "'s request for " + role,
                           '/v1/requests/' + seg(id) + '/webauthn/begin', { decision },
                           { passkeyOnly: passkeyOnly && decision === 'approve' });
  if (!mfa) {
    flash(decision + ' cancelled');
    return;
  }
  deciding = true;
  $('approve').disabled = true;
  $('deny').disabled = true;
  try {
    const request = await post('/v1/requests/' + seg(id) + '/' + decision, { comment, mfa });
    deciding = false;
    if (shown && shown.id === id) fillDetail(request, hash);
    $('review-comment').value = '';
    const verb = decision === 'approve' ? 'approved' : 'denied';
    flash(verb + ' ' + requester + "'s request for " + role + '; it is now ' + request.state +
          ' (' + approvalsText(request) + ' approvals)', 'ok');
  } catch (e) {
    deciding = false;
    report(decision + ' failed', e);
    try {
      const request = await get('/v1/requests/' + seg(id));
      if (shown && shown.id === id) fillDetail(request, hash);
    } catch (ignored) {
      // The error above is the one worth showing.
    }
  }
  await reloadCurrent();
}

export function initDetail() {
  $('approve').addEventListener('click', () => decide('approve'));
  $('deny').addEventListener('click', () => decide('deny'));
  $('close-detail').addEventListener('click', () => closeRequest());
  $('copy-link').addEventListener('click', () => copyFrom($('detail-link')));
}
