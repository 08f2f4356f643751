/**
 * The cross-process refresh lease: one holder refreshes, the others wait for what it saves.
 *
 * {@link RefreshLease.take} tries to take the lease, and while another instance holds it re-reads the
 * store every `pollMs` (through `poll`) for a bounded time, adopting what the holder saved. A store
 * that cannot lease right now (outage) is reported as `error`, and the caller refreshes without it
 * rather than fail. A crashed holder's lease expires after its TTL, which is shorter than the wait.
 */
import type { BoundStore } from './store-adapter.js';

/** Options of {@link RefreshLease}. */
export interface RefreshLeaseOptions {
  lease: NonNullable<BoundStore['lease']>;
  owner: string;
  ttlMs: number;
  waitMs: number;
  pollMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** True once the manager is closing (stop waiting). */
  closed(): boolean;
  onError(operation: 'acquireLease' | 'releaseLease', err: unknown): void;
}

/** How taking the lease ended. */
export type LeaseOutcome<T> =
  /** This instance holds the lease: refresh, then {@link RefreshLease.release}. */
  | { readonly state: 'held' }
  /** The store failed to lease: refresh without it. */
  | { readonly state: 'error' }
  /** `poll` found what the holder saved. */
  | { readonly state: 'adopted'; readonly value: T }
  /** Waited the whole `waitMs` (or closed meanwhile) without the lease or a value. */
  | { readonly state: 'timedOut' };

/** The lease of one manager. */
export class RefreshLease {
  readonly #o: RefreshLeaseOptions;
  #held = false;

  constructor(options: RefreshLeaseOptions) {
    this.#o = options;
  }

  /** Take the lease, waiting (and polling the store) while another instance holds it. */
  async take<T>(poll: () => Promise<T | undefined>): Promise<LeaseOutcome<T>> {
    let outcome = await this.#acquire();
    const maxPolls = Math.ceil(this.#o.waitMs / this.#o.pollMs);
    for (let polls = 0; outcome === 'busy'; polls++) {
      if (polls >= maxPolls || this.#o.closed()) return { state: 'timedOut' };
      await this.#o.sleep(this.#o.pollMs);
      const value = await poll();
      if (value !== undefined) return { state: 'adopted', value };
      outcome = await this.#acquire();
    }
    return { state: outcome };
  }

  /** Give the lease back if this instance holds it (a failure is reported; the lease then expires). */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    try {
      await this.#o.lease.release(this.#o.owner);
    } catch (err) {
      this.#o.onError('releaseLease', err);
    }
  }

  async #acquire(): Promise<'held' | 'busy' | 'error'> {
    try {
      const ok = await this.#o.lease.acquire({ owner: this.#o.owner, now: this.#o.now(), ttlMs: this.#o.ttlMs });
      if (ok) this.#held = true;
      return ok ? 'held' : 'busy';
    } catch (err) {
      this.#o.onError('acquireLease', err);
      return 'error';
    }
  }
}
