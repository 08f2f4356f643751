/**
 * Configuration: read `.env` (dotenv) and the process environment, validate every variable, and
 * return one typed, frozen {@link AppConfig}. Every problem is collected and reported at once in a
 * {@link ConfigError}; secret values are never echoed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, type ConfigProblem } from '../src/errors.js';
// Defaults shared with the library: the library modules own them, the config only reads them.
import {
  DEFAULT_TIMESTAMP_WINDOW_SECONDS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_REPLY_DEADLINE_MS,
  DEFAULT_DEDUPE_TTL_SECONDS,
} from '../src/webhook/options.js';
import { DEFAULT_REFRESH_MARGIN_SECONDS } from '../src/token/token-manager.js';
import { DEFAULT_WECHAT_API_BASE } from '../src/wechat/options.js';


/** Default HTTP port. */
export const DEFAULT_PORT = 3000;
/** Default bind address: all interfaces, since WeChat must reach the webhook. */
export const DEFAULT_HOST = '0.0.0.0';
/** Default webhook path. */
export const DEFAULT_WEBHOOK_PATH = '/wechat';
/** Default directory of the file token store. */
export const DEFAULT_DATA_DIR = './data';

/** Routes of the service that `WEBHOOK_PATH` may not take. */
export const RESERVED_PATHS = ['/healthz', '/readyz', '/metrics', '/internal'] as const;

/** Log levels accepted by `LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How webhook POSTs are secured. */
export type MessageMode = 'plain' | 'compatible' | 'safe';
/** Which WeChat endpoint issues tokens. */
export type TokenMode = 'stable' | 'classic';
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
    /** `TOKEN_REFRESH_MARGIN`, seconds before expiry at which a refresh starts. */
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
  };
  readonly webhook: {
    /** `WEBHOOK_TIMESTAMP_WINDOW` seconds; 0 disables the replay check. */
    readonly timestampWindowSeconds: number;
    /** `WEBHOOK_BODY_LIMIT` bytes. */
    readonly bodyLimitBytes: number;
    /** `WEBHOOK_REPLY_DEADLINE_MS`. */
    readonly replyDeadlineMs: number;
    /** `DEDUPE_STORE`. */
    readonly dedupeStore: DedupeStoreKind;
    /** `DEDUPE_TTL_SECONDS`. */
    readonly dedupeTtlSeconds: number;
  };
  /** `WECHAT_HANDLERS`: absolute path of a module exporting handlers, if any. */
  readonly handlersModule: string | undefined;
  readonly tokenService: {
    /** `TOKEN_SERVICE_SECRET` (secret): enables `/internal/access-token`. */
    readonly secret: string | undefined;
  };
  readonly log: {
    /** `LOG_LEVEL`. */
    readonly level: LogLevel;
  };
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Variables to read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A `.env` file to merge under `env` (variables already in `env` win, as with dotenv).
   * `false` skips it. @default `.env` in the working directory, if present
   */
  dotenvPath?: string | false;
  /** Base for relative paths. @default process.cwd() */
  cwd?: string;
}

/** Names of every variable the service reads; documented in `.env.example` and README. */
export const CONFIG_VARIABLES = [
  'NODE_ENV',
  'WECHAT_APP_ID',
  'WECHAT_APP_SECRET',
  'WECHAT_TOKEN',
  'WECHAT_ENCODING_AES_KEY',
  'WECHAT_ENCODING_AES_KEY_PREVIOUS',
  'WECHAT_MESSAGE_MODE',
  'WECHAT_API_BASE',
  'WECHAT_TOKEN_MODE',
  'TOKEN_REFRESH_MARGIN',
  'WECHAT_TOKEN_SOURCE',
  'WECHAT_TOKEN_SOURCE_SECRET',
  'MONGODB_URI',
  'TOKEN_STORE',
  'DATA_DIR',
  'HOST',
  'PORT',
  'WEBHOOK_PATH',
  'TRUST_PROXY',
  'WEBHOOK_TIMESTAMP_WINDOW',
  'WEBHOOK_BODY_LIMIT',
  'WEBHOOK_REPLY_DEADLINE_MS',
  'DEDUPE_STORE',
  'DEDUPE_TTL_SECONDS',
  'WECHAT_HANDLERS',
  'TOKEN_SERVICE_SECRET',
  'LOG_LEVEL',
] as const;

