/**
 * Random identifiers as WeChat shapes them: access tokens, request ids, 64-bit message ids.
 */
import { randomBytes, randomInt } from 'node:crypto';

/** Characters an access_token may contain; anything else answers 40014. */
export const ACCESS_TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/**
 * A new access token: a two-digit prefix, `_`, then 134 base64url characters (137 in all; real ones
 * are 130-160 and WeChat asks to reserve 512).
 */
export function newAccessToken(): string {
  return `${randomInt(10, 100)}_${randomBytes(100).toString('base64url')}`;
}

/** `xxxxxxxx-xxxxxxxx-xxxxxxxx` in random hex, the shape of WeChat's `rid:` suffix. */
export function newRid(): string {
  const hex = randomBytes(12).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`;
}

const TWO_POW_60 = 1n << 60n;

/** A random 64-bit id in [2^60, 2^63): always above 2^53, so a JS number would lose digits. */
export function newMsgId(): bigint {
  return TWO_POW_60 + (randomBytes(8).readBigUInt64BE(0) % ((1n << 63n) - TWO_POW_60));
}
