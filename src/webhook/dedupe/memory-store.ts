/**
 * In-process dedupe store (the default). Answers synchronously, so the webhook's hot path awaits
 * nothing real.
 *
 * Two generations of Maps (the quick-lru scheme): writes go to `current`; when it holds half of
 * `maxEntries` it becomes `previous` and the old `previous` is dropped whole. Every operation is O(1)
 * and the size never exceeds `maxEntries`. (A single Map trimmed from its head is slower: deleted
 * slots stay in V8's table and every walk from the head steps over them.) Expiry is checked on read.
 */
import { checkInteger } from '../../util/validate.js';
import type { DedupeRecord, DedupeStore } from './store.js';

/** Default bound on remembered deliveries. */
export const DEFAULT_DEDUPE_MAX_ENTRIES = 10_000;

/** Options of {@link MemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /**
   * Most deliveries remembered. When traffic exceeds it within the TTL, the oldest half is forgotten
   * early. @default 10000
   */
  maxEntries?: number;
}

interface Entry {
  /** `pending` until completed. */
  readonly record: DedupeRecord;
  /** Pending entries: when another claimer may take over (the owner is presumed dead). */
  readonly leaseUntil: number;
  readonly expiresAt: number;
}

const PENDING: DedupeRecord = Object.freeze({ state: 'pending' });

/** Dedupe store in this process's memory. */
export class MemoryDedupeStore implements DedupeStore {
  #current = new Map<string, Entry>();
  #previous = new Map<string, Entry>();
  readonly #generationSize: number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const max = checkInteger('maxEntries', options.maxEntries, { min: 2 }) ?? DEFAULT_DEDUPE_MAX_ENTRIES;
    this.#generationSize = Math.floor(max / 2);
  }

  /** Number of entries held (expired ones included until their generation is dropped). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  claim(key: string, now: number, leaseMs: number, ttlMs: number): DedupeRecord | null {
    const live = this.get(key, now);
    if (live !== null) return live;
    this.#write(key, { record: PENDING, leaseUntil: now + leaseMs, expiresAt: now + ttlMs });
    return null;
  }

  complete(key: string, body: string, now: number, ttlMs: number): void {
    this.#write(key, { record: { state: 'done', body }, leaseUntil: 0, expiresAt: now + ttlMs });
  }

  get(key: string, now: number): DedupeRecord | null {
    const e = this.#current.get(key) ?? this.#previous.get(key);
    if (e === undefined) return null;
    if (e.expiresAt <= now || (e.record === PENDING && e.leaseUntil <= now)) return null;
    return e.record;
  }

  #write(key: string, entry: Entry): void {
    if (this.#current.has(key)) {
      this.#current.set(key, entry);
      return;
    }
    this.#previous.delete(key);
    if (this.#current.size >= this.#generationSize) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, entry);
  }
}
