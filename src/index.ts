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
export { createApp, type AppDeps } from './server/app.js';
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
