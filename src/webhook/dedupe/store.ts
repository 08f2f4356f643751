/**
 * Retry dedupe: the {@link DedupeStore} interface and the key of a delivery.
 *
 * WeChat re-sends a message when it gets no answer within 5 s (3 attempts). The first delivery
 * claims the key; a re-delivery finds it `pending` (and waits) or `done` (and gets the stored body).
 * Stores may answer synchronously or with a promise (undici `types/cache-interceptor.d.ts` style).
 */
import { createHash } from 'node:crypto';
import { isEvent, type WechatMessage } from '../messages.js';

/** What a store knows about a key held by someone. `body` is the plaintext reply XML, '' for `success`. */
export type DedupeRecord = { readonly state: 'pending' } | { readonly state: 'done'; readonly body: string };

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** Where deliveries are remembered. Every method takes the current time so stores need no clock. */
export interface DedupeStore {
  /**
   * Atomically claim `key`. Returns `null` when the caller now owns it (state `pending` until
   * `now + leaseMs`), otherwise the live record someone else holds. A record past `expiresAt`, or a
   * pending one past its lease (its owner died), is taken over.
   */
  claim(key: string, now: number, leaseMs: number, ttlMs: number): MaybePromise<DedupeRecord | null>;
  /** Store the answer of a claimed key until `now + ttlMs`. */
  complete(key: string, body: string, now: number, ttlMs: number): MaybePromise<void>;
  /** The live record of `key`, or null. */
  get(key: string, now: number): MaybePromise<DedupeRecord | null>;
}

/**
 * The dedupe key of a message: a fixed-size digest (43 characters), whatever the size of the fields
 * it covers. Messages: MsgId (scoped by account and sender, since MsgId alone has collided, WxJava
 * #333). Events have no MsgId: FromUserName + CreateTime + Event + EventKey (+ MsgID for job-finish
 * events). The account id is included so several accounts can share one store.
 */
export function dedupeKey(m: WechatMessage): string {
  return createHash('sha256').update(dedupeKeyText(m)).digest('base64url');
}

function dedupeKeyText(m: WechatMessage): string {
  if (!isEvent(m)) {
    return m.MsgId !== undefined ? `${m.ToUserName}|${m.FromUserName}|m|${m.MsgId}` : `${m.ToUserName}|${m.FromUserName}|t|${m.CreateTime}|${m.MsgType}`;
  }
  const eventKey = 'EventKey' in m && m.EventKey !== undefined ? m.EventKey : '';
  const msgId = 'MsgID' in m ? m.MsgID : '';
  return `${m.ToUserName}|${m.FromUserName}|e|${m.CreateTime}|${m.Event}|${eventKey}|${msgId}`;
}
