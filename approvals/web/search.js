// Find tab: every request the user may see (GET /v1/requests answers exactly those: one's own,
// those of the roles one approves, everything for auditors; docs/api.md), searched and filtered
// here in the page by free text, requester, role, state, ticket and the day it was asked. A result opens the request
// card (detail.js) and has its own address.
import { getAll } from './api.js';
import { $, clear, el, show, timeEl } from './dom.js';
import { approvalsText, openRequest } from './detail.js';
import { report } from './state.js';

const SHOWN_AT_MOST = 200;
let requests = [];  // the last answer, newest first
let rendered = '';  // the filters and answer the list shows, so an unchanged list is left alone

function contains(value, needle) {
  return String(value || '').toLowerCase().includes(needle);
}

function filters() {
  return {
    text: $('search-text').value.trim().toLowerCase(),
    requester: $('search-requester').value.trim().toLowerCase(),
    role: $('search-role').value,
    state: $('search-state').value,
    ticket: $('search-ticket').value.trim().toLowerCase(),
    from: dayStart($('search-from').value, 0),
    until: dayStart($('search-until').value, 1),
  };
}

// A date field's day (YYYY-MM-DD, in the browser's time zone, as the page shows times) as Unix
// seconds at its start, or at the next day's start for the "until" end; null when empty.
function dayStart(value, daysLater) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + daysLater);
  return day.getTime() / 1000;
}

function matches(request, f) {
  if (f.role && request.role !== f.role) return false;
  if (f.state && request.state !== f.state) return false;
  if (f.requester && !contains(request.requester, f.requester)) return false;
  if (f.ticket && !contains(request.ticket, f.ticket)) return false;
  if (f.from !== null && request.created_at < f.from) return false;
  if (f.until !== null && request.created_at >= f.until) return false;
  if (!f.text) return true;
  const grant = request.grant ? request.grant.id : '';
  return [request.id, grant, request.requester, request.role, request.ticket, request.reason,
          request.incident, request.state].some((value) => contains(value, f.text));
}

function resultRow(request) {
  return el('div', { class: 'search-row card', 'data-request-id': request.id },
            el('div', { class: 'row-head' },
               el('a', { class: 'mono request-id', href: '#request=' + request.id }, request.id),
               el('span', { class: 'requester' }, request.requester),
               el('span', { class: 'role' }, request.role),
               el('span', { class: 'state state-' + request.state }, request.state),
               el('span', { class: 'approvals' }, approvalsText(request) + ' approvals'),
               el('span', { class: 'ticket' }, request.ticket ? 'ticket ' + request.ticket : ''),
               el('span', { class: 'age' }, 'asked ', timeEl(request.created_at)),
               request.breakglass ? el('span', { class: 'breakglass' }, 'break-glass') : null,
               el('button', { type: 'button', class: 'open-request' }, 'Open')),
            el('p', { class: 'reason text' }, request.reason));
}

function fillRoleFilter() {
  const select = $('search-role');
  const previous = select.value;
  const roles = [...new Set(requests.map((r) => r.role))].sort();
  clear(select);
  select.append(el('option', { value: '' }, 'any role'));
  for (const role of roles) select.append(el('option', { value: role }, role));
  if (roles.includes(previous)) select.value = previous;
}

// Rebuilding the list under a click would swallow it (a text field's "change" fires as the
// pointer goes down on a result's button), so nothing is redrawn unless something changed.
function render({ force = false } = {}) {
  const f = filters();
  const key = JSON.stringify(f);
  if (!force && key === rendered) return;
  rendered = key;
  const found = requests.filter((request) => matches(request, f));
  const list = $('search-list');
  clear(list);
  for (const request of found.slice(0, SHOWN_AT_MOST)) list.append(resultRow(request));
  const more = found.length > SHOWN_AT_MOST ? ' (the newest ' + SHOWN_AT_MOST + ' shown)' : '';
  $('search-count').textContent =
    found.length + ' of ' + requests.length + ' requests match' + more;
  show('search-empty', found.length === 0);
}

export async function loadSearch() {
  try {
    requests = (await getAll('/v1/requests', 'requests')).requests;
    fillRoleFilter();
    render({ force: true });
  } catch (e) {
    report('could not load the requests', e);
  }
}

export function initSearch() {
  $('search-form').addEventListener('submit', (event) => event.preventDefault());
  $('search-form').addEventListener('input', () => render());
  $('search-form').addEventListener('change', () => render());
  $('search-list').addEventListener('click', (event) => {
    const button = event.target.closest('.open-request');
    if (!button) return;
    openRequest(button.closest('.search-row').getAttribute('data-request-id'));
  });
}
