/**
 * Identifiers of simulated pushes: 64-bit MsgIds above 2^53 (as decimal strings), nonces, openids.
 */
import { randomBytes, randomInt } from 'node:crypto';

const TWO_POW_60 = 1n << 60n;

/** A 64-bit MsgId in [2^60, 2^63) as a decimal string: a JS number would lose its last digits. */
export function newSimMsgId(): string {
  return (TWO_POW_60 + (randomBytes(8).readBigUInt64BE(0) % ((1n << 63n) - TWO_POW_60))).toString();
}

/** A numeric nonce as WeChat sends it (9-10 digits). */
export function newNonce(): string {
  return String(randomInt(100_000_000, 2_147_483_647));
}

/** An openid-shaped random id (28 characters). */
export function newOpenId(): string {
  return `o${randomBytes(21).toString('base64url').slice(0, 27)}`;
}
