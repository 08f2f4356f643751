/**
 * Token store on MongoDB (Mongoose): shares the token and a refresh lease between every instance.
 *
 * The lease uses only operations that are atomic on MongoDB >= 5 AND on FerretDB 1.24 (whose
 * findAndModify is a query followed by a separate write, so "update the expired lease" could let two
 * processes both win there):
 * - a new lease is an upsert through `findOneAndUpdate` whose filter carries a fresh nonce, so it
 *   never matches and always inserts; the unique index on appid lets exactly one inserter win (E11000
 *   for the others);
 * - an expired lease is removed by its `_id` before competing, so a process can only ever remove the
 *   expired lease instance it saw, never a fresh one someone else just inserted.
 *
 * Reads go to the primary and writes wait for a majority, whatever the URI says: a lagging secondary
 * or a write rolled back in a failover could otherwise let two processes both hold the lease or hand
 * out a superseded token.
 *
 * Every operation is bounded by `operationTimeoutMs`, so a MongoDB outage turns into a quick
 * TokenStoreError (the manager then serves from memory and refreshes without the lease) instead of a
 * caller stuck behind Mongoose's command buffering.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { InvalidOptionError } from '../errors.js';
import { isDuplicateKey } from '../util/mongo-errors.js';
import { TIMED_OUT, withTimeout } from '../util/timeout.js';
import { checkPositive } from '../util/validate.js';
import { TokenStoreError } from './errors.js';
import { MAJORITY, getTokenLeaseModel, getTokenModel, type TokenLeaseModel, type TokenModel } from './token-model.js';
import { isStoredToken, leaseIsLive, type LeaseRequest, type StoredToken, type TokenStore } from './types.js';

/** Default bound on one store operation, ms. */
export const DEFAULT_MONGO_OPERATION_TIMEOUT_MS = 3000;

/** Options of {@link MongoTokenStore}. */
export interface MongoTokenStoreOptions {
  /** @default DEFAULT_MONGO_OPERATION_TIMEOUT_MS */
  operationTimeoutMs?: number;
  /** Model name of the token model. @default 'Token' */
  modelName?: string;
  /** Model name of the lease model. @default 'TokenLease' */
  leaseModelName?: string;
}

/** A {@link TokenStore} on a Mongoose connection. */
export class MongoTokenStore implements TokenStore {
  /** The `Token` model (statics `getAccessToken(appId)`, `saveAccessToken(data)`). */
  readonly Token: TokenModel;
  /** The `TokenLease` model. */
  readonly TokenLease: TokenLeaseModel;
  readonly #timeoutMs: number;
  #indexes: Promise<void> | undefined;

  constructor(connection: Connection, options: MongoTokenStoreOptions = {}) {
    if (!connection || typeof (connection as Partial<Connection>).model !== 'function') {
      throw new InvalidOptionError('connection', 'a Mongoose Connection');
    }
    this.#timeoutMs = checkPositive('operationTimeoutMs', options.operationTimeoutMs, 'ms') ?? DEFAULT_MONGO_OPERATION_TIMEOUT_MS;
    // Compiling a model does no I/O (autoIndex and autoCreate are off in the schemas).
    this.Token = getTokenModel(connection, options.modelName);
    this.TokenLease = getTokenLeaseModel(connection, options.leaseModelName);
  }

  get(appId: string): Promise<StoredToken | null> {
    return this.#bounded('get', () => this.Token.getAccessToken(appId));
  }

  async save(appId: string, token: StoredToken): Promise<void> {
    if (!isStoredToken(token)) throw new InvalidOptionError('token', '{ access_token, expires_at, fetched_at }');
    await this.#bounded('save', async () => {
      await this.#ensureIndexes();
      await this.Token.saveAccessToken({ appid: appId, access_token: token.access_token, expires_at: token.expires_at, fetched_at: token.fetched_at });
    });
  }

  invalidate(appId: string, rejected: string): Promise<boolean> {
    return this.#bounded('invalidate', async () => {
      const res = await this.Token.deleteOne({ appid: appId, token: rejected }, { writeConcern: MAJORITY });
      return res.deletedCount > 0;
    });
  }

  acquireLease(appId: string, lease: LeaseRequest): Promise<boolean> {
    return this.#bounded('acquireLease', async () => {
      await this.#ensureIndexes();
      const expiresAt = new Date(lease.now + lease.ttlMs);
      for (let attempt = 0; attempt < 3; attempt++) {
        const held = await this.TokenLease.findOne({ appid: appId }).read('primary').lean();
        if (held) {
          if (held.owner === lease.owner) {
            const r = await this.TokenLease.updateOne({ _id: held._id, owner: lease.owner }, { $set: { expiresAt } }, { writeConcern: MAJORITY });
            if (r.matchedCount === 1) return true;
            continue;
          }
          if (leaseIsLive(held.expiresAt.getTime(), lease)) return false;
          // A crashed (or very slow) holder: remove exactly the expired instance we saw.
          await this.TokenLease.deleteOne({ _id: held._id }, { writeConcern: MAJORITY });
        }
        try {
          await this.TokenLease.findOneAndUpdate(
            { appid: appId, nonce: randomUUID() },
            { $setOnInsert: { owner: lease.owner, expiresAt } },
            { upsert: true, returnDocument: 'after', lean: true, writeConcern: MAJORITY },
          );
          return true;
        } catch (err) {
          if (isDuplicateKey(err)) return false;
          throw err;
        }
      }
      return false;
    });
  }

  async releaseLease(appId: string, owner: string): Promise<void> {
    await this.#bounded('releaseLease', () => this.TokenLease.deleteOne({ appid: appId, owner }, { writeConcern: MAJORITY }));
  }

  /** Create the unique indexes once (retried after a failure). No TTL index: FerretDB has none. */
  #ensureIndexes(): Promise<void> {
    this.#indexes ??= Promise.all([this.Token.createIndexes(), this.TokenLease.createIndexes()]).then(
      () => undefined,
      (err: unknown) => {
        this.#indexes = undefined;
        throw err;
      },
    );
    return this.#indexes;
  }

  async #bounded<T>(operation: string, run: () => PromiseLike<T>): Promise<T> {
    let result: T | typeof TIMED_OUT;
    try {
      // Promise.resolve().then() runs a Mongoose Query (a thenable) exactly once. A timed-out
      // operation may still settle later; its outcome is then ignored.
      result = await withTimeout(Promise.resolve().then(run), this.#timeoutMs, { unref: true });
    } catch (err) {
      if (err instanceof TokenStoreError) throw err;
      throw new TokenStoreError(operation, (err as Error)?.name ?? 'error', { cause: err });
    }
    if (result === TIMED_OUT) throw new TokenStoreError(operation, `no answer from MongoDB within ${this.#timeoutMs} ms`);
    return result;
  }
}
