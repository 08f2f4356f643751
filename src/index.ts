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
