// What the page knows about the signed-in user, shared by the tabs, and the #flash message line.
import { get } from './api.js';
import { setText } from './dom.js';

export const session = {
  user: null,      // name
  groups: [],
  roles: [],       // GET /v1/roles: roles the user may request, approve or break-glass
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

// Shows an API failure in #flash; a lost session sends the user back to the sign-in form.
export function report(prefix, error) {
  if (error && error.status === 401 && error.code === 'unauthenticated') {
    // The broker answers a wrong or replayed MFA code with the same 401 as a lost session, so
    // only a session the broker no longer knows ends the page's: a mistyped code is an error.
    get('/v1/session').then(() => flashError(prefix, error),
                            () => sessionLost('your session has ended; sign in again'));
    return;
  }
  if (error && error.status === 403 && error.code === 'permission_denied' &&
      !sessionStorage.getItem('jit.csrf')) {
    sessionLost('sign in again in this tab');
    return;
  }
  flashError(prefix, error);
}

// Whether the user approves any role (the queue and review tabs are theirs to use).
export function isApprover() {
  return session.roles.some((role) => role.approver);
}
