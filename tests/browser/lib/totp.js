// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps), the parameters the broker's otpauth:// URIs
// announce. The broker accepts each code once and accepts the step before and after the current
// one, so TotpClock hands every user a step they have not used yet, and waits only when a user
// would need a third code inside one 30 s step.
import crypto from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text) {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of clean) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// The code of one 30 s step (counter = floor(unix time / 30)).
export function totpAtStep(secret, step, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function secretFromOtpauthUri(uri) {
  const parsed = new URL(uri.trim());
  if (parsed.protocol !== 'otpauth:') throw new Error(`not an otpauth URI: ${uri}`);
  const secret = parsed.searchParams.get('secret');
  if (!secret) throw new Error('otpauth URI without secret');
  return base32Decode(secret);
}

const currentStep = () => Math.floor(Date.now() / 1000 / 30);

export class TotpClock {
  #secrets = new Map();
  #lastStep = new Map();

  addUser(user, secret) {
    this.#secrets.set(user, secret);
  }

  // A 6-digit code that is wrong for `user` now: none of the steps the broker could accept.
  wrongCode(user) {
    const secret = this.#secrets.get(user);
    const now = currentStep();
    const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpAtStep(secret, now + d)));
    for (let candidate = 0; ; candidate += 111_111) {
      const code = String(candidate % 1_000_000).padStart(6, '0');
      if (!valid.has(code)) return code;
    }
  }

  // A code `user` has not used yet.
  async code(user) {
    const secret = this.#secrets.get(user);
    if (!secret) throw new Error(`no TOTP secret for ${user}`);
    const step = Math.max(currentStep(), (this.#lastStep.get(user) ?? -1) + 1);
    while (step > currentStep() + 1) await new Promise((resolve) => setTimeout(resolve, 500));
    this.#lastStep.set(user, step);
    return totpAtStep(secret, step);
  }
}
