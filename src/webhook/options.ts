/**
 * Webhook options: the public {@link WebhookOptions}, their defaults, and {@link resolveWebhookOptions},
 * which validates them once and freezes the result (constructors and factories validate and assign only).
 */
import { InvalidOptionError } from '../errors.js';
import { checkFunction, checkInteger, checkObject, checkOneOf, checkString, required } from '../util/validate.js';
import { systemTimers, type Timers } from '../util/timeout.js';
import { noopLogger, type Logger } from '../log/logger.js';
import { WechatCipher } from './crypto.js';
import type { DedupeStore } from './dedupe/store.js';
import { MemoryDedupeStore } from './dedupe/memory-store.js';
import type { Reply } from './replies.js';

/** How webhook POSTs are secured (WeChat's 明文 / 兼容 / 安全 modes): the project's one message-mode type. */
export type MessageMode = 'plain' | 'compatible' | 'safe';

/** Default replay window for `timestamp`, in seconds. */
export const DEFAULT_TIMESTAMP_WINDOW_SECONDS = 300;
/** Default body limit in bytes (64 KiB). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/** Default time a handler may take before the webhook answers `success` (WeChat gives up at 5 s). */
export const DEFAULT_REPLY_DEADLINE_MS = 4500;
/** Default time a delivery is remembered for retry dedupe, in seconds (WeChat retries within ~15 s). */
export const DEFAULT_DEDUPE_TTL_SECONDS = 60;
/** Default news article limit when replying to a user message (docs/protocol.md section 4, unverified). */
export const DEFAULT_NEWS_LIMIT_MESSAGE = 1;
/** Default news article limit when replying to an event. */
export const DEFAULT_NEWS_LIMIT_EVENT = 8;

/** What a finished request looked like, for metrics and logs. */
export interface WebhookRequestEvent {
  /** `reply` | `success` | `echo` | `rejected` | `duplicate` | `deadline` | `handler_error`. */
  outcome: WebhookOutcome;
  /** HTTP status sent. */
  status: number;
  msgType?: string;
  event?: string;
  /** Time from the request entering the middleware to the response body being set. */
  durationMs: number;
  /** Short reason of a rejection. */
  reason?: string;
}

/** Outcome of one webhook request. */
export type WebhookOutcome = 'reply' | 'success' | 'echo' | 'rejected' | 'duplicate' | 'deadline' | 'handler_error';

/** Optional observation hooks (metrics, logs). Exceptions thrown by hooks are swallowed. */
export interface WebhookObserver {
  /** Once per request, after the response is decided. */
  onRequest?(e: WebhookRequestEvent): void;
  /** Once per handler run (including runs that finish after the deadline). */
  onHandler?(e: { msgType: string; durationMs: number; ok: boolean }): void;
  /** A re-delivery was answered from the dedupe store instead of running the handler. */
  onDedupeHit?(e: { msgType: string; state: 'inflight' | 'done' | 'pending' }): void;
  /** A handler missed the reply deadline; `success` was sent. */
  onDeadline?(e: { msgType: string; deadlineMs: number }): void;
  /** A reply produced after the deadline was handed to `sender` (or dropped without one). */
  onLateReply?(e: { ok: boolean; error?: unknown }): void;
  /** The dedupe store failed and in-process dedupe is used (`degraded: true`), or it recovered. */
  onDedupeStore?(e: { degraded: boolean }): void;
}

/** Options of {@link webhook}. */
export interface WebhookOptions {
  /** The Token configured in the WeChat admin console (3-32 letters or digits). Secret. */
  token: string;
  /** The account's AppID (checked after decrypting). */
  appId: string;
  /** EncodingAESKey (43 characters); enables `compatible` and `safe`. Secret. */
  encodingAESKey?: string;
  /** The previous EncodingAESKey, tried when the current one fails (key rotation). Secret. */
  previousEncodingAESKey?: string;
  /** @default 'plain' without `encodingAESKey`, 'compatible' with one */
  mode?: MessageMode;
  /** Allowed distance of `timestamp` from now, in seconds. @default 300; 0 disables */
  timestampWindowSeconds?: number;
  /** Largest accepted body. @default 65536 */
  bodyLimitBytes?: number;
  /** Time a handler gets before `success` is sent in its place. @default 4500 */
  replyDeadlineMs?: number;
  /** Where deliveries are remembered. @default new MemoryDedupeStore() */
  dedupe?: DedupeStore;
  /** How long a delivery is remembered, in seconds. @default 60 */
  dedupeTtlSeconds?: number;
  /**
   * Time a dedupe-store call may take before the webhook falls back to in-process dedupe (only for
   * stores other than {@link MemoryDedupeStore}). @default 1000
   */
  dedupeStoreTimeoutMs?: number;
  /** News article limits: `message` when replying to a user message, `event` otherwise. @default { message: 1, event: 8 } */
  newsArticleLimits?: { message?: number; event?: number };
  /**
   * Delivers a reply produced after the deadline (the service passes
   * `(openId, reply) => wechat.message.sendCustom(customMessageOf(openId, reply))`). Without it such replies are logged and dropped.
   */
  sender?: (openId: string, reply: Reply) => Promise<void>;
  /** @default noopLogger */
  logger?: Logger;
  /** Clock in ms since the epoch. @default Date.now */
  now?: () => number;
  /** Timers of the reply deadline, the wait for another instance and `drain`. @default the global timers */
  timers?: Timers;
  /** Observation hooks for metrics and logs. */
  observer?: WebhookObserver;
}

