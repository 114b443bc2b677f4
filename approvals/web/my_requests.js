// My-requests tab: ask for access (role, reason, ticket, duration), watch one's requests change
// (polled while the tab is open), read reviewers' decisions, and copy the `jit ssh-cert` command of
// an active grant.
import { ApiError, getAll, post, seg } from './api.js';
import { $, clear, decided, el, left, show, timeEl, when } from './dom.js';
import { copyFrom } from './clipboard.js';
import { askMfa } from './mfa.js';
import { flash, report, session } from './state.js';

export function fillRoles() {
  const select = $('new-role');
  const previous = select.value;
  clear(select);
  const requestable = session.roles.filter((role) => role.requestable);
  for (const role of requestable) {
    const label = role.name + ' (up to ' + role.max_duration + ')';
    select.append(el('option', { value: role.name }, label));
  }
  if (requestable.some((role) => role.name === previous)) select.value = previous;
  $('new-submit').disabled = requestable.length === 0;
  // Someone who may not ask for any role (a pure approver) is not offered the form.
  show('ask-access', requestable.length > 0);
  showRoleDefaults();
}

function showRoleDefaults() {
  const role = session.roles.find((r) => r.name === $('new-role').value);
  $('new-duration').placeholder = role ? role.default_duration : '30m';
  $('new-ticket').required = !!(role && role.require_ticket);
  $('new-reason').required = !!(role && role.require_reason);
}

function reviewText(review) {
  return review.reviewer + ' ' + decided(review.decision) +
         (review.comment ? ': ' + review.comment : '');
}

function myRequestRow(request) {
  const row = el('div', { class: 'my-request-row card', 'data-request-id': request.id },
                 el('div', { class: 'row-head' },
                    el('span', { class: 'role' }, request.role),
                    el('span', { class: 'state state-' + request.state }, request.state),
                    el('span', { class: 'approvals' },
                       request.approvals + '/' + request.approvals_required + ' approvals'),
                    el('span', { class: 'age' }, 'asked ', timeEl(request.created_at)),
                    request.state === 'pending'
                      ? el('span', { class: 'deadline' }, 'times out ',
                           timeEl(request.pending_deadline))
                      : null,
                    request.breakglass ? el('span', { class: 'breakglass' }, 'break-glass') : null,
                    el('a', { class: 'mono request-id', href: '#request=' + request.id }, request.id)),
                 el('p', { class: 'reason text' }, request.reason));
  const comments = el('ul', { class: 'review-comments' });
  for (const review of request.reviews || []) {
    comments.append(el('li', { class: 'review review-' + review.decision }, reviewText(review)));
  }
  row.append(comments);
  const grant = request.grant;
  if (request.state === 'active' && grant && grant.state === 'active') {
    row.append(el('div', { class: 'grant actions' },
                  el('code', { class: 'ssh-command' }, 'jit ssh-cert ' + grant.id),
                  el('button', { type: 'button', class: 'copy-command' }, 'Copy'),
                  el('a', { class: 'grant-link', href: '#grant=' + grant.id }, 'grant'),
                  el('span', { class: 'until' }, 'until ', timeEl(grant.not_after, when(grant.not_after)),
                     ' (', el('span', { class: 'time-left' }, left(grant.not_after)), ')')));
  }
  if (request.state === 'pending') {
    row.append(el('div', { class: 'actions' },
                  el('button', { type: 'button', class: 'cancel-request' }, 'Cancel request')));
  }
  return row;
}

export async function loadMyRequests() {
  const list = $('my-requests-list');
  try {
    const data = await getAll('/v1/requests', 'requests');
    const mine = data.requests.filter((r) => r.requester === session.user);
    clear(list);
    for (const request of mine) list.append(myRequestRow(request));
    show('my-requests-empty', mine.length === 0);
  } catch (e) {
    report('could not load your requests', e);
  }
}

async function submitRequest(event) {
  event.preventDefault();
  const body = { role: $('new-role').value, reason: $('new-reason').value,
                 ticket: $('new-ticket').value };
  const duration = $('new-duration').value.trim();
  if (duration) body.duration = duration;
  $('new-submit').disabled = true;
  try {
    let request;
    try {
      request = await post('/v1/requests', body);
    } catch (e) {
      // The sign-in's factor is older than the broker's freshness window: prove presence again.
      if (!(e instanceof ApiError) || e.code !== 'mfa_required') throw e;
      const mfa = await askMfa('ask for ' + body.role, '/v1/webauthn/presence/begin');
      if (!mfa) {
        flash('request cancelled');
        return;
      }
      request = await post('/v1/requests', { ...body, mfa });
    }
    flash('requested ' + request.role + ' (' + request.id + '); it is ' + request.state, 'ok');
    $('new-reason').value = '';
    $('new-ticket').value = '';
    $('new-duration').value = '';
  } catch (e) {
    report('request failed', e);
  } finally {
    $('new-submit').disabled = false;
  }
  await loadMyRequests();
}

async function cancelRequest(row) {
  const id = row.getAttribute('data-request-id');
  try {
    const request = await post('/v1/requests/' + seg(id) + '/cancel');
    flash('request ' + request.id + ' is ' + request.state, 'ok');
  } catch (e) {
    report('cancel failed', e);
  }
  await loadMyRequests();
}

export function initMyRequests() {
  $('new-request-form').addEventListener('submit', submitRequest);
  $('new-role').addEventListener('change', showRoleDefaults);
  $('my-requests-list').addEventListener('click', (event) => {
    const copy = event.target.closest('.copy-command');
    if (copy) return copyFrom(copy.closest('.my-request-row').querySelector('.ssh-command'));
    const cancel = event.target.closest('.cancel-request');
    if (cancel) return cancelRequest(cancel.closest('.my-request-row'));
  });
}
