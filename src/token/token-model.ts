/**
 * Mongoose models of the MongoDB token store.
 *
 * `Token` is the model of the tutorials this project grew from (appid, token, expiry, `meta.createdAt` /
 * `meta.updatedAt` kept by a pre-save hook, statics `getAccessToken(appId)` / `saveAccessToken(data)`
 * and the expiry check `isValid(data)`), minus their mistakes: expiry is an absolute `expiresAt`, one
 * document per appid (unique index), and a delayed write of an older token never replaces a newer one.
 * The statics are bound to their model, so `getAccessToken: Token.getAccessToken` can be passed as is.
 *
 * A document still in the tutorials' shape (`access_token` or `token`, `expires_in` holding an absolute
 * time, or seconds counted from `meta.updatedAt`/`meta.updateAt`) is read by converting it, with one
 * process warning per AppID; one that cannot be converted, or a tutorial document without an `appid`,
 * is reported once with a warning saying what to do, and is replaced by the next save.
 *
 * Over 300 lines on purpose: the two models share their connection getter, read/write concerns and the
 * tutorial-shape conversion, which must agree field by field.
 *
 * `TokenLease` holds one refresh-lease document per appid (owner id + lease expiry, unique index on
 * appid). No TTL index anywhere: expiry is compared in queries, so FerretDB (no TTL support) works too.
 */
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { InvalidOptionError } from '../errors.js';
import { isDuplicateKey } from '../util/mongo-errors.js';
import { freezeToken, type StoredToken } from './types.js';
import { isTokenValid, type ValidityOptions } from './validity.js';

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
  /**
   * The expiry check: true when `data` is a token (`access_token`, `expires_at`, `fetched_at`) that is
   * still usable, that is more than the skew (default 30 s, as the token manager's `expirySkewMs`) before
   * its expiry. The token manager decides with the same check.
   */
  isValid(data: StoredToken | null | undefined, options?: ValidityOptions): data is StoredToken;
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

/** Reads one path of a document (lean object or hydrated document). */
type PathReader = (path: string) => unknown;

const leanReader =
  (doc: Record<string, unknown>): PathReader =>
  (path) =>
    path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);

const asTime = (v: unknown): number | undefined => {
  const t = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(t) ? t : undefined;
};

/** The tutorials' lifetime of an access_token, used when a legacy document says only when it expires. */
const LEGACY_LIFETIME_MS = 7200_000;
/** Warnings already given, one per model and AppID (or "no appid"). */
const warned = new Set<string>();

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { code: 'WMP_TOKEN_LEGACY_DOCUMENT' });
}

/**
 * A document in the tutorials' shape converted, or a reason why it cannot be: `expires_in` as an
 * absolute time (ms or s since epoch), or as seconds counted from the document's update time.
 */
function fromLegacy(get: PathReader): StoredToken | string {
  const value = typeof get('access_token') === 'string' ? get('access_token') : get('token');
  if (typeof value !== 'string' || value.length === 0) return 'it has no access_token';
  const updated = asTime(get('meta.updatedAt')) ?? asTime(get('meta.updateAt')) ?? asTime(get('meta.createdAt')) ?? asTime(get('meta.createAt'));
  const raw = asTime(get('expires_in')) ?? asTime(get('expires_at')) ?? asTime(get('expiresAt'));
  if (raw === undefined) return 'it has no expires_in';
  let expiresAt: number;
  if (raw > 1e11) expiresAt = raw;
  else if (raw > 1e9) expiresAt = raw * 1000;
  else if (updated !== undefined) expiresAt = updated + raw * 1000;
  else return `its expires_in (${raw}) is relative and it has no meta.updatedAt to count from`;
  return freezeToken({ access_token: value, expires_at: expiresAt, fetched_at: Math.min(updated ?? expiresAt - LEGACY_LIFETIME_MS, expiresAt) });
}

/**
 * The stored token of a document, or null for a document without a usable token. A document left in
 * `tokens` by the tutorial schema is converted when it can be (see the module comment) and reported
 * once otherwise; either way it never breaks a read, and the next save writes the current shape.
 */
function toStored(get: PathReader, model: string): StoredToken | null {
  const token = get('token');
  const expiresAt = get('expiresAt');
  const fetchedAt = get('fetchedAt');
  if (typeof token === 'string' && token.length > 0 && validDate(expiresAt) && validDate(fetchedAt)) {
    return freezeToken({ access_token: token, expires_at: expiresAt.getTime(), fetched_at: fetchedAt.getTime() });
  }
  const appid = String(get('appid') ?? '');
  const legacy = fromLegacy(get);
  if (typeof legacy === 'string') {
    warnOnce(
      `${model}:${appid}`,
      `The ${model} document of ${appid} is in the tutorials' shape and cannot be read (${legacy}); ` +
        'a new token is fetched and the next save replaces it with { token, expiresAt, fetchedAt }.',
    );
    return null;
  }
  warnOnce(
    `${model}:${appid}`,
    `The ${model} document of ${appid} is in the tutorials' shape (access_token, expires_in); it was read by ` +
      'converting it, and the next save rewrites it as { token, expiresAt, fetchedAt }.',
  );
  return legacy;
}

/** Fields a read needs, the tutorials' included. */
const READ_PROJECTION = { appid: 1, token: 1, expiresAt: 1, fetchedAt: 1, access_token: 1, expires_in: 1, expires_at: 1, meta: 1 } as const;
/** Fields of the tutorials' shape that a save removes. */
const LEGACY_FIELDS = ['access_token', 'expires_in', 'expires_at', 'name'] as const;

