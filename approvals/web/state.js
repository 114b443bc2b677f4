// What the page knows about the signed-in user, shared by the tabs, and the #flash message line.
import { csrfToken, get } from './api.js';
import { setText } from './dom.js';

export const session = {
  user: null,      // name
  groups: [],
  roles: [],       // GET /v1/roles: roles the user may request, approve or break-glass
  hasFactor: true, // false for a user from SSO without a passkey yet (GET /v1/session)
};

export function mayReview(role) {
  return session.roles.some((r) => r.name === role && r.approver);
}

export function flash(text, kind = 'info') {
  const node = document.getElementById('flash');
  node.className = 'flash ' + kind;
  setText('flash', text);
}

export function flashError(prefix, error) {
  const message = error && error.message ? error.message : String(error);
  const code = error && error.code ? ' (' + error.code + ')' : '';
  flash(prefix + ': ' + message + code, 'error');
}

// Set by app.js: what to do when the broker no longer knows our session (401 unauthenticated).
let sessionLost = () => {};
export function onSessionLost(callback) {
  sessionLost = callback;
}

// Whether the broker still knows our session. A 401 "unauthenticated" answers both a session that
// ended and a second factor that was refused (wrong code, refused passkey): asking again tells the
// two apart. A code already used is a 409 "totp_code_used", whose text flashError shows as is.
async function sessionAlive() {
  try {
    await get('/v1/session');
    return true;
  } catch (e) {
    return !(e && e.status === 401);
  }
}

// Shows an API failure in #flash; a lost session sends the user back to the sign-in form.
export async function report(prefix, error) {
  if (error && error.status === 401 && error.code === 'unauthenticated') {
    if (!(await sessionAlive())) {
      sessionLost('your session has ended; sign in again');
      return;
    }
    flash(prefix + ': the code or passkey was not accepted (wrong, expired or already used); ' +
          'try again', 'error');
    return;
  }
  if (error && error.status === 403 && error.code === 'permission_denied' && !csrfToken()) {
    sessionLost('sign in again in this tab');
    return;
  }
  flashError(prefix, error);
}

// Whether the user approves any role (the queue and review tabs are theirs to use).
export function isApprover() {
  return session.roles.some((role) => role.approver);
}
