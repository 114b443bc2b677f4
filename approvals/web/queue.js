// Queue tab: pending requests the user may review, newest first, each with its id (a link to its
// own address), how long is left to decide, and an Open button; the card itself is detail.js.
import { getAll } from './api.js';
import { $, clear, decided, el, show, timeEl } from './dom.js';
import { approvalsText, decideWithin, myReview, openRequest } from './detail.js';
import { mayReview, report, session } from './state.js';

function queueRow(request) {
  const reviewed = myReview(request);
  return el('tr', { class: 'request-row', 'data-request-id': request.id },
            el('td', { class: 'request-id', 'data-label': 'Request' },
               el('a', { class: 'mono', href: '#request=' + request.id }, request.id)),
            el('td', { class: 'requester', 'data-label': 'Requester' }, request.requester),
            el('td', { class: 'role', 'data-label': 'Role' }, request.role),
            el('td', { class: 'reason text', 'data-label': 'Reason' }, request.reason),
            el('td', { class: 'ticket', 'data-label': 'Ticket' }, request.ticket),
            el('td', { class: 'duration', 'data-label': 'Duration' }, request.duration),
            el('td', { class: 'age', 'data-label': 'Asked' }, timeEl(request.created_at)),
            el('td', { class: 'deadline', 'data-label': 'Times out' },
               timeEl(request.pending_deadline, decideWithin(request))),
            el('td', { class: 'approvals', 'data-label': 'Approvals' }, approvalsText(request)),
            el('td', { class: 'breakglass', 'data-label': 'Break-glass' },
               request.breakglass ? 'break-glass' : ''),
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

export function initQueue() {
  $('queue-list').addEventListener('click', (event) => {
    const button = event.target.closest('.open-request');
    if (!button) return;
    const row = button.closest('.request-row');
    if (row) openRequest(row.getAttribute('data-request-id'));
  });
}
