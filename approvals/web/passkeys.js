// The Passkeys tab: the user's own passkeys (created, last used) with a remove button, and passkey
// registration. Adding or removing a factor asks for a fresh one first (a code, or an existing
// passkey): the broker refuses either change on the session alone.
import { del, get, post, seg } from './api.js';
import { $, clear, el, setText, show, timeEl } from './dom.js';
import { askMfa } from './mfa.js';
import { flash, report, session } from './state.js';
import * as webauthn from './webauthn.js';

const PRESENCE_BEGIN = '/v1/webauthn/presence/begin';

function showPasskeyStatus(count) {
  setText('passkey-status', count > 0 ? 'registered' : 'none yet');
}

export function setPasskeyStatus(hasPasskey) {
  showPasskeyStatus(hasPasskey ? 1 : 0);
}

function passkeyRow(credential) {
  const used = typeof credential.last_used_at === 'number'
    ? timeEl(credential.last_used_at) : 'never';
  return el('tr', { 'data-credential-id': credential.id },
            el('td', { class: 'mono id', 'data-label': 'Id' }, credential.id),
            el('td', { class: 'created', 'data-label': 'Added' }, timeEl(credential.created_at)),
            el('td', { class: 'used', 'data-label': 'Last used' }, used),
            el('td', { class: 'cloned' }, credential.possibly_cloned ? 'possibly cloned' : ''),
            el('td', {}, el('button', { type: 'button', class: 'remove-passkey danger' },
                            'Remove')));
}

export async function loadPasskeys() {
  const list = $('passkeys-list');
  try {
    const data = await get('/v1/webauthn/credentials');
    clear(list);
    for (const credential of data.credentials) list.append(passkeyRow(credential));
    show('passkeys-empty', data.credentials.length === 0);
    showPasskeyStatus(data.credentials.length);
  } catch (e) {
    report('could not load your passkeys', e);
  }
}

async function removePasskey(row) {
  const id = row.getAttribute('data-credential-id');
  const mfa = await askMfa('remove the passkey ' + id.slice(0, 12) + '...', PRESENCE_BEGIN);
  if (!mfa) {
    flash('removal cancelled');
    return;
  }
  try {
    await del('/v1/webauthn/credentials/' + seg(id), { mfa });
    flash('passkey removed', 'ok');
  } catch (e) {
    report('passkey removal failed', e);
  }
  await loadPasskeys();
}

export async function registerPasskey() {
  try {
    if (!webauthn.supported()) throw new Error('this browser has no passkey support');
  } catch (e) {
    report('passkey registration failed', e);
    return;
  }
  // A user from SSO with no factor here yet: the fresh MFA sign-in vouches for the first passkey
  // (the broker checks that); everyone else proves a factor they already have.
  const first = !session.hasFactor;
  const mfa = first ? null : await askMfa('register a new passkey', PRESENCE_BEGIN);
  if (!first && !mfa) {
    flash('registration cancelled');
    return;
  }
  try {
    const options = await post('/v1/webauthn/register/begin');
    const body = await webauthn.create(options);
    await post('/v1/webauthn/register/finish', mfa ? { ...body, mfa } : body);
    session.hasFactor = true;
    showPasskeyStatus(1);
    flash('passkey registered', 'ok');
  } catch (e) {
    if (e && e.code === 'mfa_required') {
      flash('sign in again (within the last few minutes) to register a passkey', 'error');
    } else {
      report('passkey registration failed', e);
    }
  }
  if (!$('panel-passkeys').hidden) await loadPasskeys();
}

export function initPasskeys() {
  $('register-passkey').addEventListener('click', registerPasskey);
  $('passkeys-register').addEventListener('click', registerPasskey);
  $('passkeys-list').addEventListener('click', (event) => {
    const button = event.target.closest('button.remove-passkey');
    if (button) removePasskey(button.closest('tr'));
  });
}
