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
