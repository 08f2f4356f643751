/**
 * Emulator options of the web-page side (docs/protocol.md sections 7 and 8): how getticket behaves
 * (unverified upstream, so each behaviour is a setting) and the sandbox users of the OAuth consent page.
 */
import { InvalidOptionError } from '../errors.js';

/** Ticket types of `/cgi-bin/ticket/getticket`. */
export type TicketType = 'jsapi' | 'wx_card';
/** Both ticket types. */
export const TICKET_TYPES: readonly TicketType[] = ['jsapi', 'wx_card'];

/** How `/cgi-bin/ticket/getticket` behaves. */
export interface TicketEmulationOptions {
  /** Lifetime of a ticket (`expires_in`), seconds of the emulator's clock. @default 7200 */
  lifetimeSeconds?: number;
  /**
   * A second getticket while the current ticket is valid: `'same'` answers it again (with its remaining
   * `expires_in`), `'new'` issues a new one. @default 'new'
   */
  reissue?: 'same' | 'new';
  /** When a new ticket is issued, the previous one stays valid until its own expiry. @default true */
  oldStaysValid?: boolean;
  /** getticket calls per app per Beijing day before 45009 (a low number: WeChat asks to cache). @default 100 */
  dailyQuota?: number;
}

/** A user of the emulated consent page. */
export interface SandboxUser {
  /** A short key, e.g. `alice`; the user's OpenID derives from it and the AppID. */
  key: string;
  nickname: string;
  /** Returned as `unionid` when set. */
  unionid?: string;
  /** `is_snapshotuser: 1` (a user browsing a snapshot page: no real OpenID). @default false */
  snapshot?: boolean;
}

/** The users the consent page lists unless `oauthUsers` is given. */
export const DEFAULT_SANDBOX_USERS: readonly SandboxUser[] = Object.freeze([
  { key: 'alice', nickname: 'Alice', unionid: 'oUnionSandboxAlice000000000' },
  { key: 'bob', nickname: 'Bob' },
  { key: 'carol', nickname: 'Carol (snapshot)', snapshot: true },
]);

/** Resolved {@link TicketEmulationOptions}. */
export type ResolvedTicketOptions = Readonly<Required<TicketEmulationOptions>>;

/** Default getticket quota per app per day. */
export const DEFAULT_TICKET_DAILY_QUOTA = 100;
/** Default ticket lifetime, seconds. */
export const DEFAULT_TICKET_LIFETIME_SECONDS = 7200;
/** An OAuth code works for this long (and once). */
export const OAUTH_CODE_LIFETIME_MS = 5 * 60 * 1000;
/** A user access_token lives this long. */
export const OAUTH_TOKEN_LIFETIME_SECONDS = 7200;
/** A refresh_token lives 30 days. */
export const OAUTH_REFRESH_LIFETIME_MS = 30 * 24 * 3600 * 1000;

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Validate ticket options and fill defaults. @throws {InvalidOptionError} */
export function resolveTicketOptions(o: TicketEmulationOptions | undefined): ResolvedTicketOptions {
  if (o === undefined) o = {};
  if (typeof o !== 'object' || o === null) throw new InvalidOptionError('tickets', 'an object');
  const lifetimeSeconds = o.lifetimeSeconds ?? DEFAULT_TICKET_LIFETIME_SECONDS;
  if (!isInt(lifetimeSeconds, 1, 864_000)) throw new InvalidOptionError('tickets.lifetimeSeconds', 'an integer from 1 to 864000');
  const reissue = o.reissue ?? 'new';
  if (reissue !== 'same' && reissue !== 'new') throw new InvalidOptionError('tickets.reissue', "'same' or 'new'");
  const oldStaysValid = o.oldStaysValid ?? true;
  if (typeof oldStaysValid !== 'boolean') throw new InvalidOptionError('tickets.oldStaysValid', 'a boolean');
  const dailyQuota = o.dailyQuota ?? DEFAULT_TICKET_DAILY_QUOTA;
  if (!isInt(dailyQuota, 0, 1_000_000_000)) throw new InvalidOptionError('tickets.dailyQuota', 'an integer >= 0');
  return Object.freeze({ lifetimeSeconds, reissue, oldStaysValid, dailyQuota });
}

/** Validate the sandbox users. @throws {InvalidOptionError} */
export function resolveSandboxUsers(users: readonly SandboxUser[] | undefined): readonly SandboxUser[] {
  if (users === undefined) return DEFAULT_SANDBOX_USERS;
  if (!Array.isArray(users) || users.length === 0 || users.length > 100) throw new InvalidOptionError('oauthUsers', 'an array of 1 to 100 users');
  const keys = new Set<string>();
  return Object.freeze(
    users.map((u: SandboxUser, i) => {
      if (typeof u?.key !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(u.key) || keys.has(u.key)) {
        throw new InvalidOptionError(`oauthUsers[${i}].key`, 'a unique key of 1 to 32 characters of [A-Za-z0-9_-]');
      }
      keys.add(u.key);
      if (typeof u.nickname !== 'string' || u.nickname.length === 0 || u.nickname.length > 64) {
        throw new InvalidOptionError(`oauthUsers[${i}].nickname`, 'a string of 1 to 64 characters');
      }
      return Object.freeze({ ...u });
    }),
  );
}
