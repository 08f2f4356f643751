/**
 * The shape of the service's configuration: {@link AppConfig}, what `loadConfig()` returns. The table in
 * ./variables.ts names a field of it for every variable.
 */
import type { MessageMode } from '../src/webhook/options.js';
import type { TokenMode } from '../src/wechat/token-endpoint.js';

/** Log levels accepted by `LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Where tokens are shared. */
export type TokenStoreKind = 'mongo' | 'file' | 'memory';
/** Where webhook deliveries are remembered for retry dedupe. */
export type DedupeStoreKind = 'memory' | 'mongo';

/** The validated, frozen configuration of the service. */
export interface AppConfig {
  readonly env: 'development' | 'production' | 'test';
  readonly wechat: {
    /** `WECHAT_APP_ID`. */
    readonly appId: string;
    /** `WECHAT_APP_SECRET` (secret); empty when tokens come from `WECHAT_TOKEN_SOURCE`. */
    readonly appSecret: string;
    /** `WECHAT_TOKEN`: the webhook signing token (secret). */
    readonly token: string;
    /** `WECHAT_ENCODING_AES_KEY` (secret); set enables compatible/safe modes. */
    readonly encodingAESKey: string | undefined;
    /** `WECHAT_ENCODING_AES_KEY_PREVIOUS` (secret), tried when the current key fails. */
    readonly previousEncodingAESKey: string | undefined;
    /** `WECHAT_MESSAGE_MODE`. */
    readonly messageMode: MessageMode;
    /** `WECHAT_API_BASE`, without a trailing slash. */
    readonly apiBase: string;
    /** `WECHAT_TOKEN_MODE`. */
    readonly tokenMode: TokenMode;
    /** `TOKEN_REFRESH_MARGIN_SECONDS`, seconds before expiry at which a refresh starts. */
    readonly refreshMarginSeconds: number;
    /** `WECHAT_TOKEN_SOURCE`: URL of a central token service to use instead of WeChat's token API. */
    readonly tokenSource: string | undefined;
    /** `WECHAT_TOKEN_SOURCE_SECRET` (secret): bearer secret for `tokenSource`. */
    readonly tokenSourceSecret: string | undefined;
  };
  readonly mongo: {
    /** `MONGODB_URI` (may embed credentials: treated as secret). */
    readonly uri: string | undefined;
  };
  /** `TOKEN_STORE`. */
  readonly tokenStore: TokenStoreKind;
  /** `DATA_DIR`, resolved to an absolute path. */
  readonly dataDir: string;
  readonly server: {
    /** `HOST`. */
    readonly host: string;
    /** `PORT` (0 picks a free port). */
    readonly port: number;
    /** `WEBHOOK_PATH`. */
    readonly webhookPath: string;
    /**
     * `TRUST_PROXY`: take the client address from `X-Forwarded-For` (only behind a proxy that sets
     * it; otherwise clients could spoof their address and dodge the token service's rate limit).
     */
    readonly trustProxy: boolean;
    /** `HTTP_MAX_CONNECTIONS`: open connections beyond it are closed at once. */
    readonly maxConnections: number;
    /** `SHUTDOWN_BUDGET_MS`: bound on the whole shutdown (drain, late replies, token refresher, MongoDB). */
    readonly shutdownBudgetMs: number;
  };
  readonly webhook: {
    /** `WEBHOOK_TIMESTAMP_WINDOW_SECONDS`; 0 disables the replay check. */
    readonly timestampWindowSeconds: number;
    /** `WEBHOOK_BODY_LIMIT_BYTES`. */
    readonly bodyLimitBytes: number;
    /** `WEBHOOK_REPLY_DEADLINE_MS`. */
    readonly replyDeadlineMs: number;
    /** `DEDUPE_STORE`. */
    readonly dedupeStore: DedupeStoreKind;
    /** `DEDUPE_TTL_SECONDS`. */
    readonly dedupeTtlSeconds: number;
    /** `DEDUPE_MAX_ENTRIES`: deliveries the memory dedupe store remembers at most. */
    readonly dedupeMaxEntries: number;
    /** `DEDUPE_MAX_BYTES`: estimated bytes the memory dedupe store holds at most. */
    readonly dedupeMaxBytes: number;
    /** `DEDUPE_MAX_REPLY_BYTES`: largest reply one MongoDB dedupe document keeps. */
    readonly dedupeMaxReplyBytes: number;
  };
  /** `WECHAT_HANDLERS`: absolute path of a module exporting handlers, if any. */
  readonly handlersModule: string | undefined;
  readonly tokenService: {
    /** `TOKEN_SERVICE_SECRET` (secret): enables `/internal/access-token`. */
    readonly secret: string | undefined;
    /** `TOKEN_INVALIDATE_INTERVAL_SECONDS`: shortest time between two forced refreshes through the invalidate route. */
    readonly invalidateIntervalSeconds: number;
  };
  readonly jssdk: {
    /** `JSSDK_ALLOWED_ORIGINS`: comma list of page origins; enables the JS-SDK routes. */
    readonly allowedOrigins: string | undefined;
    /** `JSSDK_CONFIG_PATH`. */
    readonly configPath: string;
    /** `JSSDK_REPORT_PATH`. */
    readonly reportPath: string;
    /** `JSSDK_REPORT_INTERVAL_SECONDS`. */
    readonly reportIntervalSeconds: number;
  };
  readonly oauth: {
    /** `OAUTH_COOKIE_KEYS` (secret): comma list of cookie-signing keys; enables the web-login routes. */
    readonly cookieKeys: string | undefined;
    /** `OAUTH_LOGIN_PATH`. */
    readonly loginPath: string;
    /** `OAUTH_CALLBACK_PATH`. */
    readonly callbackPath: string;
    /** `OAUTH_SCOPE`. */
    readonly scope: 'snsapi_base' | 'snsapi_userinfo';
    /** `OAUTH_PUBLIC_URL`: the public origin for redirect_uri; unset uses the request's. */
    readonly publicUrl: string | undefined;
    /** `OAUTH_SESSION_MAX_AGE_SECONDS`. */
    readonly sessionMaxAgeSeconds: number;
  };
  readonly log: {
    /** `LOG_LEVEL`. */
    readonly level: LogLevel;
  };
}
