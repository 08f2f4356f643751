/**
 * The service's environment variables: ONE table, a row per variable. Loading and validation
 * (./index.ts), redaction, `.env.example` and README's configuration table (./render.ts,
 * `npm run docs:config`) all derive from it; `test/config.test.ts` fails when a generated file
 * disagrees with it.
 *
 * Defaults shared with the library are imported from the modules that own them, never re-exported.
 *
 * Longer than 300 lines on purpose: it is one table, and its value is that every variable is in it.
 */
import { LOG_LEVELS, type AppConfig } from './app-config.js';
import { DEFAULT_REFRESH_MARGIN_SECONDS } from '../src/token/options.js';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_DEDUPE_TTL_SECONDS, DEFAULT_REPLY_DEADLINE_MS, DEFAULT_TIMESTAMP_WINDOW_SECONDS } from '../src/webhook/options.js';
import { DEFAULT_DEDUPE_MAX_BYTES, DEFAULT_DEDUPE_MAX_ENTRIES } from '../src/webhook/dedupe/memory-store.js';
import { DEFAULT_DEDUPE_MAX_REPLY_BYTES } from '../src/webhook/dedupe/mongo-store.js';
import { DEFAULT_TOKEN_MODE, DEFAULT_WECHAT_API_BASE } from '../src/wechat/options.js';

/** Default HTTP port. */
export const DEFAULT_PORT = 3000;
/** Default bind address: all interfaces, since WeChat must reach the webhook. */
export const DEFAULT_HOST = '0.0.0.0';
/** Default webhook path. */
export const DEFAULT_WEBHOOK_PATH = '/wechat';
/** Default directory of the file token store. */
export const DEFAULT_DATA_DIR = './data';
/** Default shortest time between two report-driven jsapi_ticket invalidations, seconds. */
export const DEFAULT_REPORT_INTERVAL_SECONDS = 60;
/** Default lifetime of the web-login session cookie, seconds (one day). */
export const DEFAULT_SESSION_MAX_AGE_SECONDS = 86_400;
/**
 * Bound on the whole shutdown, ms: HTTP drain, late replies, the token refresher and MongoDB. Container
 * platforms kill 10 s after SIGTERM by default (Kubernetes `terminationGracePeriodSeconds`, `docker stop
 * -t`); 9 s leaves a second to spare. Raise that grace period, not only this, to give requests longer.
 */
export const DEFAULT_SHUTDOWN_BUDGET_MS = 9_000;
/** Default cap on open connections; more are refused (closed at once) until some end. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/**
 * Shortest time between two forced refreshes through the invalidate route, ms (WeChat spaces
 * stable_token force refreshes by 30 s too, docs/protocol.md).
 */
export const INVALIDATE_MIN_INTERVAL_MS = 30_000;
/** Routes of the service that `WEBHOOK_PATH` may not take. */
export const RESERVED_PATHS = ['/healthz', '/readyz', '/metrics', '/internal'] as const;

/** Dotted paths of the leaves of `T` (`'wechat.appId'`, `'tokenStore'`). */
type FieldPath<T> = { [K in keyof T & string]: T[K] extends Record<string, unknown> ? `${K}.${FieldPath<T[K]>}` : K }[keyof T & string];

/** A field of {@link AppConfig}. */
export type ConfigField = FieldPath<AppConfig>;

/** How a value is read and checked. */
export type VariableType =
  /** A string matching `pattern`; `expected` names it in errors and docs. */
  | { readonly kind: 'string'; readonly pattern: RegExp; readonly expected: string }
  /** A decimal integer within [min, max]. */
  | { readonly kind: 'integer'; readonly min: number; readonly max: number; readonly unit: string }
  /** One of `values`. */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** `true` or `false`. */
  | { readonly kind: 'boolean' }
  /** An http:// or https:// URL; a trailing slash is dropped. */
  | { readonly kind: 'url' }
  /** A file system path, resolved against the working directory. */
  | { readonly kind: 'path' };

