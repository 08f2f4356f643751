/**
 * Options of {@link startEmulator}, their defaults and their validation.
 */
import { InvalidOptionError } from '../errors.js';
import {
  DEFAULT_CLEAR_QUOTA_MONTHLY_LIMIT,
  DEFAULT_DAILY_QUOTA,
  DEFAULT_EMULATOR_HOST,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_FORCE_REFRESH_DAILY_LIMIT,
  DEFAULT_FORCE_REFRESH_SPACING_SECONDS,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_IP_ERRCODE,
  DEFAULT_STABLE_DAILY_QUOTA,
  DEFAULT_STABLE_MINUTE_QUOTA,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  MAX_UPLOAD_BODY_BYTES,
  SANDBOX_APP,
} from './constants.js';
import { DEFAULT_FOLLOWERS, DEFAULT_MEDIA_MAX_BYTES, DEFAULT_USER_LIST_PAGE_SIZE } from './account-constants.js';
import type { ResolvedTicketOptions, SandboxUser, TicketEmulationOptions } from './h5-options.js';
import { resolveSandboxUsers, resolveTicketOptions } from './h5-options.js';

/** One emulated Official Account. */
export interface EmulatorApp {
  appId: string;
  secret: string;
  /** /cgi-bin/token calls per Beijing day before 45009. @default 2000 */
  dailyQuota?: number;
  /** Answer every token call with the IP-whitelist error. @default false */
  ipNotWhitelisted?: boolean;
  /** Errcode of the IP-whitelist error. @default 40164 (newer docs: 61004) */
  ipErrcode?: number;
  /** AppSecret frozen: token calls answer 40243. @default false */
  secretFrozen?: boolean;
  /** /cgi-bin/stable_token calls per Beijing day before 45009. @default 500000 */
  stableDailyQuota?: number;
  /** /cgi-bin/stable_token calls per minute before 45011. @default 10000 */
  stableMinuteQuota?: number;
  /** clear_quota calls per Beijing calendar month before 48006. @default 10 */
  clearQuotaMonthlyLimit?: number;
  /** Hosts (`host[:port]`) the OAuth consent page accepts in redirect_uri (10003 otherwise). @default [] (any) */
  oauthRedirectHosts?: string[];
}

/** Options of {@link startEmulator}. */
export interface StartEmulatorOptions {
  /** Port to listen on. @default 0 (a free port) */
  port?: number;
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** The setting named when the port is taken (a wrapper's own flag, e.g. `--emulator-port`). @default '--port' */
  portSetting?: string;
  /** Accounts the emulator knows. @default [] */
  apps?: EmulatorApp[];
  /** Also know {@link SANDBOX_APP} (an entry of `apps` with the same appId wins). @default true */
  includeSandboxApp?: boolean;
  /** Base clock in ms; emulated time = clock() + the advanced offset. @default Date.now */
  clock?: () => number;
  /** Seconds a superseded /cgi-bin/token token keeps working, and the stable_token rotation window. @default 300 */
  graceSeconds?: number;
  /** Token lifetime (`expires_in`) in seconds. @default 7200 */
  tokenLifetimeSeconds?: number;
  /** force_refresh calls honoured per app per Beijing day. @default 20 */
  forceRefreshDailyLimit?: number;
  /** Minimum seconds between two honoured force_refresh calls. @default 30 */
  forceRefreshSpacingSeconds?: number;
  /** Followers every account starts with (`oSandboxUser` + 15 digits, the first is the simulator's default user). @default 30 */
  followers?: number;
  /** OpenIDs per page of user/get and the tag/blacklist lists (WeChat: 10000). @default 10000 */
  userListPageSize?: number;
  /**
   * Enforce the 48-hour customer-service window: custom/send and typing answer 45015 unless the user
   * interacted (a push the simulator reported) within 48 hours, 45047 after 20 messages without one.
   * @default false (tests that send to made-up OpenIDs keep working)
   */
  customServiceWindow?: boolean;
  /** Upload size limits per media type, bytes. @default DEFAULT_MEDIA_MAX_BYTES */
  mediaMaxBytes?: Partial<Record<'image' | 'voice' | 'video' | 'thumb', number>>;
  /** getticket behaviour (unverified upstream, so configurable). */
  tickets?: TicketEmulationOptions;
  /** Users listed by the OAuth consent page. @default DEFAULT_SANDBOX_USERS */
  oauthUsers?: SandboxUser[];
}

/** An app with every default filled in. */
export type ResolvedEmulatorApp = Readonly<Required<EmulatorApp>>;

/** Options with every default filled in. */
export interface ResolvedEmulatorOptions {
  readonly port: number;
  readonly host: string;
  readonly portSetting: string;
  readonly apps: readonly ResolvedEmulatorApp[];
  readonly clock: () => number;
  readonly graceSeconds: number;
  readonly tokenLifetimeSeconds: number;
  readonly forceRefreshDailyLimit: number;
  readonly forceRefreshSpacingSeconds: number;
  readonly followers: number;
  readonly userListPageSize: number;
  readonly customServiceWindow: boolean;
  readonly mediaMaxBytes: Readonly<Record<'image' | 'voice' | 'video' | 'thumb', number>>;
  readonly tickets: ResolvedTicketOptions;
  readonly oauthUsers: readonly SandboxUser[];
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function int(name: string, value: unknown, fallback: number, min: number, max?: number): number {
  if (value === undefined) return fallback;
  if (!isInt(value, min, max)) throw new InvalidOptionError(name, `an integer >= ${min}${max === undefined ? '' : ` and <= ${max}`}`);
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, 'a boolean');
  return value;
}

function hostList(name: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 100 || !v.every((h) => typeof h === 'string' && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(h))) {
    throw new InvalidOptionError(name, 'an array of host[:port] names');
  }
  return [...(v as string[])];
}

