/**
 * MongoDB dedupe store, shared by every instance of the service.
 *
 * One document per delivery with the key as `_id` (so uniqueness needs no extra index):
 * `{ _id, state: 'pending' | 'done', body, leaseUntil, expiresAt }`. Claiming is an insert; a duplicate
 * key error means someone holds it. Expiry does not rely on TTL indexes (FerretDB has none, and
 * MongoDB's TTL monitor runs only once a minute): reads ignore documents past `expiresAt`, stale ones
 * are taken over through a unique marker insert, and an occasional `deleteMany` removes old documents.
 *
 * Uses the driver collection behind the mongoose connection, not a mongoose model, so commands are
 * never buffered while disconnected: a down database fails fast and the webhook falls back.
 *
 * Bounded in bytes: the key is a fixed-size digest (43 characters) and a reply body is kept only up
 * to `maxReplyBytes` (UTF-8); a larger reply is answered in full but stored as `oversize` with no
 * body, so a re-delivery gets `success` and the handler still runs once. A document is thus at most
 * `maxReplyBytes` + {@link DEDUPE_DOC_OVERHEAD_BYTES}, and the collection holds at most the deliveries
 * of TTL + sweep interval + a minute of sweep grace: at 8,430 pushes/s, a 60 s TTL and a 60 s sweep,
 * 1.5 M documents of typically a few hundred bytes, and never more than that many times the bound.
 */
import { randomUUID } from 'node:crypto';
import type mongoose from 'mongoose';
import { InvalidOptionError, WechatMpError } from '../../errors.js';
import { isDuplicateKey } from '../../util/mongo-errors.js';
import { checkInteger, checkString } from '../../util/validate.js';
import type { DedupeRecord, DedupeStore } from './store.js';

/** Default collection name. */
export const DEFAULT_DEDUPE_COLLECTION = 'webhook_dedupe';
/** Default interval between sweeps of expired documents. */
export const DEFAULT_DEDUPE_SWEEP_INTERVAL_MS = 60_000;
/**
 * Default bound on the reply XML one document keeps, bytes. Passive replies are small (a text reply
 * of WeChat's 2,048-byte content limit, or eight news articles, stay well under 16 KB).
 */
export const DEFAULT_DEDUPE_MAX_REPLY_BYTES = 64 * 1024;
/** Bytes of a document besides its reply body (key, state, claim id, two dates, field names). */
export const DEDUPE_DOC_OVERHEAD_BYTES = 200;

/** Options of {@link MongoDedupeStore}. */
export interface MongoDedupeStoreOptions {
  /** @default 'webhook_dedupe' */
  collectionName?: string;
  /** Least time between two `deleteMany` sweeps of expired documents. @default 60000 */
  sweepIntervalMs?: number;
  /** Largest reply body stored, UTF-8 bytes; larger ones are stored as `oversize`. @default DEFAULT_DEDUPE_MAX_REPLY_BYTES */
  maxReplyBytes?: number;
  /** Told of each reply too large to store (its size in bytes). */
  onOversize?: (bytes: number) => void;
}

interface DedupeDoc {
  _id: string;
  state: 'pending' | 'done';
  body: string;
  /** The reply was larger than `maxReplyBytes` and is not kept (`body` is empty). */
  oversize?: boolean;
  /** Random id of the claim that wrote this document (takeovers name the claim they replace). */
  claimId: string;
  leaseUntil: Date;
  expiresAt: Date;
}

/** Age past expiry at which the background sweep deletes a document. */
const SWEEP_GRACE_MS = 60_000;
const PENDING: DedupeRecord = Object.freeze({ state: 'pending' });

