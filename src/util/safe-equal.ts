/**
 * Constant-time comparisons of secrets and digests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string equality for secrets of any length. Both sides are hashed first so neither the
 * content nor the length of the expected value leaks through timing.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Constant-time equality of two hex digests: no early exit, so the time does not depend on where they
 * differ. Only a length difference returns early, and a sha1 digest's length (40) is public. Cheaper
 * than {@link safeEqual}'s two extra hashes on the webhook's hot path.
 */
export function digestEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
