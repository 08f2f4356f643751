/**
 * The event vocabulary of the token layer: one set of names and payloads, emitted by the
 * {@link TokenManager} (a typed `EventEmitter`, its only observer mechanism) and re-used by the layers
 * above it.
 *
 * - `refreshed`: a credential was taken (from upstream, the shared store, or a central token service);
 * - `saved`: a credential was written to the store (`deferred`: after an earlier failure);
 * - `refreshFailed`: a refresh failed (`background`: nobody was waiting for it);
 * - `storeError`: the store failed; the manager carried on without it.
 */
import type { EventEmitter } from 'node:events';
import type { WechatMpError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Where a credential came from. */
export type CredentialSource = 'upstream' | 'store' | 'tokenSource';

/** Fields every event carries. */
export interface TokenEventBase {
  /** The AppID. */
  appId: string;
  /** What is managed (`access_token`, a ticket name). */
  kind: string;
}

/** Payload of `refreshed`. */
export interface RefreshedEvent extends TokenEventBase {
  source: CredentialSource;
  /** From the start of the refresh to the credential, ms. */
  durationMs: number;
  /** Age of the credential when this process took it (0 from upstream; > 0 from the store), ms. */
  ageMs: number;
  /** Absolute expiry, ms since epoch. */
  expiresAt: number;
}

/** Payload of `refreshFailed`. */
export interface RefreshFailedEvent extends TokenEventBase {
  error: WechatMpError;
  /** True when the background refresher failed (no caller saw the error). */
  background: boolean;
}

/** Payload of `saved`. */
export interface SavedEvent extends TokenEventBase {
  /** True when this save is a retry of one that failed earlier (e.g. after a MongoDB outage). */
  deferred: boolean;
}

/** Payload of `storeError`. */
export interface StoreErrorEvent extends TokenEventBase {
  /** The store operation: `get`, `save`, `invalidate`, `acquireLease`, `releaseLease`. */
  operation: string;
  error: WechatMpError;
}

/** The events of a token manager, for `EventEmitter<TokenManagerEvents>`. */
export interface TokenManagerEvents {
  refreshed: [RefreshedEvent];
  saved: [SavedEvent];
  refreshFailed: [RefreshFailedEvent];
  storeError: [StoreErrorEvent];
}

/** The event names, in one list. */
export const TOKEN_EVENT_NAMES: readonly (keyof TokenManagerEvents)[] = Object.freeze(['refreshed', 'saved', 'refreshFailed', 'storeError']);

/**
 * Emit `event`. These reach user listeners: a throwing listener is logged and ignored, so it never
 * breaks a refresh, skips the re-arming of the background timer, or replaces the real error.
 */
export function emitSafely<K extends keyof TokenManagerEvents>(emitter: EventEmitter<TokenManagerEvents>, logger: Logger, event: K, payload: TokenManagerEvents[K][0]): void {
  try {
    (emitter as EventEmitter).emit(event, payload);
  } catch (err) {
    const { appId } = payload;
    logger.error({ event: 'token.listener_error', appid: appId, hook: event, err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'a token event listener threw; ignored');
  }
}