/** Where a variable is documented in `.env.example`. */
export type Section = 'Account (required)' | 'Message encryption (optional)' | 'WeChat API and access_token' | 'Storage' | 'HTTP' | 'Webhook' | 'Operations';

/** One environment variable. */
export interface ConfigVariable {
  /** The variable's name; says its unit (`_SECONDS`, `_MS`, `_BYTES`) when it has one. */
  readonly name: string;
  readonly type: VariableType;
  /**
   * The value when unset: a literal, a function of the other (raw) variables, or undefined (unset).
   * `defaultDoc` describes it in the docs when it is not a plain literal.
   */
  readonly default?: string | number | boolean | ((raw: (name: string) => string | undefined) => string);
  readonly defaultDoc?: string;
  /** `true`, or the name of a variable whose presence makes this one optional. */
  readonly required?: true | { readonly unless: string };
  /** Never logged: redacted in config dumps, never echoed in errors. */
  readonly secret: boolean;
  /** Where the value lands in {@link AppConfig}, as a dotted path. */
  readonly field: ConfigField;
  /** One line of documentation (README and `.env.example`). */
  readonly doc: string;
  /** `.env.example` section. */
  readonly section: Section;
  /** `.env.example` value (commented out unless the variable is required). @default the default */
  readonly example?: string;
  /** A name this variable had before; still read for one release, with a deprecation warning. */
  readonly replaces?: string;
  /**
   * Listed in README's short table, for what most deployments set. Every variable is in
   * docs/configuration.md and `.env.example`.
   */
  readonly readme?: true;
}

const AES_KEY: VariableType = { kind: 'string', pattern: /^[a-zA-Z0-9]{43}$/, expected: '43 letters or digits (the EncodingAESKey)' };
const BEARER: VariableType = { kind: 'string', pattern: /^\S{16,256}$/, expected: '16 to 256 non-space characters' };
const ORIGIN = String.raw`https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?`;
const ORIGINS = new RegExp(`^${ORIGIN}(?:,${ORIGIN})*$`);
const ROUTE_PATH: VariableType = { kind: 'string', pattern: /^\/[0-9a-zA-Z._~\-/]{1,200}$/, expected: 'a path starting with "/"' };
// Koa's app.keys: a comma list, each key long enough to be a secret (commas separate, so none inside).
const COOKIE_KEYS = /^[!-+\--~]{32,256}(?:,[!-+\--~]{32,256}){0,7}$/;
const hasMongo = (raw: (name: string) => string | undefined) => raw('MONGODB_URI') !== undefined;

