/**
 * The webhook: verified, typed, deduplicated, on time. `webhook(options, handlers)` is Koa middleware
 * for `router.all(path, ...)`. Knows nothing about access tokens: late replies go through an injected
 * `sender`.
 */
export { webhook, type WechatRequestState, type WebhookMiddleware } from './middleware.js';
export {
  resolveWebhookOptions,
  DEFAULT_TIMESTAMP_WINDOW_SECONDS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_REPLY_DEADLINE_MS,
  DEFAULT_DEDUPE_TTL_SECONDS,
  DEFAULT_DEDUPE_STORE_TIMEOUT_MS,
  DEFAULT_NEWS_LIMIT_MESSAGE,
  DEFAULT_NEWS_LIMIT_EVENT,
  type WebhookOptions,
  type WebhookMode,
  type WebhookObserver,
  type WebhookOutcome,
  type WebhookRequestEvent,
  type ResolvedWebhookOptions,
} from './options.js';
export type * from './messages.js';
export { isEvent, messageId } from './messages.js';
export { toMessage } from './parse.js';
export { parseXml } from './xml.js';
export {
  reply,
  renderReply,
  renderEncryptedReply,
  cdata,
  MAX_NEWS_ARTICLES,
  type Reply,
  type TextReply,
  type ImageReply,
  type VoiceReply,
  type VideoReply,
  type MusicReply,
  type NewsReply,
  type NewsArticle,
  type TransferCustomerServiceReply,
  type ReplyTarget,
} from './replies.js';
export { HandlerRegistry, type Handler, type HandlerMap, type HandlerResult } from './registry.js';
export { dedupeKey, type DedupeStore, type DedupeRecord, type MaybePromise } from './dedupe/store.js';
export { MemoryDedupeStore, DEFAULT_DEDUPE_MAX_ENTRIES, type MemoryDedupeStoreOptions } from './dedupe/memory-store.js';
export { MongoDedupeStore, DEFAULT_DEDUPE_COLLECTION, DEFAULT_DEDUPE_SWEEP_INTERVAL_MS, type MongoDedupeStoreOptions } from './dedupe/mongo-store.js';
export { FallbackDedupeStore, DEFAULT_DEDUPE_RETRY_AFTER_MS, type FallbackDedupeStoreOptions } from './dedupe/fallback-store.js';
export { withDeadline, DEADLINE_PASSED } from './deadline.js';
export { exampleHandlers, EXAMPLE_WELCOME_TEXT } from './examples.js';
export { WebhookRequestError } from './request-error.js';
export { computeSignature, verifySignature } from './signature.js';
export { WechatCipher, decodeAESKey, decodeCiphertext, PKCS7_BLOCK_SIZE, type DecryptedMessage } from './crypto.js';
