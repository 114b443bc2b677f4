// A real OpenID provider for the broker's SSO tests: the npm package oidc-provider (a certified
// OP implementation) over HTTPS on 127.0.0.1, with the test users and groups the test gives it.
// Started by tests/support/oidc_provider_process.cpp; prints "listening PORT" when ready.
//
// Usage: node test_idp.js --cert FILE --key FILE --users FILE --client-id ID
//          --client-secret-file FILE [--port N]
// --users: JSON {"carol": {"groups": ["sre-leads"], "email": "carol@example.com"}, ...}, read
//   again at every login, so a test changes someone's groups by rewriting the file.
// A new signing key (random kid) is made at every start: restarting on the same port is a key
// rotation, as the broker sees it.
//
// The login page needs no human: POST /interaction/UID/login with form fields `login` (the
// account) and optionally `amr` (comma-separated, default "pwd,otp") and `acr` finishes login
// and consent in one step, as a real IdP's login form followed by an automatic consent would.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import Provider from 'oidc-provider';

function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) {
    if (fallback === undefined) throw new Error(`--${name} is required`);
    return fallback;
  }
  return process.argv[at + 1];
}

const certFile = argument('cert');
const keyFile = argument('key');
const usersFile = argument('users');
const clientId = argument('client-id');
const clientSecret = readFileSync(argument('client-secret-file'), 'utf8').trim();
const port = Number(argument('port', '0'));

function users() {
  return JSON.parse(readFileSync(usersFile, 'utf8'));
}

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  format: 'jwk',
});
signingKey.kid = randomUUID();
signingKey.use = 'sig';
signingKey.alg = 'RS256';

// The issuer has the port in it, so the server listens first and the provider is made after.
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
await new Promise((resolve) => {
  server.once('error', (error) => {
    console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `https://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      require_auth_time: true,
      // The broker's own callback and the CLI's loopback one; see redirectUriAllowed below.
      redirect_uris: ['https://127.0.0.1/v1/auth/sso/corp/callback', 'http://127.0.0.1/callback'],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  pkce: { required: () => true },
  claims: {
    // How and when the user signed in: the broker's MFA decision and audit fields.
    openid: ['sub', 'amr', 'acr', 'auth_time'],
    profile: ['preferred_username', 'name'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  // Scope claims go into the ID token itself (the broker reads the ID token only).
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, id) => {
    const user = users()[id];
    if (!user) return undefined;
    return {
      accountId: id,
      claims: () => ({
        sub: id,
        preferred_username: user.preferred_username ?? id,
        name: id,
        email: user.email ?? `${id}@example.com`,
        email_verified: true,
        groups: user.groups ?? [],
      }),
    };
  },
});
provider.proxy = false;

// The broker listens on a random port, so its https callback is registered without one and the
// port is ignored on 127.0.0.1, as RFC 8252 section 7.3 has it for the CLI's loopback callback.
// The path and scheme still have to match exactly.
const exactMatch = provider.Client.prototype.redirectUriAllowed;
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  if (exactMatch.call(this, value)) return true;
  const url = URL.parse(value);
  if (!url || url.hostname !== '127.0.0.1' || url.search || url.hash) return false;
  return this.redirectUris.includes(`${url.protocol}//127.0.0.1${url.pathname}`);
};

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// The login: the account named in the form, with its amr, and every requested scope granted.
async function finishLogin(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const form = await readForm(req);
  const account = form.get('login') ?? '';
  if (!users()[account]) {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('unknown account\n');
    return;
  }
  const amr = (form.get('amr') ?? 'pwd,otp').split(',').filter((value) => value !== '');
  const grant = new provider.Grant({ accountId: account, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  const login = { accountId: account, amr };
  if (form.get('acr')) login.acr = form.get('acr');
  await provider.interactionFinished(
    req,
    res,
    { login, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const oidc = provider.callback();
server.on('request', async (req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(req.url.split('?')[0]);
  if (!match) return oidc(req, res);
  try {
    if (req.method === 'POST' && match[2]) return await finishLogin(req, res, match[1]);
    if (req.method === 'GET' && !match[2]) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>Test IdP</title><form method="post" action="/interaction/${match[1]}/login">` +
          '<input name="login"><input name="amr" value="pwd,otp"><button>Sign in</button></form>\n',
      );
      return undefined;
    }
    res.writeHead(405).end();
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`${error.message}\n`);
  }
  return undefined;
});

// Nothing to save (state is in memory): stop at once, so a restart gets the port back at once.
process.on('SIGTERM', () => process.exit(0));
console.log(`listening ${server.address().port}`);
