// Signing in through the organisation's identity provider (docs/sso.md, "How sign-in works"):
// one link per provider the broker lists, each a plain navigation to the broker, which sends the
// browser on to the provider; and, once the provider has sent it back, the hand-over of the new
// session's CSRF token, which the broker put in a short-lived cookie on its redirect. The page
// reads that cookie once, keeps the token like a password sign-in's, and deletes the cookie.
import { get, setCsrfToken } from './api.js';
import { $, clear, el, show } from './dom.js';

const CSRF_COOKIE = '__Host-jit_sso_csrf';

// True when a session opened by SSO just handed its CSRF token over.
export function takeSsoCsrfToken() {
  const prefix = CSRF_COOKIE + '=';
  const found = document.cookie.split('; ').find((cookie) => cookie.startsWith(prefix));
  if (!found) return false;
  document.cookie = CSRF_COOKIE + '=; Path=/; Secure; SameSite=Strict; Max-Age=0';
  setCsrfToken(found.slice(prefix.length));
  return true;
}

// "Sign in with <provider>" beside the password form; nothing when no provider is configured.
export async function showSsoProviders() {
  let providers = [];
  try {
    providers = (await get('/v1/auth/sso')).providers;
  } catch (e) {
    providers = [];
  }
  const list = $('sso-providers');
  clear(list);
  // Back to what the address named (e.g. a request from a chat link) after signing in.
  const next = '/' + window.location.hash;
  for (const provider of providers) {
    const href = '/v1/auth/sso/' + encodeURIComponent(provider.name) + '/start?next=' +
      encodeURIComponent(next);
    list.append(el('a', { class: 'button sso-link', href }, 'Sign in with ' + provider.display_name));
  }
  show('sso-signin', providers.length > 0);
}
