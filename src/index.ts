/**
 * wechat-mp-server: public API.
 * @packageDocumentation
 */
export * from './errors.js';
export { loadConfig, redactConfig, CONFIG_VARIABLES } from '../config/index.js';
export type { AppConfig, LoadConfigOptions, MessageMode, TokenMode, TokenStoreKind, DedupeStoreKind, LogLevel } from '../config/index.js';
export { createLogger, noopLogger, maskSecrets, type Logger, type CreateLoggerOptions } from './log/logger.js';
export { openMongo, type MongoHandle, type OpenMongoOptions } from './db/mongo.js';
export { computeSignature, verifySignature, safeEqual } from './webhook/signature.js';
export { WechatCipher, decodeAESKey, type DecryptedMessage } from './webhook/crypto.js';
export {
  webhook,
  reply,
  renderReply,
  HandlerRegistry,
  MemoryDedupeStore,
  MongoDedupeStore,
  dedupeKey,
  toCustomMessage,
  exampleHandlers,
  toMessage,
  isEvent,
  messageId,
  WebhookRequestError,
  DEFAULT_TIMESTAMP_WINDOW_SECONDS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_REPLY_DEADLINE_MS,
  DEFAULT_DEDUPE_TTL_SECONDS,
  type WebhookOptions,
  type WebhookMode,
  type WebhookObserver,
  type WebhookOutcome,
  type WebhookRequestEvent,
  type WechatRequestState,
  type WechatMessage,
  type WechatEvent,
  type Reply,
  type Handler,
  type HandlerMap,
  type HandlerResult,
  type DedupeStore,
  type DedupeRecord,
  type CustomMessage,
} from './webhook/index.js';
export {
  Wechat,
  DEFAULT_WECHAT_API_BASE,
  DEFAULT_TOKEN_MODE,
  TOKEN_REJECTED_ERRCODES,
  MAX_EXPIRY_SKEW_SECONDS,
  type WechatOptions,
  type WechatEvents,
  type ApiCallEvent,
  type AccessToken,
  type RequestOptions,
  type Menu,
  type MenuButton,
  type MenuInfo,
  type CustomMessage as CustomSendMessage,
} from './wechat/wechat.js';
export { WechatApiError, TokenPermanentError, TokenQuotaError, UpstreamError, TokenSourceError, type TokenFailureReason, type UpstreamFailureKind } from './wechat/errors.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BASE_DELAY_MS, DEFAULT_RETRY_MAX_DELAY_MS, type RetryPolicy } from './wechat/http-client.js';
export { PERMANENT_TOKEN_ERRCODES, FORCE_REFRESH_DAILY_LIMIT, FORCE_REFRESH_SPACING_MS } from './wechat/token-endpoint.js';
export { parseJsonLossless } from './wechat/lossless-json.js';
export {
  DEFAULT_REFRESH_MARGIN_SECONDS,
  DEFAULT_EXPIRY_SKEW_SECONDS,
  DEFAULT_REFRESH_JITTER_SECONDS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LEASE_WAIT_MS,
  DEFAULT_LEASE_POLL_MS,
  DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS,
  DEFAULT_QUOTA_COOLDOWN_SECONDS,
  type TokenRefreshedEvent,
  type RefreshFailedEvent,
  type TokenSavedEvent,
  type StoreErrorEvent,
  type TokenStatus,
  type Timers,
} from './token/token-manager.js';
export type { TokenStore, StoredToken, LeaseRequest, MaybePromise } from './token/types.js';
export { TokenStoreError } from './token/errors.js';
export { MemoryTokenStore } from './token/memory-token-store.js';
export { FileTokenStore, DEFAULT_BREAK_LOCK_STALE_MS, type FileTokenStoreOptions } from './token/file-token-store.js';
export { MongoTokenStore, DEFAULT_MONGO_OPERATION_TIMEOUT_MS, type MongoTokenStoreOptions } from './token/mongo-token-store.js';
export { tokenSchema, tokenLeaseSchema, getTokenModel, getTokenLeaseModel, type TokenModel, type TokenDocument, type TokenLeaseModel, type TokenLeaseDocument, type SaveAccessTokenData } from './token/token-model.js';
export { createApp, type AppDeps, type WechatApp } from './server/app.js';
export { startService, type StartServiceOptions, type RunningService } from './server/service.js';
export { loadHandlersModule } from './server/handlers-module.js';
export { ServiceMetrics } from './metrics/metrics.js';
export { listen, type RunningServer } from './server/http.js';
export {
  startEmulator,
  SANDBOX_APP,
  type Emulator,
  type EmulatorApp,
  type StartEmulatorOptions,
  type EmulatorStats,
  type FaultSpec,
  type SentMessage,
} from './emulator/index.js';
export {
  simulate,
  buildMessageXml,
  validateReply,
  SimulationError,
  type SimMessageSpec,
  type SimulateOptions,
  type SimulationResult,
  type ParsedReply,
  type ReplyContext,
} from './simulator/index.js';