/** Default time a dedupe-store call may take before falling back. */
export const DEFAULT_DEDUPE_STORE_TIMEOUT_MS = 1000;

/** The validated, frozen options. */
export interface ResolvedWebhookOptions {
  readonly token: string;
  readonly appId: string;
  readonly mode: MessageMode;
  /** Current key first, then the previous one; empty in plain mode. */
  readonly ciphers: readonly WechatCipher[];
  readonly timestampWindowSeconds: number;
  readonly bodyLimitBytes: number;
  readonly replyDeadlineMs: number;
  readonly dedupe: DedupeStore;
  readonly dedupeTtlMs: number;
  readonly dedupeStoreTimeoutMs: number;
  readonly newsLimitMessage: number;
  readonly newsLimitEvent: number;
  readonly sender: ((openId: string, reply: Reply) => Promise<void>) | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  readonly timers: Timers;
  readonly observer: WebhookObserver;
}

const TOKEN_RE = /^[A-Za-z0-9]{3,32}$/;
const MODES: readonly MessageMode[] = ['plain', 'compatible', 'safe'];

const int = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => checkInteger(name, value, { min, max }) ?? fallback;

/**
 * Validate and freeze webhook options.
 * @throws {InvalidOptionError} naming the bad option (never echoing a secret).
 * @throws {WechatMpError} `WMP_ERR_AES_KEY` for a malformed EncodingAESKey.
 */
export function resolveWebhookOptions(options: WebhookOptions): ResolvedWebhookOptions {
  required('options', checkObject('options', options as WebhookOptions | undefined), 'an object');
  required('token', checkString('token', options.token, '3 to 32 letters or digits', TOKEN_RE), '3 to 32 letters or digits');
  required('appId', checkString('appId', options.appId), 'a non-empty string');
  const mode = checkOneOf('mode', options.mode, MODES) ?? (options.encodingAESKey ? 'compatible' : 'plain');
  if (mode !== 'plain' && !options.encodingAESKey) throw new InvalidOptionError('encodingAESKey', `a 43-character key in ${mode} mode`);
  if (options.previousEncodingAESKey !== undefined && !options.encodingAESKey) {
    throw new InvalidOptionError('previousEncodingAESKey', 'to be set only together with encodingAESKey');
  }
  const ciphers: WechatCipher[] = [];
  if (mode !== 'plain' && options.encodingAESKey) {
    ciphers.push(new WechatCipher(options.encodingAESKey, options.appId));
    if (options.previousEncodingAESKey) ciphers.push(new WechatCipher(options.previousEncodingAESKey, options.appId));
  }
  const dedupe = options.dedupe ?? new MemoryDedupeStore();
  if (typeof dedupe !== 'object' || typeof dedupe.claim !== 'function' || typeof dedupe.complete !== 'function' || typeof dedupe.get !== 'function') {
    throw new InvalidOptionError('dedupe', 'a DedupeStore (claim, complete, get)');
  }
  checkFunction('sender', options.sender, 'an async function (openId, reply)');
  checkFunction('now', options.now, 'a function returning ms since the epoch');
  const timers = checkObject('timers', options.timers, 'an object with setTimeout and clearTimeout') ?? systemTimers;
  const limits = options.newsArticleLimits ?? {};
  return Object.freeze({
    token: options.token,
    appId: options.appId,
    mode,
    ciphers: Object.freeze(ciphers),
    timestampWindowSeconds: int('timestampWindowSeconds', options.timestampWindowSeconds, DEFAULT_TIMESTAMP_WINDOW_SECONDS, 0, 86_400),
    bodyLimitBytes: int('bodyLimitBytes', options.bodyLimitBytes, DEFAULT_BODY_LIMIT_BYTES, 256, 64 * 1024 * 1024),
    replyDeadlineMs: int('replyDeadlineMs', options.replyDeadlineMs, DEFAULT_REPLY_DEADLINE_MS, 1, 60_000),
    dedupe,
    dedupeTtlMs: int('dedupeTtlSeconds', options.dedupeTtlSeconds, DEFAULT_DEDUPE_TTL_SECONDS, 1, 86_400) * 1000,
    dedupeStoreTimeoutMs: int('dedupeStoreTimeoutMs', options.dedupeStoreTimeoutMs, DEFAULT_DEDUPE_STORE_TIMEOUT_MS, 10, 60_000),
    newsLimitMessage: int('newsArticleLimits.message', limits.message, DEFAULT_NEWS_LIMIT_MESSAGE, 1, 8),
    newsLimitEvent: int('newsArticleLimits.event', limits.event, DEFAULT_NEWS_LIMIT_EVENT, 1, 8),
    sender: options.sender,
    logger: options.logger ?? noopLogger,
    now: options.now ?? Date.now,
    timers,
    observer: options.observer ?? {},
  });
}
