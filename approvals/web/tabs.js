// The tab strip, as the WAI-ARIA tabs pattern has it: role=tablist/tab/tabpanel in index.html
// (each tab's aria-controls names its panel, each panel is labelled by its tab); here the
// selection (aria-selected, one tab in the Tab order), arrow keys, Home and End, and which tabs a
// user sees at all. Selection follows focus: moving with the arrows selects the tab.
import { $, show } from './dom.js';

let tabs = {};  // tab id -> { load, poll }
let current = null;
let onSelect = () => {};

// Registers the tabs (tab id -> { load: async function, poll: boolean }) in the strip's order and
// what to call before a tab is shown (the open request card closes).
export function initTabs(definitions, beforeSelect) {
  tabs = definitions;
  onSelect = beforeSelect;
  for (const id of Object.keys(tabs)) {
    $(id).addEventListener('click', () => selectTab(id));
    $(id).addEventListener('keydown', (event) => moveFocus(id, event));
  }
}

function visibleTabs() {
  return Object.keys(tabs).filter((id) => !$(id).hidden);
}

function moveFocus(id, event) {
  const order = visibleTabs();
  const at = order.indexOf(id);
  let next = null;
  if (event.key === 'ArrowRight') next = order[(at + 1) % order.length];
  else if (event.key === 'ArrowLeft') next = order[(at - 1 + order.length) % order.length];
  else if (event.key === 'Home') next = order[0];
  else if (event.key === 'End') next = order[order.length - 1];
  if (!next) return;
  event.preventDefault();
  selectTab(next);
  $(next).focus();
}

export function panelOf(id) {
  return $(id).getAttribute('aria-controls');
}

export function selectTab(id) {
  onSelect(id);
  current = id;
  for (const tabId of Object.keys(tabs)) {
    const active = tabId === id;
    $(tabId).setAttribute('aria-selected', active ? 'true' : 'false');
    $(tabId).setAttribute('tabindex', active ? '0' : '-1');
    $(tabId).classList.toggle('active', active);
    show(panelOf(tabId), active);
  }
  return tabs[id].load();
}

// Shows only the tabs `allowed` (tab id -> boolean) says the user can use.
export function allowTabs(allowed) {
  for (const id of Object.keys(tabs)) show(id, allowed[id] !== false);
}

export function currentTab() {
  return current;
}

export function currentPanel() {
  return current ? panelOf(current) : null;
}

// Loads the current tab again: always for Refresh, for the timer only where `poll` says so.
export function reloadCurrent({ timer = false } = {}) {
  if (!current) return Promise.resolve();
  if (timer && !tabs[current].poll) return Promise.resolve();
  return tabs[current].load();
}
