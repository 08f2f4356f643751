/**
 * Mongoose models of the MongoDB token store.
 *
 * `Token` is the model of the tutorials this project grew from (appid, token, expiry, `meta.createdAt` /
 * `meta.updatedAt` kept by a pre-save hook, statics `getAccessToken(appid)` / `saveAccessToken(data)`),
 * minus their mistakes: expiry is an absolute `expiresAt` (never an absolute time in `expires_in`), one
 * document per appid (unique index), and a delayed write of an older token never replaces a newer one.
 *
 * `TokenLease` holds one refresh-lease document per appid (owner id + lease expiry, unique index on
 * appid). No TTL index anywhere: expiry is compared in queries, so FerretDB (no TTL support) works too.
 */
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { InvalidOptionError } from '../errors.js';
import { isDuplicateKey } from '../util/mongo-errors.js';
import { freezeToken, type StoredToken } from './types.js';

/** A `Token` document. */
export interface TokenDocument {
  /** The AppID the token belongs to (unique). */
  appid: string;
  /** The access_token string. */
  token: string;
  /** Absolute expiry. */
  expiresAt: Date;
  /** When it was obtained from WeChat. */
  fetchedAt: Date;
  /** Record timestamps, maintained by the pre-save hook. */
  meta: { createdAt?: Date; updatedAt?: Date };
}

/** Argument of `Token.saveAccessToken`: document-shaped, so `appid` as in the MongoDB document. */
export interface SaveAccessTokenData extends StoredToken {
  appid: string;
}

/** Statics of the `Token` model. */
export interface TokenModelStatics {
  /** The stored token of `appId`, or null. */
  getAccessToken(appId: string): Promise<StoredToken | null>;
  /**
   * Save a token through `document.save()` (so the pre-save hook runs). Keeps a stored token with a
   * later `fetched_at`. Resolves to the token stored afterwards.
   */
  saveAccessToken(data: SaveAccessTokenData): Promise<StoredToken>;
}

/** The `Token` model type. */
export type TokenModel = Model<TokenDocument> & TokenModelStatics;

/** A `TokenLease` document. */
export interface TokenLeaseDocument {
  appid: string;
  owner: string;
  expiresAt: Date;
  /** Unique per acquisition: the insert filter never matches an existing lease. */
  nonce: string;
}

/** The `TokenLease` model type. */
export type TokenLeaseModel = Model<TokenLeaseDocument>;

/** Default model name of the token model. */
export const TOKEN_MODEL_NAME = 'Token';
/** Default model name of the lease model. */
export const TOKEN_LEASE_MODEL_NAME = 'TokenLease';

/** Bounded retries of `saveAccessToken` when another writer raced it. */
const SAVE_ATTEMPTS = 4;

const validDate = (d: unknown): d is Date => d instanceof Date && Number.isFinite(d.getTime());

/**
 * The stored token of a document, or null for a document without a usable token: for example one
 * left in `tokens` by the tutorial schema (`access_token`, `expires_in`). Such a document is treated
 * as absent and overwritten by the next save, instead of breaking every read on every instance.
 */
function toStored(doc: { token?: unknown; expiresAt?: unknown; fetchedAt?: unknown }): StoredToken | null {
  if (typeof doc.token !== 'string' || doc.token.length === 0 || !validDate(doc.expiresAt) || !validDate(doc.fetchedAt)) return null;
  return freezeToken({ access_token: doc.token, expires_at: doc.expiresAt.getTime(), fetched_at: doc.fetchedAt.getTime() });
}

/** The schema of `Token`. Indexes are created by {@link MongoTokenStore} on first use, not at model compile time. */
export const tokenSchema = new Schema<TokenDocument, TokenModel>(
  {
    appid: { type: String, required: true, unique: true },
    token: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    fetchedAt: { type: Date, required: true },
    meta: {
      createdAt: { type: Date },
      updatedAt: { type: Date },
    },
  },
  {
    collection: 'tokens',
    // save() of an existing document filters on __v, so two racing writers cannot both win (on MongoDB).
    optimisticConcurrency: true,
    autoIndex: false,
    autoCreate: false,
  },
);

tokenSchema.pre('save', function () {
  const at = new Date();
  if (this.isNew) this.meta = { createdAt: at, updatedAt: at };
  else this.meta.updatedAt = at;
});

tokenSchema.static('getAccessToken', async function getAccessToken(this: TokenModel, appId: string): Promise<StoredToken | null> {
  const doc = await this.findOne({ appid: appId }, { token: 1, expiresAt: 1, fetchedAt: 1 }).lean();
  return doc ? toStored(doc) : null;
});

tokenSchema.static('saveAccessToken', async function saveAccessToken(this: TokenModel, data: SaveAccessTokenData): Promise<StoredToken> {
  if (!data || typeof data.appid !== 'string' || typeof data.access_token !== 'string' || !Number.isFinite(data.expires_at) || !Number.isFinite(data.fetched_at)) {
    throw new InvalidOptionError('data', '{ appid, access_token, expires_at, fetched_at }');
  }
  for (let attempt = 1; ; attempt++) {
    const existing = await this.findOne({ appid: data.appid });
    const current = existing ? toStored(existing) : null;
    if (current && current.fetched_at > data.fetched_at) return current;
    const doc = existing ?? new this({ appid: data.appid });
    doc.token = data.access_token;
    doc.expiresAt = new Date(data.expires_at);
    doc.fetchedAt = new Date(data.fetched_at);
    try {
      await doc.save();
      return toStored(doc) as StoredToken;
    } catch (err) {
      const raced = isDuplicateKey(err) || err instanceof mongoose.Error.VersionError || err instanceof mongoose.Error.DocumentNotFoundError;
      if (!raced || attempt >= SAVE_ATTEMPTS) throw err;
    }
  }
});

/** The schema of `TokenLease`. */
export const tokenLeaseSchema = new Schema<TokenLeaseDocument, TokenLeaseModel>(
  {
    appid: { type: String, required: true, unique: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    nonce: { type: String, required: true },
  },
  { collection: 'token_leases', autoIndex: false, autoCreate: false, versionKey: false },
);

/**
 * The model `name` on `connection` with `schema`, compiled once per connection. A model of that name
 * compiled from another schema is refused rather than silently reused.
 */
function modelOn<TModel>(connection: Connection, name: string, schema: Schema): TModel {
  const existing = connection.models[name];
  if (existing) {
    if ((existing.schema as unknown) !== schema) throw new InvalidOptionError('connection', `a connection whose "${name}" model is not already defined with another schema`);
    return existing as unknown as TModel;
  }
  return connection.model(name, schema) as unknown as TModel;
}

/** The `Token` model on `connection` (compiled once per connection). */
export function getTokenModel(connection: Connection, name = TOKEN_MODEL_NAME): TokenModel {
  return modelOn<TokenModel>(connection, name, tokenSchema as unknown as Schema);
}

/** The `TokenLease` model on `connection`. */
export function getTokenLeaseModel(connection: Connection, name = TOKEN_LEASE_MODEL_NAME): TokenLeaseModel {
  return modelOn<TokenLeaseModel>(connection, name, tokenLeaseSchema as unknown as Schema);
}
