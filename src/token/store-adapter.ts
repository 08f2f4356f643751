/**
 * Turns what the user gave (a {@link TokenStore}, or the tutorials' `getAccessToken` /
 * `saveAccessToken` functions) into the one promise-based {@link BoundStore} the manager uses, bound to
 * one appId, its capabilities checked once, when the manager is built (undici `lib/util/cache.js` style).
 */
import { InvalidOptionError } from '../errors.js';
import type { MaybePromise } from '../util/types.js';
import type { SaveAccessTokenData } from './token-model.js';
import { accessTokenOf, credentialOf, isStoredToken, type Credential, type LeaseRequest, type StoredToken, type TokenStore } from './types.js';

/**
 * The seed-style injection: a read and a write function. Both are given the AppID, so the `Token`
 * model's statics fit as they are (`getAccessToken: Token.getAccessToken`).
 */
export interface SeedStoreFunctions {
  /** Read the stored token of `appId` (null or undefined when there is none). */
  getAccessToken?: (appId: string) => MaybePromise<StoredToken | null | undefined>;
  /** Store a token; `data.appid` says whose. What it resolves to is ignored. */
  saveAccessToken?: (data: SaveAccessTokenData) => MaybePromise<unknown>;
}

/** A store as the manager uses it: bound to one key, always async, capabilities resolved. */
export interface BoundStore {
  readonly kind: 'store' | 'functions';
  /** The stored credential if it has the right shape; anything else reads as null. */
  get(): Promise<Credential | null>;
  save(credential: Credential): Promise<void>;
  /** Present when the store can compare-and-invalidate. */
  invalidate?: (rejected: string) => Promise<boolean>;
  /** Present when the store offers a cross-process lease. */
  lease?: {
    acquire(request: LeaseRequest): Promise<boolean>;
    release(owner: string): Promise<void>;
  };
}

const isFn = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';
const read = (t: unknown): Credential | null => (isStoredToken(t) ? credentialOf(t) : null);

/**
 * Validate and bind. Throws {@link InvalidOptionError} for a store missing `get`/`save`, a lease
 * without its release, or both injection styles at once. Returns undefined when neither is given.
 */
export function bindStore(appId: string, store: TokenStore | undefined, seed: SeedStoreFunctions): BoundStore | undefined {
  const hasSeed = seed.getAccessToken !== undefined || seed.saveAccessToken !== undefined;
  if (store !== undefined && hasSeed) throw new InvalidOptionError('store', 'either `store` or `getAccessToken`/`saveAccessToken`, not both');
  if (hasSeed) {
    const { getAccessToken, saveAccessToken } = seed;
    if (!isFn(getAccessToken) || !isFn(saveAccessToken)) {
      throw new InvalidOptionError('getAccessToken', 'both getAccessToken() and saveAccessToken(token) functions');
    }
    return {
      kind: 'functions',
      get: async () => read(await getAccessToken(appId)),
      save: async (c) => {
        await saveAccessToken({ appid: appId, ...accessTokenOf(c) });
      },
    };
  }
  if (store === undefined) return undefined;
  if (!store || typeof store !== 'object' || !isFn(store.get) || !isFn(store.save)) {
    throw new InvalidOptionError('store', 'an object with get(appId) and save(appId, token) methods');
  }
  const hasAcquire = isFn(store.acquireLease);
  const hasRelease = isFn(store.releaseLease);
  if (hasAcquire !== hasRelease) throw new InvalidOptionError('store', 'acquireLease and releaseLease together, or neither');
  if (store.invalidate !== undefined && !isFn(store.invalidate)) throw new InvalidOptionError('store', 'invalidate to be a function');
  const bound: BoundStore = {
    kind: 'store',
    get: async () => read(await store.get(appId)),
    save: async (c) => {
      await store.save(appId, accessTokenOf(c));
    },
  };
  if (store.invalidate) {
    const inv = store.invalidate.bind(store);
    (bound as { invalidate?: BoundStore['invalidate'] }).invalidate = async (rejected) => Boolean(await inv(appId, rejected));
  }
  if (hasAcquire && hasRelease) {
    const acquire = store.acquireLease!.bind(store);
    const release = store.releaseLease!.bind(store);
    (bound as { lease?: BoundStore['lease'] }).lease = {
      acquire: async (request) => Boolean(await acquire(appId, request)),
      release: async (owner) => {
        await release(appId, owner);
      },
    };
  }
  return bound;
}