const AES_KEY_RE = /^[a-zA-Z0-9]{43}$/;

function readDotenv(file: string): Record<string, string> {
  try {
    return dotenv.parse(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/**
 * Load, validate and freeze the configuration.
 * @throws {ConfigError} listing every bad or missing variable by name.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const fromFile = options.dotenvPath === false ? {} : readDotenv(path.resolve(cwd, options.dotenvPath ?? '.env'));
  const source = { ...fromFile, ...(options.env ?? process.env) };
  const problems: ConfigProblem[] = [];

  // Empty strings count as unset, as in most dotenv-driven services.
  const raw = (name: string): string | undefined => {
    const v = source[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (variable: string, message: string): undefined => {
    problems.push({ variable, message });
    return undefined;
  };
  const required = (name: string, re: RegExp, expected: string): string | undefined => {
    const v = raw(name);
    if (v === undefined) return bad(name, `is required; expected ${expected}`);
    return re.test(v) ? v : bad(name, `expected ${expected}`);
  };
  const optional = (name: string, re: RegExp, expected: string): string | undefined => {
    const v = raw(name);
    if (v === undefined) return undefined;
    return re.test(v) ? v : bad(name, `expected ${expected}`);
  };
  const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
    const v = raw(name);
    if (v === undefined) return fallback;
    if ((values as readonly string[]).includes(v)) return v as T;
    bad(name, `expected one of ${values.join(', ')}`);
    return fallback;
  };
  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const v = raw(name);
    if (v === undefined) return fallback;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    bad(name, `expected an integer from ${min} to ${max}`);
    return fallback;
  };
  const url = (name: string, fallback: string | undefined): string | undefined => {
    const v = raw(name);
    if (v === undefined) return fallback;
    try {
      const u = new URL(v);
      if (u.protocol === 'http:' || u.protocol === 'https:') return v.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    return bad(name, 'expected an http:// or https:// URL');
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const appId = required('WECHAT_APP_ID', /^wx[0-9a-zA-Z]{16}$/, '"wx" followed by 16 letters or digits (the AppID)');
  // A service that takes its tokens from a central token service does not need (and should not hold) the AppSecret.
  const appSecret = (raw('WECHAT_TOKEN_SOURCE') === undefined ? required : optional)('WECHAT_APP_SECRET', /^[0-9a-zA-Z]{16,64}$/, '16 to 64 letters or digits (the AppSecret)');
  const token = required('WECHAT_TOKEN', /^[0-9a-zA-Z]{3,32}$/, '3 to 32 letters or digits (the webhook Token)');
  const aesKey = optional('WECHAT_ENCODING_AES_KEY', AES_KEY_RE, '43 letters or digits (the EncodingAESKey)');
  const previousAesKey = optional('WECHAT_ENCODING_AES_KEY_PREVIOUS', AES_KEY_RE, '43 letters or digits');
  if (raw('WECHAT_ENCODING_AES_KEY_PREVIOUS') !== undefined && raw('WECHAT_ENCODING_AES_KEY') === undefined) {
    bad('WECHAT_ENCODING_AES_KEY_PREVIOUS', 'is set but WECHAT_ENCODING_AES_KEY is not; set the current key too');
  }
  const messageMode = oneOf('WECHAT_MESSAGE_MODE', ['plain', 'compatible', 'safe'] as const, raw('WECHAT_ENCODING_AES_KEY') ? 'compatible' : 'plain');
  if (messageMode !== 'plain' && raw('WECHAT_ENCODING_AES_KEY') === undefined) {
    bad('WECHAT_MESSAGE_MODE', `"${messageMode}" needs WECHAT_ENCODING_AES_KEY`);
  }
  const apiBase = url('WECHAT_API_BASE', DEFAULT_WECHAT_API_BASE) ?? DEFAULT_WECHAT_API_BASE;
  const tokenMode = oneOf('WECHAT_TOKEN_MODE', ['stable', 'classic'] as const, 'stable');
  const refreshMarginSeconds = integer('TOKEN_REFRESH_MARGIN', 0, 3600, DEFAULT_REFRESH_MARGIN_SECONDS);
  const tokenSource = url('WECHAT_TOKEN_SOURCE', undefined);
  const tokenSourceSecret = optional('WECHAT_TOKEN_SOURCE_SECRET', /^\S{16,256}$/, '16 to 256 non-space characters');
  if (raw('WECHAT_TOKEN_SOURCE') !== undefined && raw('WECHAT_TOKEN_SOURCE_SECRET') === undefined) {
    bad('WECHAT_TOKEN_SOURCE_SECRET', 'is required when WECHAT_TOKEN_SOURCE is set');
  }
  const mongoUri = optional('MONGODB_URI', /^mongodb(\+srv)?:\/\/\S+$/, 'a mongodb:// or mongodb+srv:// URI');
  const tokenStore = oneOf('TOKEN_STORE', ['mongo', 'file', 'memory'] as const, raw('MONGODB_URI') ? 'mongo' : 'file');
  if (tokenStore === 'mongo' && raw('MONGODB_URI') === undefined) bad('TOKEN_STORE', '"mongo" needs MONGODB_URI');
  const dataDir = path.resolve(cwd, raw('DATA_DIR') ?? DEFAULT_DATA_DIR);
  const host = optional('HOST', /^[0-9a-zA-Z.:\-[\]]{1,253}$/, 'a hostname or IP address') ?? DEFAULT_HOST;
  const port = integer('PORT', 0, 65535, DEFAULT_PORT);
  const webhookPath = optional('WEBHOOK_PATH', /^\/[0-9a-zA-Z._~\-/]*$/, 'a path starting with "/"') ?? DEFAULT_WEBHOOK_PATH;
  if (RESERVED_PATHS.some((p) => webhookPath === p || webhookPath.startsWith(`${p}/`))) {
    bad('WEBHOOK_PATH', `must not be one of the service's own routes (${RESERVED_PATHS.join(', ')})`);
  }
  const trustProxy = oneOf('TRUST_PROXY', ['true', 'false'] as const, 'false') === 'true';
  const timestampWindowSeconds = integer('WEBHOOK_TIMESTAMP_WINDOW', 0, 86400, DEFAULT_TIMESTAMP_WINDOW_SECONDS);
  const bodyLimitBytes = integer('WEBHOOK_BODY_LIMIT', 1024, 16 * 1024 * 1024, DEFAULT_BODY_LIMIT_BYTES);
  const replyDeadlineMs = integer('WEBHOOK_REPLY_DEADLINE_MS', 100, 4900, DEFAULT_REPLY_DEADLINE_MS);
  const dedupeStore = oneOf('DEDUPE_STORE', ['memory', 'mongo'] as const, raw('MONGODB_URI') ? 'mongo' : 'memory');
  if (dedupeStore === 'mongo' && raw('MONGODB_URI') === undefined) bad('DEDUPE_STORE', '"mongo" needs MONGODB_URI');
  const dedupeTtlSeconds = integer('DEDUPE_TTL_SECONDS', 15, 86400, DEFAULT_DEDUPE_TTL_SECONDS);
  const handlers = raw('WECHAT_HANDLERS');
  const tokenServiceSecret = optional('TOKEN_SERVICE_SECRET', /^\S{16,256}$/, '16 to 256 non-space characters');
  const level = oneOf('LOG_LEVEL', LOG_LEVELS, 'info');

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    env: nodeEnv,
    wechat: {
      appId: appId as string,
      appSecret: appSecret ?? '',
      token: token as string,
      encodingAESKey: aesKey,
      previousEncodingAESKey: previousAesKey,
      messageMode,
      apiBase,
      tokenMode,
      refreshMarginSeconds,
      tokenSource,
      tokenSourceSecret,
    },
    mongo: { uri: mongoUri },
    tokenStore,
    dataDir,
    server: { host, port, webhookPath, trustProxy },
    webhook: { timestampWindowSeconds, bodyLimitBytes, replyDeadlineMs, dedupeStore, dedupeTtlSeconds },
    handlersModule: handlers === undefined ? undefined : path.resolve(cwd, handlers),
    tokenService: { secret: tokenServiceSecret },
    log: { level },
  });
}

const SECRET_KEYS = new Set(['appSecret', 'token', 'encodingAESKey', 'previousEncodingAESKey', 'tokenSourceSecret', 'secret', 'uri']);

/** A copy of the config safe to log: every secret (and the MongoDB URI) replaced by `[redacted]` or `[unset]`. */
export function redactConfig(config: AppConfig): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) ? (v === undefined ? '[unset]' : '[redacted]') : walk(v)]),
    );
  };
  return walk(config) as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
