// The MFA prompt (#mfa-dialog) every approval, denial, post-incident review and revocation goes
// through: a passkey assertion on a challenge from `beginPath` (for a request that challenge is
// bound to the request and to the decision named in `beginBody`, docs/architecture.md invariant 4), or a TOTP
// code. Resolves to the `mfa` object the
// API takes, or null when the user cancels.
import { post, totpJustUsed } from './api.js';
import { $, setText } from './dom.js';
import * as webauthn from './webauthn.js';

let pending = null;  // { resolve, beginPath, beginBody, passkeyOnly }

// Said instead of sending a code the broker accepted a moment ago (api.js keeps those).
export const TOTP_REUSED = 'this code was just used, and each code works once: wait for your ' +
                           'authenticator to show the next one (codes change every 30 seconds)';

function finish(result) {
  const current = pending;
  pending = null;
  const dialog = $('mfa-dialog');
  if (dialog.open) dialog.close();
  if (current) current.resolve(result);
}

function busy(on) {
  for (const id of ['mfa-use-passkey', 'mfa-submit-totp']) $(id).disabled = on;
}

async function usePasskey() {
  if (!pending) return;
  setText('mfa-error', '');
  if (!webauthn.supported()) {
    setText('mfa-error', pending.passkeyOnly
      ? 'this needs a passkey, and this browser has no passkey support'
      : 'this browser has no passkey support; use a code');
    return;
  }
  busy(true);
  try {
    const options = await post(pending.beginPath, pending.beginBody);
    if (!options.allowCredentials || options.allowCredentials.length === 0) {
      throw new Error(pending.passkeyOnly
        ? 'you have no passkey registered here; register one first (Passkeys tab)'
        : 'you have no passkey registered here; use a code, or register one first');
    }
    const assertion = await webauthn.assert(options);
    finish({ webauthn: assertion });
  } catch (e) {
    setText('mfa-error', 'passkey failed: ' + (e && e.message ? e.message : String(e)));
  } finally {
    busy(false);
  }
}

function useTotp() {
  if (!pending) return;
  const code = $('mfa-totp-code').value.trim();
  if (!/^[0-9]{6,8}$/.test(code)) {
    setText('mfa-error', 'enter the 6-digit code from your authenticator');
    return;
  }
  if (totpJustUsed(code)) {
    setText('mfa-error', TOTP_REUSED);
    return;
  }
  $('mfa-totp-code').value = '';
  finish({ totp: code });
}

export function initMfaDialog() {
  $('mfa-use-passkey').addEventListener('click', usePasskey);
  $('mfa-submit-totp').addEventListener('click', useTotp);
  $('mfa-totp-code').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      useTotp();
    }
  });
  $('mfa-cancel').addEventListener('click', () => finish(null));
  $('mfa-dialog').addEventListener('cancel', (event) => {  // Escape
    event.preventDefault();
    finish(null);
  });
  // However the dialog closes, a waiting action is told it was cancelled.
  $('mfa-dialog').addEventListener('close', () => {
    if (pending) finish(null);
  });
}

// purpose: text shown in the dialog ("approve alice's request for prod-db-read").
// beginBody: what the begin call sends, e.g. { decision: 'approve' } for a request's challenge.
// passkeyOnly: offer no code field (an approval of a role with approver_mfa: passkey).
export function askMfa(purpose, beginPath, beginBody, { passkeyOnly = false } = {}) {
  if (pending) finish(null);
  return new Promise((resolve) => {
    pending = { resolve, beginPath, beginBody, passkeyOnly };
    $('mfa-totp-part').hidden = passkeyOnly;
    $('mfa-submit-totp').hidden = passkeyOnly;
    setText('mfa-purpose', passkeyOnly ? purpose + ' (this role takes a passkey only)' : purpose);
    setText('mfa-error', '');
    $('mfa-totp-code').value = '';
    busy(false);
    $('mfa-dialog').showModal();
  });
}
