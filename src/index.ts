/**
 * wechat-mp-server: the library an application imports. The client of an Official Account
 * (`Wechat`), the webhook middleware (`webhook`, `reply`) with its message and handler types, the
 * token and dedupe stores, the `Token` model getters, and the errors.
 *
 * The service (`createApp`, `startService`, `loadConfig`) is `wechat-mp-server/server`; the emulator and
 * simulator are `wechat-mp-server/testing`. `test/exports.test.ts` pins this list.
 * @packageDocumentation
 */
export {
  WechatMpError,
  ConfigError,
  InvalidOptionError,
  ERROR_CODES,
  type ErrorCode,
  type ConfigProblem,
} from './errors.js';
export type { Logger } from './log/logger.js';

// The client of one Official Account.
export { Wechat, type WechatEvents } from './wechat/client.js';
export type { WechatOptions } from './wechat/options.js';
export type { ApiCallEvent, ApiMethod, RequestOptions, DownloadOptions, DownloadResult, BinaryDownload, ApiDownload } from './wechat/request.js';
export type { TokenMode } from './wechat/token-endpoint.js';
export type { RetryPolicy } from './wechat/http-client.js';
export type { WechatApis, ApiContext } from './wechat/api/index.js';
export type { MenuApi, Menu, MenuButton, MenuInfo, MatchRule } from './wechat/api/menu.js';
export type { MediaApi, MediaType, MaterialType, MediaFile, MediaFetch, UploadOptions, UploadedMedia, MediaDownloadOptions, MaterialPage } from './wechat/api/media.js';
export type { UserApi, UserInfo, UserLang, Tag } from './wechat/api/user.js';
export type { QrCodeApi, QrCode, QrScene } from './wechat/api/qrcode.js';
export type { UploadFile, UploadSource, UploadForm } from './wechat/body.js';
export type { ErrcodeHint } from './wechat/errcode-hints.js';
export { customMessageOf, type MessageApi, type CustomMessage, type TemplateMessage, type TemplateData, type SubscriptionMessage, type PrivateTemplate } from './wechat/api/message.js';
export type { DomainApi } from './wechat/api/domain.js';
export { jsapiSignature, type JssdkApi, type JssdkConfig, type JssdkConfigInput, type CardExt, type CardExtInput, type TicketType, type ReportCheck } from './wechat/api/jssdk.js';
export type { OAuthApi, OAuthGrant, OAuthUserInfo, OAuthScope, OAuthAccessToken, OAuthRefreshToken, AuthorizeUrlInput } from './wechat/api/oauth.js';
export { oauthLogin, type OAuthLogin, type OAuthLoginOptions } from './oauth/login.js';
export { WechatApiError, TokenPermanentError, TokenQuotaError, UpstreamError, TokenSourceError, type TokenFailureReason, type UpstreamFailureKind } from './wechat/errors.js';

// Tokens: events, stores, the MongoDB models.
export type { RefreshedEvent, RefreshFailedEvent, SavedEvent, StoreErrorEvent, CredentialSource } from './token/events.js';
export type { TokenStatus } from './token/token-manager.js';
export type { Timers, TimerHandle } from './util/timeout.js';
export type { AccessToken, TokenStore, StoredToken, LeaseRequest } from './token/types.js';
export type { ValidityOptions } from './token/validity.js';
export type { SeedStoreFunctions } from './token/store-adapter.js';
export type { MaybePromise } from './util/types.js';
export { TokenStoreError } from './token/errors.js';
export { MemoryTokenStore } from './token/memory-token-store.js';
export { FileTokenStore, type FileTokenStoreOptions } from './token/file-token-store.js';
export { MongoTokenStore, type MongoTokenStoreOptions } from './token/mongo-token-store.js';
export { Token, getTokenModel, getTokenLeaseModel, type TokenModel, type TokenModelStatics, type TokenDocument, type TokenLeaseModel, type TokenLeaseDocument, type SaveAccessTokenData } from './token/token-model.js';

// The webhook.
export {
  webhook,
  reply,
  HandlerRegistry,
  MemoryDedupeStore,
  MongoDedupeStore,
  WebhookRequestError,
  type WebhookMiddleware,
  type WebhookOptions,
  type MessageMode,
  type WebhookObserver,
  type WebhookOutcome,
  type WebhookRequestEvent,
  type WechatRequestState,
  type Reply,
  type TextReply,
  type ImageReply,
  type VoiceReply,
  type VideoReply,
  type MusicReply,
  type NewsReply,
  type NewsArticle,
  type TransferCustomerServiceReply,
  type Handler,
  type HandlerMap,
  type HandlerRegistryFromOptions,
  type HandlerResult,
  type DedupeStore,
  type DedupeRecord,
  type MemoryDedupeStoreOptions,
  type MongoDedupeStoreOptions,
} from './webhook/index.js';
export type * from './webhook/messages.js';
