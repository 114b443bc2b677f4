// Building the page from data without ever parsing it as markup: every value is set with
// textContent or an attribute, so a reason holding "<script>" shows as those characters.

// el('td', {class: 'role'}, 'text', childNode, ...). Attributes are set with setAttribute; a
// `hidden`/`disabled` value of true sets the boolean attribute.
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function setText(id, text) {
  $(id).textContent = text === null || text === undefined ? '' : String(text);
}

export function show(id, visible) {
  $(id).hidden = !visible;
}

// "42s ago", "5m ago", "3h ago", "2d ago" for a unix time in seconds.
export function age(unixSeconds, now = Date.now() / 1000) {
  const s = Math.max(0, Math.floor(now - unixSeconds));
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.floor(s / 60) + 'm ago';
  if (s < 86400) return Math.floor(s / 3600) + 'h ago';
  return Math.floor(s / 86400) + 'd ago';
}

// "in 25m", "3m ago" relative to now.
export function relative(unixSeconds, now = Date.now() / 1000) {
  if (unixSeconds >= now) {
    const s = Math.floor(unixSeconds - now);
    if (s < 60) return 'in ' + s + 's';
    if (s < 3600) return 'in ' + Math.floor(s / 60) + 'm';
    if (s < 86400) return 'in ' + Math.floor(s / 3600) + 'h';
    return 'in ' + Math.floor(s / 86400) + 'd';
  }
  return age(unixSeconds, now);
}

// An absolute time with its zone, as the reader's browser shows it: "12/5/2026, 3:55:42 PM UTC".
export function when(unixSeconds) {
  if (typeof unixSeconds !== 'number') return '';
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { timeZoneName: 'short' });
}

// "42m left" until a unix time, or "ended" once it is past.
export function left(unixSeconds, now = Date.now() / 1000) {
  if (unixSeconds <= now) return 'ended';
  return relative(unixSeconds, now).replace(/^in /, '') + ' left';
}

// A <time> element: machine-readable UTC in `datetime`, the absolute time with its zone on hover
// (title), and `text` (by default the relative time) as what a person reads.
export function timeEl(unixSeconds, text, attributes = {}) {
  if (typeof unixSeconds !== 'number') return el('span', attributes, '');
  const iso = new Date(unixSeconds * 1000).toISOString();
  const shown = text === undefined ? relative(unixSeconds) : text;
  return el('time', { ...attributes, datetime: iso, title: when(unixSeconds) }, shown);
}

// Puts a <time> into the element `id`: the relative time and, after it, the absolute one.
export function setTime(id, unixSeconds, prefix = '') {
  const node = $(id);
  clear(node);
  if (typeof unixSeconds !== 'number') return;
  node.append(timeEl(unixSeconds, prefix + relative(unixSeconds) + ' (' + when(unixSeconds) + ')'));
}

// A review's decision ("approve", "deny") as the page says it: "approved", "denied".
export function decided(decision) {
  return decision === 'deny' ? 'denied' : decision === 'approve' ? 'approved' : String(decision);
}
