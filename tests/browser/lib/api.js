// The broker's JSON API from node, over HTTPS that trusts only the broker's own dev certificate.
// Used to set up scenarios (alice's requests) and to check, independently of the page, what the
// page claims.
import https from 'node:https';
import { passwordOf } from './broker.js';

export function apiCall(broker, method, target, { token, body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const request = https.request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: broker.port,
        method,
        path: target,
        ca: broker.certificate(),
        headers: {
          host: `localhost:${broker.port}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        timeout: 15_000,
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode, headers: response.headers, text, json });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${target} timed out`)));
    request.on('error', reject);
    if (payload) request.write(payload);
    request.end();
  });
}

// Like apiCall, but the status must be `expected`; answers the JSON body.
export async function api(broker, method, target, options = {}, expected = 200) {
  const answer = await apiCall(broker, method, target, options);
  if (answer.status !== expected) {
    throw new Error(`${method} ${target}: expected ${expected}, got ${answer.status}: ${answer.text}`);
  }
  return answer.json;
}

// A bearer token for `user` (password + TOTP).
export async function apiLogin(broker, user) {
  const answer = await api(broker, 'POST', '/v1/login', {
    body: { user, password: passwordOf(user), mfa: { totp: await broker.totp.code(user) } },
  });
  return answer.token;
}

// A pending request of `token`'s user, created through the API (MFA fresh from the login).
export function createRequest(broker, token, { reason, ticket = 'OPS-42', duration = '30m' }) {
  return api(
    broker,
    'POST',
    '/v1/requests',
    { token, body: { role: 'prod-db-read', reason, ticket, duration } },
    201,
  );
}
