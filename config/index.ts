/**
 * The service's configuration layer: read `.env` (dotenv) and the process environment, check every
 * variable of {@link CONFIG_TABLE} (./variables.ts), apply the rules between variables, and return one
 * typed, frozen {@link AppConfig}. Every problem is collected and reported at once in a
 * {@link ConfigError}; secret values are never echoed.
 *
 * Only the service layer (src/server/), src/main.ts and the sandbox import this folder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, type ConfigProblem } from '../src/errors.js';
import { CONFIG_TABLE, RESERVED_PATHS, type ConfigVariable } from './variables.js';
import type { AppConfig } from './app-config.js';

export { CONFIG_TABLE, CONFIG_VARIABLES, type ConfigVariable, type VariableType } from './variables.js';
export { LOG_LEVELS, type AppConfig, type LogLevel, type TokenStoreKind, type DedupeStoreKind } from './app-config.js';

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
  /**
   * Told of each deprecated variable name in use (the message names the new one).
   * @default process.emitWarning(message, 'DeprecationWarning')
   */
  onDeprecation?: (message: string) => void;
}

/** The variables of a `.env` file, or undefined when there is none. */
function readDotenv(file: string): Record<string, string> | undefined {
  try {
    return dotenv.parse(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Whether `value` is the placeholder `.env.example` gives a variable. The uncommented lines of
 * `.env.example` (the required variables) carry placeholders to be replaced, so such a value
 * means the file was copied and not filled in.
 */
function isPlaceholder(v: ConfigVariable, value: string): boolean {
  return v.required !== undefined && v.example !== undefined && value === v.example;
}

/** What a variable's type accepts, for error messages. */
function expectedOf(v: ConfigVariable): string {
  const t = v.type;
  switch (t.kind) {
    case 'string':
      return t.expected;
    case 'integer':
      return `an integer from ${t.min} to ${t.max}`;
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'boolean':
      return 'one of true, false';
    case 'url':
      return 'an http:// or https:// URL';
    case 'path':
      return 'a path';
  }
}

/** Parse one present value; undefined when it does not fit the type. */
function parse(v: ConfigVariable, value: string, cwd: string): string | number | boolean | undefined {
  const t = v.type;
  switch (t.kind) {
    case 'string':
      return t.pattern.test(value) ? value : undefined;
    case 'integer': {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      return Number.isSafeInteger(n) && n >= t.min && n <= t.max ? n : undefined;
    }
    case 'enum':
      return t.values.includes(value) ? value : undefined;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : undefined;
    case 'url':
      try {
        const u = new URL(value);
        return u.protocol === 'http:' || u.protocol === 'https:' ? value.replace(/\/+$/, '') : undefined;
      } catch {
        return undefined;
      }
    case 'path':
      return path.resolve(cwd, value);
  }
}

/** Rules between variables: each returns a problem for the named variable, or nothing. */
const RULES: readonly ((raw: (name: string) => string | undefined, values: ReadonlyMap<string, unknown>) => ConfigProblem | undefined)[] = [
  (raw) =>
    raw('WECHAT_ENCODING_AES_KEY_PREVIOUS') !== undefined && raw('WECHAT_ENCODING_AES_KEY') === undefined
      ? { variable: 'WECHAT_ENCODING_AES_KEY_PREVIOUS', message: 'is set but WECHAT_ENCODING_AES_KEY is not; set the current key too' }
      : undefined,
  (raw, values) => {
    const mode = values.get('WECHAT_MESSAGE_MODE');
    return mode !== 'plain' && raw('WECHAT_ENCODING_AES_KEY') === undefined ? { variable: 'WECHAT_MESSAGE_MODE', message: `"${String(mode)}" needs WECHAT_ENCODING_AES_KEY` } : undefined;
  },
  (raw) =>
    raw('WECHAT_TOKEN_SOURCE') !== undefined && raw('WECHAT_TOKEN_SOURCE_SECRET') === undefined
      ? { variable: 'WECHAT_TOKEN_SOURCE_SECRET', message: 'is required when WECHAT_TOKEN_SOURCE is set' }
      : undefined,
  (raw, values) => (values.get('TOKEN_STORE') === 'mongo' && raw('MONGODB_URI') === undefined ? { variable: 'TOKEN_STORE', message: '"mongo" needs MONGODB_URI' } : undefined),
  (raw, values) => (values.get('DEDUPE_STORE') === 'mongo' && raw('MONGODB_URI') === undefined ? { variable: 'DEDUPE_STORE', message: '"mongo" needs MONGODB_URI' } : undefined),
  (_raw, values) => {
    const p = values.get('WEBHOOK_PATH') as string;
    return RESERVED_PATHS.some((r) => p === r || p.startsWith(`${r}/`))
      ? { variable: 'WEBHOOK_PATH', message: `must not be one of the service's own routes (${RESERVED_PATHS.join(', ')})` }
      : undefined;
  },
  // Web login: its paths are routes of their own, and its code exchange needs the AppSecret.
  (raw, values) => {
    if (raw('OAUTH_COOKIE_KEYS') === undefined) {
      const set = ['OAUTH_PUBLIC_URL', 'OAUTH_SCOPE', 'OAUTH_LOGIN_PATH', 'OAUTH_CALLBACK_PATH', 'OAUTH_SESSION_MAX_AGE_SECONDS'].find((n) => raw(n) !== undefined);
      return set ? { variable: 'OAUTH_COOKIE_KEYS', message: `is required when ${set} is set (it turns the web-login routes on)` } : undefined;
    }
    if (raw('WECHAT_APP_SECRET') === undefined) return { variable: 'OAUTH_COOKIE_KEYS', message: 'web login exchanges codes with the AppSecret: set WECHAT_APP_SECRET too' };
    const login = values.get('OAUTH_LOGIN_PATH') as string;
    const callback = values.get('OAUTH_CALLBACK_PATH') as string;
    if (login === callback) return { variable: 'OAUTH_CALLBACK_PATH', message: 'must differ from OAUTH_LOGIN_PATH' };
    const taken = [values.get('WEBHOOK_PATH'), values.get('JSSDK_CONFIG_PATH'), values.get('JSSDK_REPORT_PATH')] as string[];
    for (const [name, p] of [['OAUTH_LOGIN_PATH', login], ['OAUTH_CALLBACK_PATH', callback]] as const) {
      if (taken.includes(p) || RESERVED_PATHS.some((r) => p === r || p.startsWith(`${r}/`))) {
        return { variable: name, message: `must not be another route of the service (WEBHOOK_PATH, JSSDK_*_PATH, ${RESERVED_PATHS.join(', ')})` };
      }
    }
    return undefined;
  },
];

/** Put `value` at the dotted `field` of `target`. */
function assign(target: Record<string, unknown>, field: string, value: unknown): void {
  const keys = field.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}

/**
 * Load, validate and freeze the configuration.
 * @throws {ConfigError} listing every bad or missing variable by name.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const dotenvFile = options.dotenvPath === false ? undefined : path.resolve(cwd, options.dotenvPath ?? '.env');
  const fromFile = dotenvFile === undefined ? {} : readDotenv(dotenvFile);
  const source: Record<string, string | undefined> = { ...fromFile, ...(options.env ?? process.env) };
  const onDeprecation = options.onDeprecation ?? ((message: string) => process.emitWarning(message, 'DeprecationWarning'));
  const problems: ConfigProblem[] = [];

  // Empty strings count as unset, as in most dotenv-driven services.
  const present = (name: string): string | undefined => {
    const v = source[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  // A deprecated name is read under the new one, so every rule and message speaks of the new name.
  for (const v of CONFIG_TABLE) {
    if (v.replaces === undefined || present(v.replaces) === undefined) continue;
    if (present(v.name) === undefined) {
      source[v.name] = source[v.replaces];
      onDeprecation(`${v.replaces} is deprecated and will be removed in the next release; use ${v.name}`);
    } else {
      onDeprecation(`${v.replaces} is deprecated and ignored because ${v.name} is set; remove ${v.replaces}`);
    }
  }

  const values = new Map<string, unknown>();
  for (const v of CONFIG_TABLE) {
    const value = present(v.name);
    if (value === undefined) {
      const required = v.required === true || (typeof v.required === 'object' && present(v.required.unless) === undefined);
      if (required) problems.push({ variable: v.name, message: `is required; expected ${expectedOf(v)}` });
      const fallback = typeof v.default === 'function' ? v.default(present) : v.default;
      values.set(v.name, v.type.kind === 'path' && typeof fallback === 'string' ? path.resolve(cwd, fallback) : fallback);
      continue;
    }
    if (isPlaceholder(v, value)) {
      problems.push({ variable: v.name, message: 'still the placeholder from .env.example; set the real value' });
      values.set(v.name, typeof v.default === 'function' ? v.default(present) : v.default);
      continue;
    }
    const parsed = parse(v, value, cwd);
    if (parsed === undefined) {
      problems.push({ variable: v.name, message: `expected ${expectedOf(v)}` });
      values.set(v.name, typeof v.default === 'function' ? v.default(present) : v.default);
    } else {
      values.set(v.name, parsed);
    }
  }
  for (const rule of RULES) {
    const problem = rule(present, values);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    const note = dotenvFile !== undefined && fromFile === undefined ? `no .env found in ${path.dirname(dotenvFile)}` : undefined;
    throw new ConfigError(problems, note);
  }

  const config: Record<string, unknown> = {};
  for (const v of CONFIG_TABLE) assign(config, v.field, values.get(v.name));
  return deepFreeze(config) as unknown as AppConfig;
}

/** Dotted fields of the secret variables. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(CONFIG_TABLE.filter((v) => v.secret).map((v) => v.field));

/** A copy of the config safe to log: every secret (the MongoDB URI too) replaced by `[redacted]` or `[unset]`. */
export function redactConfig(config: AppConfig): Record<string, unknown> {
  const walk = (value: unknown, prefix: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const field = prefix ? `${prefix}.${k}` : k;
        return [k, SECRET_FIELDS.has(field) ? (v === undefined ? '[unset]' : '[redacted]') : walk(v, field)];
      }),
    );
  };
  return walk(config, '') as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
