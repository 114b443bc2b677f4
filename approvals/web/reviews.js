// Review-due tab (break-glass grants awaiting their post-incident review) and approved-grants tab
// (active grants the user approved, with revoke). Each action asks for a factor first.
import { getAll, post, seg } from './api.js';
import { $, clear, el, left, show, timeEl, when } from './dom.js';
import { askMfa } from './mfa.js';
import { flash, mayReview, report, session } from './state.js';

function reviewDueRow(request) {
  const grant = request.grant || {};
  const due = typeof request.review_due_at === 'number' ? request.review_due_at : null;
  const overdue = due !== null && due * 1000 < Date.now();
  return el('div', { class: 'review-row card', 'data-request-id': request.id },
            el('div', { class: 'row-head' },
               el('span', { class: 'requester' }, request.requester),
               el('span', { class: 'role' }, request.role),
               el('span', { class: 'breakglass' }, 'break-glass'),
               el('span', { class: 'incident' }, 'incident ' + request.incident),
               el('span', { class: 'age' }, 'taken ', timeEl(request.created_at)),
               el('span', { class: overdue ? 'due overdue' : 'due' },
                  due === null ? '' : 'review due ', timeEl(due)),
               el('a', { class: 'mono request-id', href: '#request=' + request.id }, request.id)),
            el('p', { class: 'reason text' }, request.reason),
            el('p', { class: 'grant' },
               'grant ' + (grant.state || '') + ', until ', timeEl(grant.not_after, when(grant.not_after))),
            el('div', { class: 'actions' },
               el('input', { class: 'review-comment', placeholder: 'post-incident review notes',
                             maxlength: '1000',
                             'aria-label': 'Post-incident review notes for ' + request.id }),
               el('button', { type: 'button', class: 'submit-review primary' },
                  'Submit review')));
}

export async function loadReviewDue() {
  const list = $('review-due-list');
  try {
    const data = await getAll('/v1/requests?state=review_due', 'requests');
    const rows = data.requests.filter((r) => r.requester !== session.user && mayReview(r.role));
    clear(list);
    for (const request of rows) list.append(reviewDueRow(request));
    show('review-due-empty', rows.length === 0);
  } catch (e) {
    report('could not load the reviews due', e);
  }
}

async function submitReview(row) {
  const id = row.getAttribute('data-request-id');
  const comment = row.querySelector('.review-comment').value;
  const who = row.querySelector('.requester').textContent;
  const mfa = await askMfa("post-incident review of " + who + "'s break-glass access",
                           '/v1/requests/' + seg(id) + '/webauthn/begin',
                           { decision: 'review' });
  if (!mfa) {
    flash('review cancelled');
    return;
  }
  try {
    const request = await post('/v1/requests/' + seg(id) + '/review', { comment, mfa });
    flash('post-incident review of ' + who + "'s break-glass access recorded (by " +
          request.reviewed_by + ')', 'ok');
  } catch (e) {
    report('review failed', e);
  }
  await loadReviewDue();
}

function grantRow(grant) {
  return el('tr', { class: 'grant-row', 'data-grant-id': grant.id },
            el('td', { class: 'grant-id', 'data-label': 'Grant' },
               el('a', { class: 'mono', href: '#grant=' + grant.id }, grant.id)),
            el('td', { class: 'user', 'data-label': 'User' }, grant.user),
            el('td', { class: 'role', 'data-label': 'Role' }, grant.role),
            el('td', { class: 'not-after', 'data-label': 'Until' },
               timeEl(grant.not_after, when(grant.not_after))),
            el('td', { class: 'time-left', 'data-label': 'Time left' }, left(grant.not_after)),
            el('td', { class: 'state', 'data-label': 'State' }, grant.state),
            el('td', {}, el('input', { class: 'revoke-reason', maxlength: '1000',
                                       placeholder: 'why (optional)',
                                       'aria-label': 'Why revoke ' + grant.id + ' (optional)' })),
            el('td', {}, el('button', { type: 'button', class: 'revoke danger' }, 'Revoke')));
}

export async function loadApprovedGrants() {
  const list = $('approved-grants-list');
  try {
    const data = await getAll('/v1/grants?state=active&approved_by=' + seg(session.user), 'grants');
    clear(list);
    for (const grant of data.grants) list.append(grantRow(grant));
    show('approved-grants-empty', data.grants.length === 0);
  } catch (e) {
    report('could not load the grants', e);
  }
}

async function revoke(row) {
  const id = row.getAttribute('data-grant-id');
  const who = row.querySelector('.user').textContent;
  const role = row.querySelector('.role').textContent;
  const typed = row.querySelector('.revoke-reason').value.trim();
  const reason = typed || 'revoked by ' + session.user + ' from the web page';
  const mfa = await askMfa('revoke ' + who + "'s access to " + role,
                           '/v1/webauthn/presence/begin');
  if (!mfa) {
    flash('revoke cancelled');
    return;
  }
  try {
    const grant = await post('/v1/grants/' + seg(id) + '/revoke', { reason, mfa });
    flash('revoked ' + who + "'s access to " + role + '; the grant is now ' + grant.state, 'ok');
  } catch (e) {
    report('revoke failed', e);
  }
  await loadApprovedGrants();
}

export function initReviews() {
  $('review-due-list').addEventListener('click', (event) => {
    const button = event.target.closest('.submit-review');
    if (button) submitReview(button.closest('.review-row'));
  });
  $('approved-grants-list').addEventListener('click', (event) => {
    const button = event.target.closest('.revoke');
    if (button) revoke(button.closest('.grant-row'));
  });
}

