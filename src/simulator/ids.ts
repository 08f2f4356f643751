/**
 * Identifiers of simulated pushes: 64-bit MsgIds above 2^53 (as decimal strings), nonces, openids.
 */
import { randomBytes, randomInt } from 'node:crypto';

const TWO_POW_60 = 1n << 60n;

/**
 * A 64-bit MsgId in [2^60, 2^63) as a decimal string that a JS number cannot hold: doubles in that
 * range are spaced 256 or more apart, so an odd value never survives `Number()`. (A plain random value
 * sometimes does, which let a client that parses MsgId as a number pass by luck.)
 */
export function newSimMsgId(): string {
  return ((TWO_POW_60 + (randomBytes(8).readBigUInt64BE(0) % ((1n << 63n) - TWO_POW_60))) | 1n).toString();
}

/** A numeric nonce as WeChat sends it (9-10 digits). */
export function newNonce(): string {
  return String(randomInt(100_000_000, 2_147_483_647));
}

/** An openid-shaped random id (28 characters). */
export function newOpenId(): string {
  return `o${randomBytes(21).toString('base64url').slice(0, 27)}`;
}