/** Write concern of every token and lease write, whatever the connection's URI says. */
export const MAJORITY = { w: 'majority' } as const;

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
    // Whatever the URI says (e.g. readPreference=secondaryPreferred, w=1): a lagging secondary or a
    // write lost in a failover could hand out a superseded token (see docs/hardening.md).
    read: 'primary',
    writeConcern: { w: 'majority' },
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
  const doc = await this.findOne({ appid: appId }, READ_PROJECTION).read('primary').lean();
  if (doc) return toStored(leanReader(doc as unknown as Record<string, unknown>), this.modelName);
  if (!warned.has(`${this.modelName}:no-appid`)) {
    // The tutorials kept one document without an AppID; say so once instead of ignoring it silently.
    const orphan = await this.findOne({ appid: { $exists: false }, $or: [{ access_token: { $exists: true } }, { expires_in: { $exists: true } }] }, { _id: 1 }).read('primary').lean();
    if (orphan) {
      warnOnce(
        `${this.modelName}:no-appid`,
        `The ${this.collection.collectionName} collection holds a token document without an appid (the tutorials' shape, _id ${String(orphan._id)}); ` +
          `it is not used. Set its appid to the AppID it belongs to, or delete it.`,
      );
    } else warned.add(`${this.modelName}:no-appid`);
  }
  return null;
});

tokenSchema.static('isValid', function isValid(data: StoredToken | null | undefined, options?: ValidityOptions): data is StoredToken {
  return isTokenValid(data, options);
});

tokenSchema.static('saveAccessToken', async function saveAccessToken(this: TokenModel, data: SaveAccessTokenData): Promise<StoredToken> {
  if (!data || typeof data.appid !== 'string' || typeof data.access_token !== 'string' || !Number.isFinite(data.expires_at) || !Number.isFinite(data.fetched_at)) {
    throw new InvalidOptionError('data', '{ appid, access_token, expires_at, fetched_at }');
  }
  for (let attempt = 1; ; attempt++) {
    const existing = await this.findOne({ appid: data.appid }).read('primary');
    const current = existing ? toStored((path) => existing.get(path) as unknown, this.modelName) : null;
    if (current && current.fetched_at > data.fetched_at) return current;
    const doc = existing ?? new this({ appid: data.appid });
    for (const field of LEGACY_FIELDS) if (doc.get(field) !== undefined) doc.set(field, undefined, { strict: false });
    doc.token = data.access_token;
    doc.expiresAt = new Date(data.expires_at);
    doc.fetchedAt = new Date(data.fetched_at);
    try {
      // Mongoose reads `writeConcern` from save options (its `w` option loses to the URI's), though
      // its SaveOptions type does not list it.
      await doc.save({ writeConcern: MAJORITY } as mongoose.SaveOptions);
      return freezeToken({ access_token: data.access_token, expires_at: data.expires_at, fetched_at: data.fetched_at });
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
  { collection: 'token_leases', read: 'primary', writeConcern: { w: 'majority' }, autoIndex: false, autoCreate: false, versionKey: false },
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

/** Marks a model whose statics are bound to it. */
const BOUND = Symbol('wechat-mp-server.boundStatics');

/**
 * The `Token` model on `connection` (compiled once per connection). Its statics are bound to it, so
 * they can be handed around as plain functions:
 *
 *   const Token = getTokenModel(connection);
 *   new Wechat({ appID, appSecret, getAccessToken: Token.getAccessToken, saveAccessToken: Token.saveAccessToken });
 */
export function getTokenModel(connection: Connection, name = TOKEN_MODEL_NAME): TokenModel {
  const model = modelOn<TokenModel>(connection, name, tokenSchema as unknown as Schema);
  if (!(BOUND in model)) {
    Object.defineProperty(model, BOUND, { value: true });
    const statics = model as unknown as Record<'getAccessToken' | 'saveAccessToken' | 'isValid', (...args: never[]) => unknown>;
    for (const key of ['getAccessToken', 'saveAccessToken', 'isValid'] as const) {
      Object.defineProperty(model, key, { value: statics[key].bind(model), enumerable: false, configurable: true, writable: true });
    }
  }
  return model;
}

/**
 * The `Token` model of mongoose's default connection (`mongoose.connect(uri)`), compiled on first use:
 * the tutorials' `Token`. With a connection of your own, use {@link getTokenModel}. It is this package's
 * copy of mongoose that must be connected, which is the one `import mongoose from 'mongoose'` gives your
 * application when both depend on the same major version (npm installs one copy).
 */
export const Token: TokenModel = new Proxy(function Token() {} as unknown as TokenModel, {
  get(_target, prop) {
    const model = getTokenModel(mongoose.connection);
    return Reflect.get(model, prop, model) as unknown;
  },
  has(_target, prop) {
    return Reflect.has(getTokenModel(mongoose.connection), prop);
  },
  construct(_target, args: unknown[]) {
    const model = getTokenModel(mongoose.connection) as unknown as new (...a: unknown[]) => object;
    return new model(...args);
  },
});

/** The `TokenLease` model on `connection`. */
export function getTokenLeaseModel(connection: Connection, name = TOKEN_LEASE_MODEL_NAME): TokenLeaseModel {
  return modelOn<TokenLeaseModel>(connection, name, tokenLeaseSchema as unknown as Schema);
}
