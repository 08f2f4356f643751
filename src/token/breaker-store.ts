/**
 * A circuit breaker in front of a shared token store (the MongoDB one): while the connection is known
 * to be down, token work skips the store instead of waiting for one operation timeout per call.
 *
 * The store counts as down when the connection's `readyState` is not 1 (connected), or for
 * `coolOffMs` after a store call failed with a TokenStoreError; after the cool-off the next call goes through as a probe
 * (success closes the breaker, failure opens it again). While down:
 * - `get` answers null (the manager refreshes from upstream and keeps the token in memory);
 * - `acquireLease` answers true (no cross-process lease is reachable: refresh locally), `releaseLease`
 *   does nothing;
 * - `invalidate` answers false (nothing removed);
 * - `save` fails at once with a TokenStoreError, so the manager's deferred save keeps the token and
 *   retries with backoff until the store is back (src/token/deferred-save.ts).
 * So a refresh during an outage waits for at most the one call that discovers it.
 * Same idea as the webhook dedupe store's fallback (src/webhook/dedupe/fallback-store.ts).
 */
import type { Logger } from '../log/logger.js';
import { noopLogger } from '../log/logger.js';
import { checkPositive } from '../util/validate.js';
import { TokenStoreError } from './errors.js';
import type { LeaseRequest, StoredToken, TokenStore } from './types.js';

/** How long the store is skipped after a failure before it is probed again, ms. */
export const DEFAULT_TOKEN_STORE_COOL_OFF_MS = 5000;

/** The part of a Mongoose `Connection` the breaker reads: 1 means connected. */
export interface ConnectionState {
  readonly readyState: number;
}

/** Options of {@link BreakerTokenStore}. */
export interface BreakerTokenStoreOptions {
  /** The connection under the store; when its `readyState` is not 1 the store is skipped. */
  connection?: ConnectionState;
  /** Time the store is skipped after a failure. @default DEFAULT_TOKEN_STORE_COOL_OFF_MS */
  coolOffMs?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
  logger?: Logger;
  /** Told when the breaker opens (true) and closes (false). */
  onChange?: (open: boolean) => void;
}

/** A {@link TokenStore} that skips its inner store while it is unreachable. */
export class BreakerTokenStore implements TokenStore {
  readonly #inner: TokenStore;
  readonly #connection: ConnectionState | undefined;
  readonly #coolOffMs: number;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #onChange: ((open: boolean) => void) | undefined;
  #open = false;
  #openUntil = 0;
  /** Declared here so the manager detects the same optional capabilities as the inner store's. */
  readonly invalidate?: (appId: string, rejected: string) => Promise<boolean>;
  readonly acquireLease?: (appId: string, lease: LeaseRequest) => Promise<boolean>;
  readonly releaseLease?: (appId: string, owner: string) => Promise<void>;

  constructor(inner: TokenStore, options: BreakerTokenStoreOptions = {}) {
    this.#inner = inner;
    this.#connection = options.connection;
    this.#coolOffMs = checkPositive('coolOffMs', options.coolOffMs, 'ms') ?? DEFAULT_TOKEN_STORE_COOL_OFF_MS;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? noopLogger;
    this.#onChange = options.onChange;
    if (inner.invalidate) {
      const inv = inner.invalidate.bind(inner);
      this.invalidate = (appId, rejected) => this.#call('invalidate', () => inv(appId, rejected), () => false);
    }
    if (inner.acquireLease && inner.releaseLease) {
      const acquire = inner.acquireLease.bind(inner);
      const release = inner.releaseLease.bind(inner);
      this.acquireLease = (appId, lease) => this.#call('acquireLease', () => acquire(appId, lease), () => true);
      this.releaseLease = (appId, owner) => this.#call('releaseLease', () => release(appId, owner), () => undefined);
    }
  }

  /** True while the store is being skipped (connection down, or cooling off after a failure). */
  get open(): boolean {
    return this.#isDown();
  }

  get(appId: string): Promise<StoredToken | null | undefined> {
    return this.#call('get', () => this.#inner.get(appId), () => null);
  }

  save(appId: string, token: StoredToken): Promise<void> {
    return this.#call('save', () => this.#inner.save(appId, token), () => {
      throw new TokenStoreError('save', 'the store is unreachable; the token is kept in memory and saved when it is back');
    });
  }

  #isDown(): boolean {
    if (this.#connection !== undefined && this.#connection.readyState !== 1) return true;
    return this.#open && this.#now() < this.#openUntil;
  }

  async #call<T>(operation: string, primary: () => T | PromiseLike<T>, whileDown: () => T): Promise<T> {
    if (this.#isDown()) return whileDown();
    try {
      const value = await primary();
      if (this.#open) {
        this.#open = false;
        this.#logger.info({ event: 'token.store_recovered' }, 'token store is reachable again');
        this.#onChange?.(false);
      }
      return value;
    } catch (err) {
      // Only a failure of the store itself (timeout, connection) opens the breaker, not a refused argument.
      if (!(err instanceof TokenStoreError)) throw err;
      this.#openUntil = this.#now() + this.#coolOffMs;
      if (!this.#open) {
        this.#open = true;
        this.#logger.warn(
          { event: 'token.store_unreachable', operation, code: (err as { code?: unknown })?.code },
          `token store failed; skipping it for ${this.#coolOffMs} ms (memory and upstream meanwhile)`,
        );
        this.#onChange?.(true);
      }
      throw err;
    }
  }
}
