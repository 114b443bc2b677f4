// Debian's Chromium driven by playwright-core. The broker's self-signed dev certificate is made
// genuinely trusted (a throw-away HOME whose NSS database trusts it as a peer) instead of telling
// Chromium to ignore certificate errors, so the page runs exactly as it would for a person with a
// trusted certificate: secure context, HSTS honoured, WebAuthn allowed without any exception.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './broker.js';

export const chromiumPath = process.env.JIT_CHROMIUM ?? '/usr/bin/chromium';
export const artifactsDir =
  process.env.JIT_BROWSER_ARTIFACTS ?? path.join(repoRoot, 'build/default/test-artifacts/browser');

// Flags that keep Chromium off the network (nothing but the broker on loopback is reachable here)
// and quiet: no GPU, no QUIC, no first-run, sync, component or metrics traffic.
const chromiumFlags = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--metrics-recording-only',
];

function trustingHome(certificatePath, idpCertificatePath) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-browser-home-'));
  const nssdb = path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(nssdb, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
  // "P,,": a trusted peer for TLS; the dev certificate is a self-signed leaf (CA:FALSE).
  execFileSync('certutil', ['-A', '-d', `sql:${nssdb}`, '-n', 'jitbroker-dev', '-t', 'P,,', '-i', certificatePath]);
  // The run's test OpenID provider (lib/idp.js), when there is one: also a self-signed leaf.
  if (idpCertificatePath) {
    execFileSync('certutil', ['-A', '-d', `sql:${nssdb}`, '-n', 'jitbroker-test-idp', '-t', 'P,,', '-i', idpCertificatePath]);
  }
  return home;
}

export class Browser {
  static async launch(broker) {
    const home = trustingHome(broker.certificatePath, process.env.JIT_SSO_CA_FILE);
    const args = [...chromiumFlags];
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    // launch() gives every run a fresh temporary user-data-dir, removed on close.
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args,
      env: { ...process.env, HOME: home },
      timeout: 60_000,
    });
    return new Browser(browser, broker, home);
  }

  constructor(browser, broker, home) {
    this.browser = browser;
    this.broker = broker;
    this.home = home;
  }

  version() {
    return this.browser.version();
  }

  // A separate browser profile context (own cookies and storage) for one person; a desktop
  // window unless `viewport` says otherwise (e.g. a phone's { width: 390, height: 844 }).
  async user(name, { passkey = false, viewport = { width: 1280, height: 900 } } = {}) {
    const context = await this.browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const user = new BrowserUser(name, context, page, this.broker);
    if (passkey) await user.addVirtualAuthenticator();
    return user;
  }

  async close() {
    await this.browser.close().catch(() => {});
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

// One person's tab, with everything that would be wrong whatever the scenario: uncaught script
// errors, Content-Security-Policy violations (e.g. inline script or style), dialogs, and secrets
// in any URL the page loads.
export class BrowserUser {
  constructor(name, context, page, broker) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.broker = broker;
    this.pageErrors = [];
    this.cspViolations = [];
    this.dialogs = [];
    this.urls = [];
    this.challengeAsks = [];  // { url, body } of each POST .../webauthn/begin for a request
    this.secrets = [];
    page.on('pageerror', (error) => this.pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) this.cspViolations.push(message.text());
    });
    page.on('dialog', (dialog) => {
      this.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on('request', (request) => {
      this.urls.push(request.url());
      if (/\/v1\/requests\/[^/]+\/webauthn\/begin$/.test(new URL(request.url()).pathname)) {
        this.challengeAsks.push({ url: request.url(), body: request.postData() });
      }
    });
    // Every session token and CSRF token the page receives; none may show up in a URL.
    page.on('response', async (response) => {
      if (!/\/v1\/(login|webauthn\/login\/finish)$/.test(new URL(response.url()).pathname)) return;
      try {
        const body = await response.json();
        if (body.token) this.secrets.push(body.token);
        // The page's session arrives as the cookie only (never `token` in the body).
        const cookie = /__Host-jit_session=([^;]+)/.exec((await response.allHeaders())['set-cookie'] || '');
        if (cookie) this.secrets.push(cookie[1]);
        if (body.csrf_token) {
          this.secrets.push(body.csrf_token);
          this.csrfToken = body.csrf_token;
        }
      } catch {
        // Not JSON: the login failed; the test sees that on the page.
      }
    });
  }

  async addVirtualAuthenticator() {
    this.cdp = await this.context.newCDPSession(this.page);
    await this.cdp.send('WebAuthn.enable');
    const { authenticatorId } = await this.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    this.authenticatorId = authenticatorId;
  }

  // The credentials the virtual authenticator holds (id, rpId, signCount, ...).
  async passkeys() {
    const { credentials } = await this.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: this.authenticatorId,
    });
    return credentials;
  }

  // Problems seen so far, as lines; empty when the page behaved.
  problems() {
    const lines = [
      ...this.pageErrors.map((e) => `script error: ${e}`),
      ...this.cspViolations.map((v) => `CSP violation: ${v}`),
      ...this.dialogs.map((d) => `dialog: ${d}`),
    ];
    for (const url of this.urls) {
      for (const secret of this.secrets) {
        if (secret && url.includes(secret)) lines.push(`secret in URL: ${url}`);
      }
    }
    return lines;
  }
}
