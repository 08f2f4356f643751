/**
 * Binds each signed query (timestamp, nonce, signature) to the body first delivered with it.
 *
 * In plain and compatible mode the signature covers the Token, timestamp and nonce only, not the
 * body (docs/protocol.md): whoever sees one genuine push URL (a proxy's access log, an http://
 * callback) could post any body with that query until the timestamp leaves the window. Here the
 * first body seen with a query is remembered (a SHA-256, not the body) until then; WeChat's own
 * re-deliveries (same query, same body) pass, a different body is refused. The binding lives in the
 * dedupe store, so with MongoDB every instance sees it. Safe mode needs none of this to be safe: its
 * `msg_signature` covers the ciphertext.
 */
import { createHash } from 'node:crypto';
import type { DedupeRecord, DedupeStore } from './dedupe/store.js';

/** What {@link ReplayGuard.check} found. */
export type ReplayVerdict = 'first' | 'same' | 'different';

/** The reason a refused replay is answered with. */
export const REPLAY_REASON = 'signature already used with a different body';

/** Slack added to a binding's life so clocks a little apart still see it, ms. */
const BINDING_SLACK_MS = 60_000;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Replay binding over a {@link DedupeStore}. */
export class ReplayGuard {
  readonly #store: DedupeStore;
  readonly #windowMs: number;

  /** `windowSeconds`: the timestamp window the webhook accepts (a binding must outlive it). */
  constructor(store: DedupeStore, windowSeconds: number) {
    this.#store = store;
    this.#windowMs = windowSeconds * 1000;
  }

  /**
   * Check `body` against the body first seen with this query, binding it if it is the first.
   * Synchronous when the store is.
   */
  check(query: { timestamp: string; nonce: string; signature: string }, body: string, now: number): ReplayVerdict | Promise<ReplayVerdict> {
    // Fixed-size key and value, whatever the input's size.
    const key = `replay|${sha256(`${query.timestamp}\u0000${query.nonce}\u0000${query.signature}`)}`;
    const digest = sha256(body);
    // Until the timestamp leaves the window on either side, plus slack.
    const ttlMs = Math.max(BINDING_SLACK_MS, Number(query.timestamp) * 1000 + this.#windowMs - now + BINDING_SLACK_MS);
    const claimed = this.#store.claim(key, now, ttlMs, ttlMs);
    const decide = (held: DedupeRecord | null): ReplayVerdict | Promise<ReplayVerdict> => {
      if (held === null) {
        const done = this.#store.complete(key, digest, now, ttlMs);
        return done instanceof Promise ? done.then(() => 'first' as const) : 'first';
      }
      // Pending: bound by a concurrent first delivery whose digest is not written yet. WeChat never
      // sends a query twice at once, so a body racing the first one is not a re-delivery.
      return held.state === 'done' && held.body === digest ? 'same' : 'different';
    };
    return claimed instanceof Promise ? claimed.then(decide) : decide(claimed);
  }
}
