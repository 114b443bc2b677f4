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
// The device flow (RFC 8628) uses oidc-provider's own pages at /device (user code, confirm),
// then the same login; its authorization answer says `interval: 1` so tests poll each second.
//
// Test control (the bad inputs a broker must survive), for the client's own secret only:
// POST /test-control with `Authorization: Bearer CLIENT_SECRET` and a JSON object of
//   jwks: "normal" | "down" (503) | "garbage" (200, not JSON)    what the key set URL answers
//   discovery_issuer: "https://..." | null                       the issuer discovery claims
//   users: {...}                                                  the users file, rewritten
//   id_token: "normal" | one of tamperModes below                 how the token answer's ID
//     token is altered on its way out (as by someone between provider and broker)
// Everything else (codes, sessions, groups, the tokens themselves) stays oidc-provider's doing.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
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
      // The broker's own callback (tests/broker on 127.0.0.1, tests/browser on localhost, where
      // the page's passkeys live) and the CLI's loopback one; see redirectUriAllowed below.
      redirect_uris: [
        'https://127.0.0.1/v1/auth/sso/corp/callback',
        'https://localhost/v1/auth/sso/corp/callback',
        'http://127.0.0.1/callback',
      ],
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
// port is ignored on loopback, as RFC 8252 section 7.3 has it for the CLI's loopback callback.
// The host, path and scheme still have to match exactly.
const exactMatch = provider.Client.prototype.redirectUriAllowed;
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  if (exactMatch.call(this, value)) return true;
  const url = URL.parse(value);
  if (!url || !['127.0.0.1', 'localhost'].includes(url.hostname) || url.search || url.hash) {
    return false;
  }
  return this.redirectUris.includes(`${url.protocol}//${url.hostname}${url.pathname}`);
};

// What /test-control has switched (see the top of this file).
const control = { jwks: 'normal', discoveryIssuer: null, idToken: 'normal' };

// The ID token a broker must refuse, made from the provider's real one: signed by another key
// under the same kid, `alg: none`, HS256 keyed with the public key, or one claim wrong and the
// token signed again with the provider's own key (so only that claim is at fault).
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ownKey = createPrivateKey({ key: signingKey, format: 'jwk' });
const tamperModes = {
  other_key: () => otherKey,
  alg_none: (header) => Object.assign(header, { alg: 'none' }) && null,
  hs256_public_key: (header) => Object.assign(header, { alg: 'HS256' }) && 'hmac',
  wrong_iss: (_header, claims) => Object.assign(claims, { iss: 'https://idp.example.com' }) && ownKey,
  wrong_aud: (_header, claims) => Object.assign(claims, { aud: 'another-client' }) && ownKey,
  expired: (_header, claims) => Object.assign(claims, { exp: claims.iat - 3600 }) && ownKey,
  nbf_future: (_header, claims) => Object.assign(claims, { nbf: claims.iat + 3600 }) && ownKey,
  wrong_nonce: (_header, claims) => Object.assign(claims, { nonce: 'not-the-nonce' }) && ownKey,
};

function tamper(idToken, mode) {
  const part = (text) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  const [encodedHeader, encodedClaims] = idToken.split('.');
  const header = part(encodedHeader);
  const claims = part(encodedClaims);
  const key = tamperModes[mode](header, claims);
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  if (key === null) return `${input}.`;
  if (key === 'hmac') {
    const publicPem = createPublicKey(ownKey).export({ format: 'pem', type: 'spki' });
    return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
  }
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/jwks' && control.jwks !== 'normal') {
    ctx.status = control.jwks === 'down' ? 503 : 200;
    ctx.type = control.jwks === 'down' ? 'text/plain' : 'application/json';
    ctx.body = control.jwks === 'down' ? 'key service down\n' : '<html>maintenance</html>\n';
    return;
  }
  await next();
  if (ctx.path === '/.well-known/openid-configuration' && control.discoveryIssuer) {
    ctx.body = { ...ctx.body, issuer: control.discoveryIssuer };
  }
  if (ctx.path === '/device/auth' && ctx.status === 200) ctx.body = { ...ctx.body, interval: 1 };
  if (ctx.path === '/token' && ctx.status === 200 && control.idToken !== 'normal') {
    ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, control.idToken) };
  }
});

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

function writeUsers(value) {
  // Beside and renamed, so a login never reads half a file.
  writeFileSync(`${usersFile}.control`, JSON.stringify(value));
  renameSync(`${usersFile}.control`, usersFile);
}

async function testControl(req, res) {
  const expected = Buffer.from(`Bearer ${clientSecret}`);
  const given = Buffer.from(req.headers.authorization ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.writeHead(401, { 'content-type': 'text/plain' }).end('not the client\n');
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const change = JSON.parse(body);
  if ('jwks' in change) {
    if (!['normal', 'down', 'garbage'].includes(change.jwks)) throw new Error('jwks: bad mode');
    control.jwks = change.jwks;
  }
  if ('discovery_issuer' in change) control.discoveryIssuer = change.discovery_issuer;
  if ('id_token' in change) {
    if (change.id_token !== 'normal' && !Object.hasOwn(tamperModes, change.id_token)) {
      throw new Error('id_token: bad mode');
    }
    control.idToken = change.id_token;
  }
  if ('users' in change) writeUsers(change.users);
  res.writeHead(200, { 'content-type': 'application/json' }).end('{}\n');
}

const oidc = provider.callback();
server.on('request', async (req, res) => {
  if (req.url === '/test-control' && req.method === 'POST') {
    return testControl(req, res).catch((error) => {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
    });
  }
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
