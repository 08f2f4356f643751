/**
 * Every access token the emulator has issued, of both kinds, so a token-authenticated call can be
 * answered with the right errcode (valid, 40001 superseded/invalidated, 42001 expired, 40001 unknown).
 */
import { MAX_REMEMBERED_TOKENS } from './constants.js';

/** Which endpoint issued a token. The two kinds never affect each other. */
export type TokenKind = 'token' | 'stable_token';

/** One issued token. Times are emulated ms. */
export interface TokenRecord {
  readonly token: string;
  readonly appId: string;
  readonly kind: TokenKind;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** /cgi-bin/token issued a newer token at this time; this one works for the grace period after it. */
  supersededAt?: number;
  /** force_refresh invalidated this token at this time. */
  invalidatedAt?: number;
}

/** State of a token at some instant. */
export type TokenStatus = 'valid' | 'superseded' | 'invalidated' | 'expired';

/** The status of `record` at `now`, with a grace of `graceMs` after being superseded. */
export function tokenStatus(record: TokenRecord, now: number, graceMs: number): TokenStatus {
  if (record.invalidatedAt !== undefined && now >= record.invalidatedAt) return 'invalidated';
  if (record.supersededAt !== undefined && now >= record.supersededAt + graceMs) return 'superseded';
  if (now >= record.expiresAt) return 'expired';
  return 'valid';
}

/** Issued tokens by value; bounded (the oldest are forgotten beyond {@link MAX_REMEMBERED_TOKENS}). */
export class TokenRegistry {
  readonly #tokens = new Map<string, TokenRecord>();

  add(record: TokenRecord): void {
    this.#tokens.set(record.token, record);
    if (this.#tokens.size > MAX_REMEMBERED_TOKENS) {
      const oldest = this.#tokens.keys().next();
      if (!oldest.done) this.#tokens.delete(oldest.value);
    }
  }

  get(token: string): TokenRecord | undefined {
    return this.#tokens.get(token);
  }

  clear(): void {
    this.#tokens.clear();
  }
}
