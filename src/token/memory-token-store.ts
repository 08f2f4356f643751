/**
 * In-process token store: for tests and single-process deployments. Several `Wechat` instances in one
 * process may share one instance (its lease then serialises their refreshes).
 */
import { freezeToken, isStoredToken, type LeaseRequest, type StoredToken, type TokenStore } from './types.js';
import { InvalidOptionError } from '../errors.js';

/** A {@link TokenStore} held in process memory. */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, StoredToken>();
  readonly #leases = new Map<string, { owner: string; expiresAt: number }>();

  get(appid: string): StoredToken | null {
    return this.#tokens.get(appid) ?? null;
  }

  save(appid: string, token: StoredToken): void {
    if (!isStoredToken(token)) throw new InvalidOptionError('token', '{ access_token, expires_at, fetched_at }');
    const existing = this.#tokens.get(appid);
    if (existing && existing.fetched_at > token.fetched_at) return;
    this.#tokens.set(appid, freezeToken(token));
  }

  invalidate(appid: string, rejected: string): boolean {
    if (this.#tokens.get(appid)?.access_token !== rejected) return false;
    this.#tokens.delete(appid);
    return true;
  }

  acquireLease(appid: string, lease: LeaseRequest): boolean {
    const held = this.#leases.get(appid);
    if (held && held.owner !== lease.owner && held.expiresAt > lease.now) return false;
    this.#leases.set(appid, { owner: lease.owner, expiresAt: lease.now + lease.ttlMs });
    return true;
  }

  releaseLease(appid: string, owner: string): void {
    if (this.#leases.get(appid)?.owner === owner) this.#leases.delete(appid);
  }
}
