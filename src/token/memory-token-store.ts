/**
 * In-process token store: for tests and single-process deployments. Several `Wechat` instances in one
 * process may share one instance (its lease then serialises their refreshes), or hold separate
 * instances over the same data (`shareWith`), the way separate processes hold separate stores over
 * one database.
 */
import { freezeToken, isStoredToken, leaseIsLive, type LeaseRequest, type StoredToken, type TokenStore } from './types.js';
import { InvalidOptionError } from '../errors.js';

/** Options of {@link MemoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /** Keep tokens and leases in the same memory as this store. @default a store of its own */
  shareWith?: MemoryTokenStore;
}

/** A {@link TokenStore} held in process memory. */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens: Map<string, StoredToken>;
  readonly #leases: Map<string, { owner: string; expiresAt: number }>;

  constructor(options: MemoryTokenStoreOptions = {}) {
    const other = options.shareWith;
    if (other !== undefined && !(other instanceof MemoryTokenStore)) throw new InvalidOptionError('shareWith', 'a MemoryTokenStore');
    this.#tokens = other ? other.#tokens : new Map();
    this.#leases = other ? other.#leases : new Map();
  }

  get(appId: string): StoredToken | null {
    return this.#tokens.get(appId) ?? null;
  }

  save(appId: string, token: StoredToken): void {
    if (!isStoredToken(token)) throw new InvalidOptionError('token', '{ access_token, expires_at, fetched_at }');
    const existing = this.#tokens.get(appId);
    if (existing && existing.fetched_at > token.fetched_at) return;
    this.#tokens.set(appId, freezeToken(token));
  }

  invalidate(appId: string, rejected: string): boolean {
    if (this.#tokens.get(appId)?.access_token !== rejected) return false;
    this.#tokens.delete(appId);
    return true;
  }

  acquireLease(appId: string, lease: LeaseRequest): boolean {
    const held = this.#leases.get(appId);
    if (held && held.owner !== lease.owner && leaseIsLive(held.expiresAt, lease)) return false;
    this.#leases.set(appId, { owner: lease.owner, expiresAt: lease.now + lease.ttlMs });
    return true;
  }

  releaseLease(appId: string, owner: string): void {
    if (this.#leases.get(appId)?.owner === owner) this.#leases.delete(appId);
  }
}
