// Conversion between the broker's JSON WebAuthn options (binary values as unpadded base64url) and
// the browser's navigator.credentials API (ArrayBuffers), in both directions.

export function bytesFromB64url(text) {
  const b64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function b64urlFromBytes(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function supported() {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

function descriptors(list) {
  return (list || []).map((d) => ({ type: d.type, id: bytesFromB64url(d.id) }));
}

// Request options from /v1/webauthn/login/begin, /v1/webauthn/presence/begin or
// /v1/requests/{id}/webauthn/begin -> the `webauthn` object the broker's `mfa` expects.
export async function assert(options) {
  const publicKey = {
    challenge: bytesFromB64url(options.challenge),
    rpId: options.rpId,
    timeout: options.timeout,
    userVerification: options.userVerification,
    allowCredentials: descriptors(options.allowCredentials),
  };
  const credential = await navigator.credentials.get({ publicKey });
  if (!credential) throw new Error('no passkey was used');
  const response = credential.response;
  const handle = response.userHandle;
  return {
    credential_id: b64urlFromBytes(credential.rawId),
    client_data_json: b64urlFromBytes(response.clientDataJSON),
    authenticator_data: b64urlFromBytes(response.authenticatorData),
    signature: b64urlFromBytes(response.signature),
    user_handle: handle && handle.byteLength > 0 ? b64urlFromBytes(handle) : null,
  };
}

// Creation options from /v1/webauthn/register/begin -> the body of /v1/webauthn/register/finish.
export async function create(options) {
  const publicKey = {
    challenge: bytesFromB64url(options.challenge),
    rp: options.rp,
    user: {
      id: bytesFromB64url(options.user.id),
      name: options.user.name,
      displayName: options.user.displayName,
    },
    pubKeyCredParams: options.pubKeyCredParams,
    timeout: options.timeout,
    attestation: options.attestation,
    excludeCredentials: descriptors(options.excludeCredentials),
    authenticatorSelection: options.authenticatorSelection,
  };
  const credential = await navigator.credentials.create({ publicKey });
  if (!credential) throw new Error('no passkey was created');
  return {
    client_data_json: b64urlFromBytes(credential.response.clientDataJSON),
    attestation_object: b64urlFromBytes(credential.response.attestationObject),
  };
}
