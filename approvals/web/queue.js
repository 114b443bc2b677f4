// Queue tab: pending requests the user may review, one request's detail with the requester's
// recent grants of that role, and approve/deny with a comment and a factor bound to the request.
import { get, getAll, post, seg } from './api.js';
import { $, age, clear, decided, el, setText, show, when } from './dom.js';
import { askMfa } from './mfa.js';
import { flash, mayReview, report, session } from './state.js';

function approvalsText(request) {
  return request.approvals + '/' + request.approvals_required;
}

function mine(request) {
  return (request.reviews || []).find((review) => review.reviewer === session.user);
}

function queueRow(request) {
  const reviewed = mine(request);
  return el('tr', { class: 'request-row', 'data-request-id': request.id },
            el('td', { class: 'requester' }, request.requester),
            el('td', { class: 'role' }, request.role),
            el('td', { class: 'reason text' }, request.reason),
            el('td', { class: 'ticket' }, request.ticket),
            el('td', { class: 'duration' }, request.duration),
            el('td', { class: 'age', title: when(request.created_at) }, age(request.created_at)),
            el('td', { class: 'approvals' }, approvalsText(request)),
            el('td', { class: 'breakglass' }, request.breakglass ? 'break-glass' : ''),
            el('td', {},
               el('button', { type: 'button', class: 'open-request' },
                  reviewed ? 'Open (you ' + decided(reviewed.decision) + ')' : 'Open')));
}

export async function loadQueue() {
  const list = $('queue-list');
  try {
    const data = await getAll('/v1/requests?state=pending', 'requests');
    const rows = data.requests.filter((r) => r.requester !== session.user && mayReview(r.role));
    clear(list);
    for (const request of rows) list.append(queueRow(request));
    show('queue-empty', rows.length === 0);
  } catch (e) {
    report('could not load the queue', e);
  }
}

function historyRow(grant) {
  return el('tr', { class: 'history-row', 'data-grant-id': grant.id },
            el('td', { class: 'not-before' }, when(grant.not_before)),
            el('td', { class: 'not-after' }, when(grant.not_after)),
            el('td', { class: 'state' }, grant.state),
            el('td', { class: 'breakglass' }, grant.breakglass ? 'break-glass' : ''));
}

function reviewItem(review) {
  const text = review.reviewer + ' ' + decided(review.decision) +
               (review.comment ? ': ' + review.comment : '');
  return el('li', { class: 'review' }, text);
}

function fillDetail(request) {
  $('request-detail').setAttribute('data-request-id', request.id);
  setText('detail-id', request.id);
  setText('detail-state', request.state);
  $('detail-state').className = 'state state-' + request.state;
  setText('detail-requester', request.requester);
  setText('detail-role', request.role);
  setText('detail-reason', request.reason);
  setText('detail-ticket', request.ticket);
  setText('detail-duration', request.duration);
  setText('detail-age', age(request.created_at) + ' (' + when(request.created_at) + ')');
  setText('detail-approvals', approvalsText(request));
  setText('detail-breakglass', request.breakglass ? 'break-glass' : 'no');
  const reviews = $('detail-reviews');
  clear(reviews);
  for (const review of request.reviews || []) reviews.append(reviewItem(review));
  const open = request.state === 'pending' && !mine(request);
  $('approve').disabled = !open;
  $('deny').disabled = !open;
}

function fillHistory(grants) {
  const body = $('detail-history');
  clear(body);
  for (const grant of grants) body.append(historyRow(grant));
  show('detail-history-empty', grants.length === 0);
}

export async function openRequest(id) {
  try {
    const [request, history] = await Promise.all([
      get('/v1/requests/' + seg(id)),
      get('/v1/requests/' + seg(id) + '/history'),
    ]);
    fillDetail(request);
    fillHistory(history.grants);
    $('review-comment').value = '';
    show('request-detail', true);
    $('request-detail').scrollIntoView({ block: 'nearest' });
  } catch (e) {
    report('could not open the request', e);
  }
}

async function decide(decision) {
  const id = $('request-detail').getAttribute('data-request-id');
  if (!id) return;
  const requester = $('detail-requester').textContent;
  const role = $('detail-role').textContent;
  const comment = $('review-comment').value;
  const mfa = await askMfa(decision + ' ' + requester + "'s request for " + role,
                           '/v1/requests/' + seg(id) + '/webauthn/begin', { decision });
  if (!mfa) {
    flash(decision + ' cancelled');
    return;
  }
  $('approve').disabled = true;
  $('deny').disabled = true;
  try {
    const request = await post('/v1/requests/' + seg(id) + '/' + decision, { comment, mfa });
    fillDetail(request);
    $('review-comment').value = '';
    const verb = decision === 'approve' ? 'approved' : 'denied';
    flash(verb + ' ' + requester + "'s request for " + role + '; it is now ' + request.state,
          'ok');
  } catch (e) {
    report(decision + ' failed', e);
    try {
      fillDetail(await get('/v1/requests/' + seg(id)));
    } catch (ignored) {
      // The error above is the one worth showing.
    }
  }
  await loadQueue();
}

export function initQueue() {
  $('queue-list').addEventListener('click', (event) => {
    const button = event.target.closest('.open-request');
    if (!button) return;
    const row = button.closest('.request-row');
    if (row) openRequest(row.getAttribute('data-request-id'));
  });
  $('approve').addEventListener('click', () => decide('approve'));
  $('deny').addEventListener('click', () => decide('deny'));
  $('close-detail').addEventListener('click', () => {
    show('request-detail', false);
    $('request-detail').removeAttribute('data-request-id');
  });
}