function resolveApp(app: EmulatorApp, i: number): ResolvedEmulatorApp {
  const p = `apps[${i}]`;
  if (typeof app !== 'object' || app === null) throw new InvalidOptionError(p, 'an object with appId and secret');
  if (typeof app.appId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(app.appId)) {
    throw new InvalidOptionError(`${p}.appId`, '1 to 64 characters of [A-Za-z0-9_-]');
  }
  if (typeof app.secret !== 'string' || app.secret.length === 0 || app.secret.length > 128) {
    throw new InvalidOptionError(`${p}.secret`, 'a non-empty string of at most 128 characters');
  }
  return Object.freeze({
    appId: app.appId,
    secret: app.secret,
    dailyQuota: int(`${p}.dailyQuota`, app.dailyQuota, DEFAULT_DAILY_QUOTA, 0),
    ipNotWhitelisted: bool(`${p}.ipNotWhitelisted`, app.ipNotWhitelisted, false),
    ipErrcode: int(`${p}.ipErrcode`, app.ipErrcode, DEFAULT_IP_ERRCODE, 1),
    secretFrozen: bool(`${p}.secretFrozen`, app.secretFrozen, false),
    stableDailyQuota: int(`${p}.stableDailyQuota`, app.stableDailyQuota, DEFAULT_STABLE_DAILY_QUOTA, 0),
    stableMinuteQuota: int(`${p}.stableMinuteQuota`, app.stableMinuteQuota, DEFAULT_STABLE_MINUTE_QUOTA, 0),
    clearQuotaMonthlyLimit: int(`${p}.clearQuotaMonthlyLimit`, app.clearQuotaMonthlyLimit, DEFAULT_CLEAR_QUOTA_MONTHLY_LIMIT, 0),
    oauthRedirectHosts: hostList(`${p}.oauthRedirectHosts`, app.oauthRedirectHosts),
  });
}

function resolveMediaLimits(given: StartEmulatorOptions['mediaMaxBytes']): ResolvedEmulatorOptions['mediaMaxBytes'] {
  if (given !== undefined && (typeof given !== 'object' || given === null)) throw new InvalidOptionError('mediaMaxBytes', 'an object of byte limits per media type');
  const out = { ...DEFAULT_MEDIA_MAX_BYTES };
  for (const type of Object.keys(out) as (keyof typeof out)[]) out[type] = int(`mediaMaxBytes.${type}`, given?.[type], out[type], 1, MAX_UPLOAD_BODY_BYTES);
  return Object.freeze(out);
}

/**
 * Validate options and fill defaults.
 * @throws {InvalidOptionError} naming the first bad option.
 */
export function resolveEmulatorOptions(options: StartEmulatorOptions = {}): ResolvedEmulatorOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object');
  if (options.apps !== undefined && !Array.isArray(options.apps)) throw new InvalidOptionError('apps', 'an array');
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new InvalidOptionError('clock', 'a function returning ms');
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host.length === 0)) {
    throw new InvalidOptionError('host', 'a non-empty host name or address');
  }
  if (options.portSetting !== undefined && (typeof options.portSetting !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(options.portSetting))) {
    throw new InvalidOptionError('portSetting', 'the name of a flag or variable, such as --emulator-port');
  }
  const byId = new Map<string, ResolvedEmulatorApp>();
  if (bool('includeSandboxApp', options.includeSandboxApp, true)) byId.set(SANDBOX_APP.appId, resolveApp({ ...SANDBOX_APP }, -1));
  const seen = new Set<string>();
  (options.apps ?? []).forEach((a, i) => {
    const r = resolveApp(a, i);
    if (seen.has(r.appId)) throw new InvalidOptionError(`apps[${i}].appId`, 'an appId not listed twice');
    seen.add(r.appId);
    byId.set(r.appId, r);
  });
  const graceSeconds = int('graceSeconds', options.graceSeconds, DEFAULT_GRACE_SECONDS, 0);
  const tokenLifetimeSeconds = int('tokenLifetimeSeconds', options.tokenLifetimeSeconds, DEFAULT_TOKEN_LIFETIME_SECONDS, 1);
  if (graceSeconds >= tokenLifetimeSeconds) throw new InvalidOptionError('graceSeconds', 'fewer seconds than tokenLifetimeSeconds');
  return Object.freeze({
    port: int('port', options.port, DEFAULT_EMULATOR_PORT, 0, 65535),
    host: options.host ?? DEFAULT_EMULATOR_HOST,
    portSetting: options.portSetting ?? '--port',
    apps: Object.freeze([...byId.values()]),
    clock: options.clock ?? Date.now,
    graceSeconds,
    tokenLifetimeSeconds,
    forceRefreshDailyLimit: int('forceRefreshDailyLimit', options.forceRefreshDailyLimit, DEFAULT_FORCE_REFRESH_DAILY_LIMIT, 0),
    forceRefreshSpacingSeconds: int('forceRefreshSpacingSeconds', options.forceRefreshSpacingSeconds, DEFAULT_FORCE_REFRESH_SPACING_SECONDS, 0),
    followers: int('followers', options.followers, DEFAULT_FOLLOWERS, 0, 100_000),
    userListPageSize: int('userListPageSize', options.userListPageSize, DEFAULT_USER_LIST_PAGE_SIZE, 1, 10_000),
    customServiceWindow: bool('customServiceWindow', options.customServiceWindow, false),
    mediaMaxBytes: resolveMediaLimits(options.mediaMaxBytes),
    tickets: resolveTicketOptions(options.tickets),
    oauthUsers: resolveSandboxUsers(options.oauthUsers),
  });
}
