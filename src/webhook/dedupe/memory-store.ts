/**
 * In-process dedupe store (the default): a Map bounded in size, with expiry checked on read and the
 * oldest entries swept on write. Answers synchronously, so the webhook's hot path awaits nothing real.
 */
import { InvalidOptionError } from '../../errors.js';
import type { DedupeRecord, DedupeStore } from './store.js';

/** Default bound on remembered deliveries. */
export const DEFAULT_DEDUPE_MAX_ENTRIES = 10_000;

/** Options of {@link MemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /** Most deliveries remembered; the oldest are dropped first. @default 10000 */
  maxEntries?: number;
}

interface Entry {
  state: 'pending' | 'done';
  body: string;
  leaseUntil: number;
  expiresAt: number;
  record: DedupeRecord;
}

const PENDING: DedupeRecord = Object.freeze({ state: 'pending' });
// Expired entries swept per write; with a constant TTL the Map's insertion order is expiry order.
const SWEEP_PER_WRITE = 4;

/** Dedupe store in this process's memory. */
export class MemoryDedupeStore implements DedupeStore {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_DEDUPE_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 1) throw new InvalidOptionError('maxEntries', 'a positive integer');
    this.#max = max;
  }

  /** Number of entries held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size;
  }

  claim(key: string, now: number, leaseMs: number, ttlMs: number): DedupeRecord | null {
    const live = this.get(key, now);
    if (live !== null) return live;
    this.#write(key, { state: 'pending', body: '', leaseUntil: now + leaseMs, expiresAt: now + ttlMs, record: PENDING }, now);
    return null;
  }

  complete(key: string, body: string, now: number, ttlMs: number): void {
    this.#write(key, { state: 'done', body, leaseUntil: 0, expiresAt: now + ttlMs, record: { state: 'done', body } }, now);
  }

  get(key: string, now: number): DedupeRecord | null {
    const e = this.#entries.get(key);
    if (e === undefined) return null;
    if (e.expiresAt <= now || (e.state === 'pending' && e.leaseUntil <= now)) {
      this.#entries.delete(key);
      return null;
    }
    return e.record;
  }

  #write(key: string, entry: Entry, now: number): void {
    const entries = this.#entries;
    entries.delete(key); // re-insert at the end so insertion order stays expiry order
    let swept = 0;
    for (const [k, e] of entries) {
      if (swept >= SWEEP_PER_WRITE || (e.expiresAt > now && entries.size < this.#max)) break;
      entries.delete(k);
      swept++;
    }
    entries.set(key, entry);
  }
}
