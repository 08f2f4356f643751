/**
 * The webhook: verified, typed, deduplicated, on time. `webhook(options, handlers)` is Koa middleware
 * for `router.all(path, ...)`. Knows nothing about access tokens or WeChat API bodies: late replies go
 * through an injected `sender`.
 *
 * What the library entry offers of the webhook; the modules behind it are internal.
 */
export { webhook, type WechatRequestState, type WebhookMiddleware } from './middleware.js';
export { type WebhookOptions, type MessageMode, type WebhookObserver, type WebhookOutcome, type WebhookRequestEvent } from './options.js';
export type * from './messages.js';
export {
  reply,
  type Reply,
  type TextReply,
  type ImageReply,
  type VoiceReply,
  type VideoReply,
  type MusicReply,
  type NewsReply,
  type NewsArticle,
  type TransferCustomerServiceReply,
} from './replies.js';
export { type LateReplySender } from './late-replies.js';
export { HandlerRegistry, type Handler, type HandlerMap, type HandlerRegistryFromOptions, type HandlerResult } from './registry.js';
export { type DedupeStore, type DedupeRecord } from './dedupe/store.js';
export { MemoryDedupeStore, type MemoryDedupeStoreOptions } from './dedupe/memory-store.js';
export { MongoDedupeStore, type MongoDedupeStoreOptions } from './dedupe/mongo-store.js';
export { WebhookRequestError } from './request-error.js';
