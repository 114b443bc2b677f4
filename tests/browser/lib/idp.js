// The run's OpenID provider (tests/sso/test_idp.js, npm oidc-provider over TLS on 127.0.0.1),
// started by run.sh, which exports where it is: JIT_SSO_ISSUER, JIT_SSO_CA_FILE (its self-signed
// certificate, which Chromium and the broker trust) and JIT_SSO_CLIENT_SECRET_FILE.
import fs from 'node:fs';
import https from 'node:https';

export const idp = {
  issuer: process.env.JIT_SSO_ISSUER,
  caFile: process.env.JIT_SSO_CA_FILE,
  clientSecretFile: process.env.JIT_SSO_CLIENT_SECRET_FILE,
};

export function requireIdp() {
  if (!idp.issuer || !idp.caFile || !idp.clientSecretFile) {
    throw new Error('no test OpenID provider: run the browser tests through tests/browser/run.sh');
  }
}

// broker.yaml's sso section: the provider "corp", its groups mapped to idp policy groups, and
// the callback on the page's own origin (where the binding cookie and the passkeys live).
export function ssoSection(origin) {
  return [
    'sso:',
    '  providers:',
    '    - name: corp',
    '      display_name: Corp IdP',
    `      issuer: ${idp.issuer}`,
    '      client_id: jit-broker',
    `      client_secret_file: ${idp.clientSecretFile}`,
    '      scopes: [openid, profile, email, groups]',
    '      group_map: { idp-sre-leads: sre-leads }',
    '      mfa_amr: [otp]',
    `      redirect_uri: ${origin}/v1/auth/sso/corp/callback`,
    `      ca_file: ${idp.caFile}`,
  ];
}

// The provider's test control (tests/sso/test_idp.js), e.g. { users: {...} }.
export function idpControl(change) {
  const body = Buffer.from(JSON.stringify(change));
  const secret = fs.readFileSync(idp.clientSecretFile, 'utf8').trim();
  const url = new URL('/test-control', idp.issuer);
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        ca: fs.readFileSync(idp.caFile),
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
        timeout: 10_000,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve()
            : reject(new Error(`test control answered ${response.statusCode}: ${text}`)));
      },
    );
    request.on('timeout', () => request.destroy(new Error('test control timed out')));
    request.on('error', reject);
    request.end(body);
  });
}