/** Insert `doc`; false when its `_id` exists (the one atomic primitive every MongoDB-wire server has). */
async function insertUnique(collection: mongoose.mongo.Collection<DedupeDoc>, doc: DedupeDoc): Promise<boolean> {
  try {
    await collection.insertOne(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

function storeError(message: string, cause?: unknown): WechatMpError {
  return new WechatMpError('WMP_ERR_DEDUPE_STORE', message, cause === undefined ? undefined : { cause });
}

/** Dedupe store in a MongoDB collection, shared across instances. */
export class MongoDedupeStore implements DedupeStore {
  readonly #connection: mongoose.Connection;
  readonly #collectionName: string;
  readonly #sweepIntervalMs: number;
  readonly #maxReplyBytes: number;
  readonly #onOversize: ((bytes: number) => void) | undefined;
  #lastSweep = 0;
  #backgroundSweep: Promise<void> = Promise.resolve();
  #indexed = false;

  constructor(connection: mongoose.Connection, options: MongoDedupeStoreOptions = {}) {
    if (connection === null || typeof connection !== 'object' || typeof connection.readyState !== 'number') {
      throw new InvalidOptionError('connection', 'a mongoose Connection');
    }
    const name = checkString('collectionName', options.collectionName, 'a collection name', /^[A-Za-z0-9_.-]{1,100}$/) ?? DEFAULT_DEDUPE_COLLECTION;
    const sweep = checkInteger('sweepIntervalMs', options.sweepIntervalMs, { min: 0 }) ?? DEFAULT_DEDUPE_SWEEP_INTERVAL_MS;
    this.#connection = connection;
    this.#collectionName = name;
    this.#sweepIntervalMs = sweep;
    this.#maxReplyBytes = checkInteger('maxReplyBytes', options.maxReplyBytes, { min: 0 }) ?? DEFAULT_DEDUPE_MAX_REPLY_BYTES;
    if (options.onOversize !== undefined && typeof options.onOversize !== 'function') throw new InvalidOptionError('onOversize', 'a function');
    this.#onOversize = options.onOversize;
  }

  /** Largest reply body stored, bytes. */
  get maxReplyBytes(): number {
    return this.#maxReplyBytes;
  }

  #collection(): mongoose.mongo.Collection<DedupeDoc> {
    const db = this.#connection.readyState === 1 ? this.#connection.db : undefined;
    if (db === undefined) throw storeError('MongoDB connection is not open');
    const collection = db.collection<DedupeDoc>(this.#collectionName);
    if (!this.#indexed) {
      this.#indexed = true;
      // A plain (non-TTL) index so sweeps do not scan the collection.
      collection.createIndex({ expiresAt: 1 }).catch(() => {
        this.#indexed = false;
      });
    }
    return collection;
  }

  async claim(key: string, now: number, leaseMs: number, ttlMs: number): Promise<DedupeRecord | null> {
    try {
      const collection = this.#collection();
      this.#maybeSweep(collection, now);
      const claimId = randomUUID();
      const fresh: DedupeDoc = { _id: key, state: 'pending', body: '', claimId, leaseUntil: new Date(now + leaseMs), expiresAt: new Date(now + ttlMs) };
      // Bounded: at most two rounds of insert / read / takeover.
      for (let attempt = 0; attempt < 2; attempt++) {
        if (await insertUnique(collection, fresh)) return null;
        const doc = await collection.findOne({ _id: key });
        if (doc === null) continue; // swept in between: insert again
        const live = toRecord(doc, now);
        if (live !== null) return live;
        // Stale (expired, or pending past the lease of a dead owner). Taking over claim X means
        // inserting the marker `key + NUL + X`: only one inserter can win, on MongoDB and on
        // FerretDB alike (whose conditional updates are not atomic, so a compare-and-set would not do).
        const marker: DedupeDoc = { _id: `${key}\u0000${doc.claimId}`, state: 'done', body: '', claimId, leaseUntil: new Date(now), expiresAt: fresh.expiresAt };
        if (!(await insertUnique(collection, marker))) return PENDING;
        const { _id, ...replacement } = fresh;
        await collection.updateOne({ _id }, { $set: replacement }, { upsert: true });
        return null;
      }
      return PENDING;
    } catch (err) {
      throw err instanceof WechatMpError ? err : storeError('dedupe claim failed', err);
    }
  }

  async complete(key: string, body: string, now: number, ttlMs: number): Promise<void> {
    // Length first: UTF-8 takes at most 3 bytes per UTF-16 unit, so short bodies are never measured.
    const bytes = body.length * 3 <= this.#maxReplyBytes ? 0 : Buffer.byteLength(body, 'utf8');
    const oversize = bytes > this.#maxReplyBytes;
    if (oversize) this.#onOversize?.(bytes);
    try {
      await this.#collection().updateOne(
        { _id: key },
        { $set: { state: 'done', body: oversize ? '' : body, oversize, leaseUntil: new Date(now), expiresAt: new Date(now + ttlMs) }, $setOnInsert: { claimId: randomUUID() } },
        { upsert: true },
      );
    } catch (err) {
      throw err instanceof WechatMpError ? err : storeError('dedupe complete failed', err);
    }
  }

  async get(key: string, now: number): Promise<DedupeRecord | null> {
    try {
      const doc = await this.#collection().findOne({ _id: key, expiresAt: { $gt: new Date(now) } });
      return doc === null ? null : toRecord(doc, now);
    } catch (err) {
      throw err instanceof WechatMpError ? err : storeError('dedupe read failed', err);
    }
  }

  /** Delete every expired document now (also run occasionally by `claim`). Returns how many. */
  async sweep(now: number): Promise<number> {
    const res = await this.#collection().deleteMany({ expiresAt: { $lte: new Date(now) } });
    return res.deletedCount;
  }

  /** Settles when the latest background sweep started by `claim` has finished (it never rejects). */
  get backgroundSweep(): Promise<void> {
    return this.#backgroundSweep;
  }

  #maybeSweep(collection: mongoose.mongo.Collection<DedupeDoc>, now: number): void {
    if (now - this.#lastSweep < this.#sweepIntervalMs) return;
    this.#lastSweep = now;
    // Only documents expired for a while: FerretDB's deleteMany is a query then a delete, so a
    // document taken over at this very moment could otherwise be removed with its new claim.
    this.#backgroundSweep = collection.deleteMany({ expiresAt: { $lte: new Date(now - SWEEP_GRACE_MS) } }).then(
      () => undefined,
      () => undefined, // best effort: reads already ignore expired documents
    );
  }
}

function toRecord(doc: DedupeDoc, now: number): DedupeRecord | null {
  const t = now;
  if (doc.expiresAt.getTime() <= t) return null;
  if (doc.state === 'done') return { state: 'done', body: doc.body };
  return doc.leaseUntil.getTime() > t ? PENDING : null;
}