/** Every variable the service reads, in `.env.example` order. */
export const CONFIG_TABLE: readonly ConfigVariable[] = Object.freeze([
  {
    name: 'WECHAT_APP_ID',
    readme: true,
    type: { kind: 'string', pattern: /^wx[0-9a-zA-Z]{16}$/, expected: '"wx" followed by 16 letters or digits (the AppID)' },
    required: true,
    secret: false,
    field: 'wechat.appId',
    doc: 'AppID of the Official Account (MP console > 设置与开发 > 基本配置)',
    section: 'Account (required)',
    example: 'wx0000000000000000',
  },
  {
    name: 'WECHAT_APP_SECRET',
    readme: true,
    type: { kind: 'string', pattern: /^[0-9a-zA-Z]{16,64}$/, expected: '16 to 64 letters or digits (the AppSecret)' },
    required: { unless: 'WECHAT_TOKEN_SOURCE' },
    default: '',
    secret: true,
    field: 'wechat.appSecret',
    doc: 'AppSecret; not needed with WECHAT_TOKEN_SOURCE',
    section: 'Account (required)',
    example: 'replace-with-your-app-secret-32ch',
  },
  {
    name: 'WECHAT_TOKEN',
    readme: true,
    type: { kind: 'string', pattern: /^[0-9a-zA-Z]{3,32}$/, expected: '3 to 32 letters or digits (the webhook Token)' },
    required: true,
    secret: true,
    field: 'wechat.token',
    doc: 'Token that signs webhook requests, as entered in the MP console',
    section: 'Account (required)',
    example: 'replaceme',
  },
  {
    name: 'WECHAT_ENCODING_AES_KEY',
    readme: true,
    type: AES_KEY,
    secret: true,
    field: 'wechat.encodingAESKey',
    doc: 'EncodingAESKey; setting it enables the compatible and safe modes',
    section: 'Message encryption (optional)',
  },
  {
    name: 'WECHAT_ENCODING_AES_KEY_PREVIOUS',
    type: AES_KEY,
    secret: true,
    field: 'wechat.previousEncodingAESKey',
    doc: 'the previous EncodingAESKey during a key rotation; tried when the current one fails',
    section: 'Message encryption (optional)',
  },
  {
    name: 'WECHAT_MESSAGE_MODE',
    readme: true,
    type: { kind: 'enum', values: ['plain', 'compatible', 'safe'] },
    default: (raw) => (raw('WECHAT_ENCODING_AES_KEY') !== undefined ? 'compatible' : 'plain'),
    defaultDoc: 'compatible with an AES key, else plain',
    secret: false,
    field: 'wechat.messageMode',
    doc: 'how webhook POSTs are secured',
    section: 'Message encryption (optional)',
  },
  {
    name: 'WECHAT_API_BASE',
    readme: true,
    type: { kind: 'url' },
    default: DEFAULT_WECHAT_API_BASE,
    secret: false,
    field: 'wechat.apiBase',
    doc: "base URL of the WeChat API (the local emulator's URL in development)",
    section: 'WeChat API and access_token',
  },
  {
    name: 'WECHAT_TOKEN_MODE',
    type: { kind: 'enum', values: ['stable', 'classic'] },
    default: DEFAULT_TOKEN_MODE,
    secret: false,
    field: 'wechat.tokenMode',
    doc: 'stable (POST /cgi-bin/stable_token) or classic (GET /cgi-bin/token)',
    section: 'WeChat API and access_token',
  },
  {
    name: 'TOKEN_REFRESH_MARGIN_SECONDS',
    replaces: 'TOKEN_REFRESH_MARGIN',
    type: { kind: 'integer', min: 0, max: 3600, unit: 'seconds' },
    default: DEFAULT_REFRESH_MARGIN_SECONDS,
    secret: false,
    field: 'wechat.refreshMarginSeconds',
    doc: 'seconds before expiry at which the token is refreshed in the background',
    section: 'WeChat API and access_token',
  },
  {
    name: 'WECHAT_TOKEN_SOURCE',
    type: { kind: 'url' },
    secret: false,
    field: 'wechat.tokenSource',
    doc: "URL of a central token service (another instance's /internal/access-token) used instead of WeChat's token API",
    section: 'WeChat API and access_token',
  },
  {
    name: 'WECHAT_TOKEN_SOURCE_SECRET',
    type: BEARER,
    secret: true,
    field: 'wechat.tokenSourceSecret',
    doc: 'bearer secret of WECHAT_TOKEN_SOURCE (required with it)',
    section: 'WeChat API and access_token',
  },
  {
    name: 'MONGODB_URI',
    readme: true,
    type: { kind: 'string', pattern: /^mongodb(\+srv)?:\/\/\S+$/, expected: 'a mongodb:// or mongodb+srv:// URI' },
    secret: true,
    field: 'mongo.uri',
    doc: 'MongoDB URI; shares tokens, refresh leases and webhook dedupe across instances',
    section: 'Storage',
    example: 'mongodb://localhost:27017/wechat',
  },
  {
    name: 'TOKEN_STORE',
    type: { kind: 'enum', values: ['mongo', 'file', 'memory'] },
    default: (raw) => (hasMongo(raw) ? 'mongo' : 'file'),
    defaultDoc: 'mongo with MONGODB_URI, else file',
    secret: false,
    field: 'tokenStore',
    doc: 'where tokens are shared',
    section: 'Storage',
  },
  {
    name: 'DATA_DIR',
    type: { kind: 'path' },
    default: DEFAULT_DATA_DIR,
    secret: false,
    field: 'dataDir',
    doc: 'directory of the file token store (relative to the working directory)',
    section: 'Storage',
  },
  {
    name: 'HOST',
    type: { kind: 'string', pattern: /^[0-9a-zA-Z.:\-[\]]{1,253}$/, expected: 'a hostname or IP address' },
    default: DEFAULT_HOST,
    secret: false,
    field: 'server.host',
    doc: 'bind address',
    section: 'HTTP',
  },
  {
    name: 'PORT',
    readme: true,
    type: { kind: 'integer', min: 0, max: 65535, unit: '' },
    default: DEFAULT_PORT,
    secret: false,
    field: 'server.port',
    doc: 'port (0 picks a free one)',
    section: 'HTTP',
  },
  {
    name: 'WEBHOOK_PATH',
    readme: true,
    type: { kind: 'string', pattern: /^\/[0-9a-zA-Z._~\-/]*$/, expected: 'a path starting with "/"' },
    default: DEFAULT_WEBHOOK_PATH,
    secret: false,
    field: 'server.webhookPath',
    doc: `path of the webhook URL entered in the MP console (not ${RESERVED_PATHS.join(', ')})`,
    section: 'HTTP',
  },
  {
    name: 'TRUST_PROXY',
    readme: true,
    type: { kind: 'boolean' },
    default: false,
    secret: false,
    field: 'server.trustProxy',
    doc: "true only behind a reverse proxy that sets X-Forwarded-For (client address for logs and the token service's rate limit)",
    section: 'HTTP',
  },
  {
    name: 'HTTP_MAX_CONNECTIONS',
    type: { kind: 'integer', min: 1, max: 1_000_000, unit: '' },
    default: DEFAULT_MAX_CONNECTIONS,
    secret: false,
    field: 'server.maxConnections',
    doc: 'open connections at most; further ones are closed at once until some end',
    section: 'HTTP',
  },
  {
    name: 'WEBHOOK_TIMESTAMP_WINDOW_SECONDS',
    replaces: 'WEBHOOK_TIMESTAMP_WINDOW',
    type: { kind: 'integer', min: 0, max: 86400, unit: 'seconds' },
    default: DEFAULT_TIMESTAMP_WINDOW_SECONDS,
    secret: false,
    field: 'webhook.timestampWindowSeconds',
    doc: 'seconds a request timestamp may differ from now (replay window); 0 disables the check',
    section: 'Webhook',
  },
  {
    name: 'WEBHOOK_BODY_LIMIT_BYTES',
    replaces: 'WEBHOOK_BODY_LIMIT',
    type: { kind: 'integer', min: 1024, max: 16 * 1024 * 1024, unit: 'bytes' },
    default: DEFAULT_BODY_LIMIT_BYTES,
    secret: false,
    field: 'webhook.bodyLimitBytes',
    doc: 'largest accepted webhook body, bytes',
    section: 'Webhook',
  },
  {
    name: 'WEBHOOK_REPLY_DEADLINE_MS',
    type: { kind: 'integer', min: 100, max: 4900, unit: 'ms' },
    default: DEFAULT_REPLY_DEADLINE_MS,
    secret: false,
    field: 'webhook.replyDeadlineMs',
    doc: 'after this the webhook answers "success" and sends the reply later through the customer-service API (WeChat gives up at 5000)',
    section: 'Webhook',
  },
  {
    name: 'DEDUPE_STORE',
    type: { kind: 'enum', values: ['memory', 'mongo'] },
    default: (raw) => (hasMongo(raw) ? 'mongo' : 'memory'),
    defaultDoc: 'mongo with MONGODB_URI, else memory',
    secret: false,
    field: 'webhook.dedupeStore',
    doc: "where deliveries are remembered to drop WeChat's retries",
    section: 'Webhook',
  },
  {
    name: 'DEDUPE_TTL_SECONDS',
    type: { kind: 'integer', min: 15, max: 86400, unit: 'seconds' },
    default: DEFAULT_DEDUPE_TTL_SECONDS,
    secret: false,
    field: 'webhook.dedupeTtlSeconds',
    doc: 'seconds a delivery is remembered',
    section: 'Webhook',
  },
  {
    name: 'DEDUPE_MAX_ENTRIES',
    type: { kind: 'integer', min: 2, max: 100_000_000, unit: '' },
    default: DEFAULT_DEDUPE_MAX_ENTRIES,
    secret: false,
    field: 'webhook.dedupeMaxEntries',
    doc: 'deliveries the memory dedupe store remembers at most (size it for 15 s of peak pushes, docs/hardening.md)',
    section: 'Webhook',
  },
  {
    name: 'DEDUPE_MAX_BYTES',
    type: { kind: 'integer', min: 2048, max: 2 ** 36, unit: 'bytes' },
    default: DEFAULT_DEDUPE_MAX_BYTES,
    secret: false,
    field: 'webhook.dedupeMaxBytes',
    doc: 'estimated bytes the memory dedupe store holds at most (keys, replies, per-entry overhead)',
    section: 'Webhook',
  },
  {
    name: 'DEDUPE_MAX_REPLY_BYTES',
    type: { kind: 'integer', min: 0, max: 16 * 1024 * 1024, unit: 'bytes' },
    default: DEFAULT_DEDUPE_MAX_REPLY_BYTES,
    secret: false,
    field: 'webhook.dedupeMaxReplyBytes',
    doc: 'largest reply a MongoDB dedupe document keeps; a larger one is answered but its retry gets "success"',
    section: 'Webhook',
  },
  {
    name: 'WECHAT_HANDLERS',
    readme: true,
    type: { kind: 'path' },
    defaultDoc: 'the bundled example handlers',
    secret: false,
    field: 'handlersModule',
    doc: 'path of a JS/TS module exporting your handlers',
    section: 'Webhook',
    example: './handlers.js',
  },
  {
    name: 'TOKEN_SERVICE_SECRET',
    readme: true,
    type: BEARER,
    secret: true,
    field: 'tokenService.secret',
    doc: 'enables GET /internal/access-token for your other services (Bearer auth)',
    section: 'Operations',
  },
  {
    name: 'TOKEN_INVALIDATE_INTERVAL_SECONDS',
    type: { kind: 'integer', min: 1, max: 3600, unit: 'seconds' },
    default: INVALIDATE_MIN_INTERVAL_MS / 1000,
    secret: false,
    field: 'tokenService.invalidateIntervalSeconds',
    doc: 'shortest time between two forced refreshes through /internal/access-token/invalidate (each spends token quota)',
    section: 'Operations',
  },
  {
    name: 'SHUTDOWN_BUDGET_MS',
    type: { kind: 'integer', min: 2000, max: 600_000, unit: 'ms' },
    default: DEFAULT_SHUTDOWN_BUDGET_MS,
    secret: false,
    field: 'server.shutdownBudgetMs',
    doc: "bound on the whole shutdown after SIGTERM; keep it below the platform's grace period (e.g. terminationGracePeriodSeconds)",
    section: 'Operations',
  },
  {
    name: 'JSSDK_ALLOWED_ORIGINS',
    readme: true,
    type: { kind: 'string', pattern: ORIGINS, expected: 'a comma list of http(s) origins, e.g. https://h5.example.com,https://m.example.com' },
    secret: false,
    field: 'jssdk.allowedOrigins',
    doc: 'enables GET JSSDK_CONFIG_PATH and POST JSSDK_REPORT_PATH for pages of these origins (CORS for exactly these)',
    section: 'HTTP',
    example: 'https://h5.example.com',
  },
  {
    name: 'JSSDK_CONFIG_PATH',
    type: ROUTE_PATH,
    default: '/jssdk/config',
    secret: false,
    field: 'jssdk.configPath',
    doc: 'path of the wx.config route (GET ?url=<page URL>&jsApiList=a,b)',
    section: 'HTTP',
  },
  {
    name: 'JSSDK_REPORT_PATH',
    type: ROUTE_PATH,
    default: '/jssdk/report',
    secret: false,
    field: 'jssdk.reportPath',
    doc: 'path where pages POST a config:invalid signature report with the config they used',
    section: 'HTTP',
  },
  {
    name: 'JSSDK_REPORT_INTERVAL_SECONDS',
    type: { kind: 'integer', min: 1, max: 86400, unit: 'seconds' },
    default: DEFAULT_REPORT_INTERVAL_SECONDS,
    secret: false,
    field: 'jssdk.reportIntervalSeconds',
    doc: 'shortest time between two jsapi_ticket invalidations caused by page reports',
    section: 'HTTP',
  },
  {
    name: 'OAUTH_COOKIE_KEYS',
    readme: true,
    type: { kind: 'string', pattern: COOKIE_KEYS, expected: 'a comma list of 1 to 8 keys, each 32 to 256 printable characters without spaces or commas' },
    secret: true,
    field: 'oauth.cookieKeys',
    doc: 'enables web login (OAUTH_LOGIN_PATH, OAUTH_CALLBACK_PATH): keys that sign its cookies, newest first (older ones still verify)',
    section: 'HTTP',
  },
  {
    name: 'OAUTH_LOGIN_PATH',
    type: ROUTE_PATH,
    default: '/oauth/login',
    secret: false,
    field: 'oauth.loginPath',
    doc: 'path of the login route (GET ?returnTo=/path-on-this-site): redirects to WeChat\'s authorize page',
    section: 'HTTP',
  },
  {
    name: 'OAUTH_CALLBACK_PATH',
    type: ROUTE_PATH,
    default: '/oauth/callback',
    secret: false,
    field: 'oauth.callbackPath',
    doc: 'path WeChat sends the user back to (its redirect_uri); the domain must be the one set in the MP console',
    section: 'HTTP',
  },
  {
    name: 'OAUTH_SCOPE',
    type: { kind: 'enum', values: ['snsapi_base', 'snsapi_userinfo'] },
    default: 'snsapi_base',
    secret: false,
    field: 'oauth.scope',
    doc: 'scope asked of WeChat: snsapi_base (silent, the OpenID only) or snsapi_userinfo (asks consent; nickname and avatar)',
    section: 'HTTP',
  },
  {
    name: 'OAUTH_PUBLIC_URL',
    type: { kind: 'string', pattern: new RegExp(`^${ORIGIN}$`), expected: 'an http(s) origin such as https://h5.example.com (no path)' },
    defaultDoc: "the request's protocol and Host (X-Forwarded-Proto and -Host only with TRUST_PROXY=true)",
    secret: false,
    field: 'oauth.publicUrl',
    doc: 'public origin of the service, used to build the absolute redirect_uri',
    section: 'HTTP',
    example: 'https://h5.example.com',
  },
  {
    name: 'OAUTH_SESSION_MAX_AGE_SECONDS',
    type: { kind: 'integer', min: 60, max: 31_536_000, unit: 'seconds' },
    default: DEFAULT_SESSION_MAX_AGE_SECONDS,
    secret: false,
    field: 'oauth.sessionMaxAgeSeconds',
    doc: 'lifetime of the signed session cookie set after a login when the handlers module has no onLogin',
    section: 'HTTP',
  },
  {
    name: 'LOG_LEVEL',
    readme: true,
    type: { kind: 'enum', values: LOG_LEVELS },
    default: 'info',
    secret: false,
    field: 'log.level',
    doc: 'log level',
    section: 'Operations',
  },
  {
    name: 'NODE_ENV',
    type: { kind: 'enum', values: ['development', 'production', 'test'] },
    default: 'development',
    secret: false,
    field: 'env',
    doc: 'pretty logs in a development terminal',
    section: 'Operations',
  },
] satisfies ConfigVariable[]);

/** Names of every variable the service reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(CONFIG_TABLE.map((v) => v.name));
