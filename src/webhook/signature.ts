/**
 * Webhook signatures: `sha1(sort([...parts]).join(''))` in lowercase hex, and a constant-time check.
 *
 * `signature` signs [Token, timestamp, nonce]; `msg_signature` signs [Token, timestamp, nonce, Encrypt]
 * (../shared/wechat-protocol.md section 4 and 5). The sort is a plain code-unit sort, as WeChat's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** sha1 over the sorted, concatenated parts, lowercase hex. */
export function computeSignature(...parts: string[]): string {
  return createHash('sha1').update(parts.sort().join('')).digest('hex');
}

/**
 * Constant-time string equality. Both sides are hashed first so neither the content nor the
 * length of the expected value leaks through timing.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** True when `provided` is the signature of `parts`. */
export function verifySignature(provided: string | undefined, ...parts: string[]): boolean {
  if (typeof provided !== 'string' || provided.length === 0) return false;
  return safeEqual(provided.toLowerCase(), computeSignature(...parts));
}
