/**
 * In-process dedupe store (the default). Answers synchronously, so the webhook's hot path awaits
 * nothing real.
 *
 * Two generations of Maps (the quick-lru scheme): writes go to `current`; when it holds half of
 * `maxEntries` it becomes `previous` and the old `previous` is dropped whole. Every operation is O(1)
 * and the size never exceeds `maxEntries`, nor the estimated bytes `maxBytes`. (A single Map trimmed
 * from its head is slower: deleted slots stay in V8's table and every walk from the head steps over
 * them.) Expiry is checked on read.
 *
 * Sizing: a delivery must be remembered until WeChat's last retry, about 15 s after the first try
 * (docs/protocol.md). At the measured peak of 8,430 pushes/s that is ~126,000 deliveries, so one
 * generation (half the bound) holds 130,000 by default. Dropping a generation that still holds live
 * entries is an early eviction: counted, and reported through `onEarlyEviction`.
 */
import { checkInteger } from '../../util/validate.js';
import type { DedupeRecord, DedupeStore } from './store.js';

/** Default bound on remembered deliveries (two generations of 130,000: see the sizing above). */
export const DEFAULT_DEDUPE_MAX_ENTRIES = 260_000;
/** Default bound on the estimated bytes held (keys are 43-character digests; bodies are reply XML). */
export const DEFAULT_DEDUPE_MAX_BYTES = 128 * 2 ** 20;
/** Estimated bytes of an entry besides its key and body (Map slot, entry and record objects). */
const ENTRY_OVERHEAD_BYTES = 96;

/** Options of {@link MemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /**
   * Most deliveries remembered. When traffic exceeds it within the TTL, the oldest half is forgotten
   * early. @default 10000
   */
  maxEntries?: number;
  /** Most estimated bytes held (keys, bodies and per-entry overhead). @default DEFAULT_DEDUPE_MAX_BYTES */
  maxBytes?: number;
  /** Called with the number of live (unexpired) entries dropped before their time. */
  onEarlyEviction?: (count: number) => void;
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
  #currentBytes = 0;
  #previousBytes = 0;
  #earlyEvictions = 0;
  #lastNow = 0;
  readonly #generationSize: number;
  readonly #generationBytes: number;
  readonly #onEarlyEviction: ((count: number) => void) | undefined;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const max = checkInteger('maxEntries', options.maxEntries, { min: 2 }) ?? DEFAULT_DEDUPE_MAX_ENTRIES;
    const maxBytes = checkInteger('maxBytes', options.maxBytes, { min: 2048 }) ?? DEFAULT_DEDUPE_MAX_BYTES;
    this.#generationSize = Math.floor(max / 2);
    this.#generationBytes = Math.floor(maxBytes / 2);
    this.#onEarlyEviction = options.onEarlyEviction;
  }

  /** Number of entries held (expired ones included until their generation is dropped). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#currentBytes + this.#previousBytes;
  }

  /** Live entries dropped before their time so far (the bound was too small for the traffic). */
  get earlyEvictions(): number {
    return this.#earlyEvictions;
  }

  claim(key: string, now: number, leaseMs: number, ttlMs: number): DedupeRecord | null {
    this.#lastNow = now;
    const live = this.get(key, now);
    if (live !== null) return live;
    this.#write(key, { record: PENDING, leaseUntil: now + leaseMs, expiresAt: now + ttlMs });
    return null;
  }

  complete(key: string, body: string, now: number, ttlMs: number): void {
    this.#lastNow = now;
    this.#write(key, { record: { state: 'done', body }, leaseUntil: 0, expiresAt: now + ttlMs });
  }

  get(key: string, now: number): DedupeRecord | null {
    const e = this.#current.get(key) ?? this.#previous.get(key);
    if (e === undefined) return null;
    if (e.expiresAt <= now || (e.record === PENDING && e.leaseUntil <= now)) return null;
    return e.record;
  }

  #write(key: string, entry: Entry): void {
    const bytes = key.length + (entry.record.state === 'done' ? entry.record.body.length : 0) + ENTRY_OVERHEAD_BYTES;
    const old = this.#current.get(key);
    if (old !== undefined) {
      this.#currentBytes -= entryBytes(key, old);
      if (this.#currentBytes + bytes <= this.#generationBytes) {
        this.#current.set(key, entry);
        this.#currentBytes += bytes;
        return;
      }
      // Grown past the generation's bytes (a claim completed with a large body): rewrite it as new.
      this.#current.delete(key);
    }
    const previous = this.#previous.get(key);
    if (previous !== undefined) {
      this.#previous.delete(key);
      this.#previousBytes -= entryBytes(key, previous);
    }
    if (this.#current.size >= this.#generationSize || this.#currentBytes + bytes > this.#generationBytes) this.#rotate();
    this.#current.set(key, entry);
    this.#currentBytes += bytes;
  }

  #rotate(): void {
    // O(generation) once per generation: O(1) per write on average.
    let live = 0;
    for (const e of this.#previous.values()) if (e.expiresAt > this.#lastNow) live++;
    this.#previous = this.#current;
    this.#previousBytes = this.#currentBytes;
    this.#current = new Map();
    this.#currentBytes = 0;
    if (live > 0) {
      this.#earlyEvictions += live;
      this.#onEarlyEviction?.(live);
    }
  }
}

function entryBytes(key: string, e: Entry): number {
  return key.length + (e.record.state === 'done' ? e.record.body.length : 0) + ENTRY_OVERHEAD_BYTES;
}
