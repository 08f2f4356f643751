/**
 * A fixed-window counter per client address, bounded in the number of addresses it tracks: the rate
 * limit of the service's routes (the token service counts failed secrets, the JS-SDK routes count
 * every request).
 */

/** Default bound on tracked addresses. */
export const MAX_TRACKED_CLIENTS = 10_000;

/** Counts hits per address in windows of `windowMs`; past `limit` the address is blocked until its window ends. */
export class AddressRateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #maxTracked: number;
  readonly #entries = new Map<string, { count: number; resetAt: number }>();

  constructor(options: { limit: number; windowMs: number; now?: () => number; maxTracked?: number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
    this.#maxTracked = options.maxTracked ?? MAX_TRACKED_CLIENTS;
  }

  /** Ms until `client` may try again, or undefined when it is not blocked. Does not count. */
  blockedFor(client: string): number | undefined {
    const t = this.#now();
    const entry = this.#entries.get(client);
    if (entry && entry.resetAt <= t) this.#entries.delete(client);
    const current = this.#entries.get(client);
    return current && current.count >= this.#limit ? current.resetAt - t : undefined;
  }

  /** Count one hit of `client`. */
  hit(client: string): void {
    // Evict the oldest entry (Map keeps insertion order) rather than clearing every counter,
    // which would let a flood of addresses reset the limit of the one being attacked from.
    if (!this.#entries.has(client) && this.#entries.size >= this.#maxTracked) this.#entries.delete(this.#entries.keys().next().value as string);
    const e = this.#entries.get(client) ?? { count: 0, resetAt: this.#now() + this.#windowMs };
    e.count++;
    this.#entries.set(client, e);
  }

  /** Count one hit and answer whether it is allowed (the ms to wait when not). */
  take(client: string): number | undefined {
    const blocked = this.blockedFor(client);
    if (blocked !== undefined) return blocked;
    this.hit(client);
    return undefined;
  }
}
