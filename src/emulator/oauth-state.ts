/**
 * OAuth2 web authorization state of one app (docs/protocol.md section 8): codes handed out by the
 * consent page (valid 5 minutes of the emulator's clock, once), user access_tokens (7200 s) and
 * refresh_tokens (30 days). User tokens are a different kind from the account's access_token: the
 * two are never accepted for each other.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SandboxUser } from './h5-options.js';
import { OAUTH_CODE_LIFETIME_MS, OAUTH_REFRESH_LIFETIME_MS, OAUTH_TOKEN_LIFETIME_SECONDS } from './h5-options.js';

/** The two scopes of web authorization. */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

interface CodeRecord {
  readonly user: SandboxUser;
  readonly scope: OAuthScope;
  readonly issuedAt: number;
  used: boolean;
}

/** A user access_token or refresh_token. */
export interface UserGrant {
  readonly user: SandboxUser;
  readonly openid: string;
  readonly scope: OAuthScope;
  readonly expiresAt: number;
}

/** What exchanging a code or a refresh_token gives. */
export interface IssuedUserToken {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly grant: UserGrant;
}

/** Codes, user tokens and refresh tokens remembered per app (the oldest are forgotten beyond it). */
const MAX_REMEMBERED = 10_000;

/** The OpenID of `user` under `appId` (stable, 28 characters, like WeChat's). */
export function openIdOf(appId: string, user: SandboxUser): string {
  return `o${createHash('sha256').update(`${appId}:${user.key}`).digest('base64url').slice(0, 27)}`;
}

const token = (prefix: string): string => `${prefix}_${randomBytes(60).toString('base64url')}`;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/** OAuth state of one app. */
export class OAuthState {
  readonly #appId: string;
  readonly #codes = new Map<string, CodeRecord>();
  readonly #tokens = new Map<string, UserGrant>();
  readonly #refresh = new Map<string, UserGrant>();

  constructor(appId: string) {
    this.#appId = appId;
  }

  /** A fresh code for `user` (Allow on the consent page). */
  issueCode(user: SandboxUser, scope: OAuthScope, now: number): string {
    const code = randomBytes(16).toString('hex');
    remember(this.#codes, code, { user, scope, issuedAt: now, used: false });
    return code;
  }

  /** Exchange a code: 40029 unknown or expired, 40163 already used. */
  exchange(code: string, now: number): IssuedUserToken | { readonly errcode: 40029 | 40163 } {
    const record = this.#codes.get(code);
    if (!record || now >= record.issuedAt + OAUTH_CODE_LIFETIME_MS) return { errcode: 40029 };
    if (record.used) return { errcode: 40163 };
    record.used = true;
    const grant = { user: record.user, openid: openIdOf(this.#appId, record.user), scope: record.scope };
    const refreshToken = token('rt');
    remember(this.#refresh, refreshToken, { ...grant, expiresAt: now + OAUTH_REFRESH_LIFETIME_MS });
    return { refreshToken, ...this.#issueToken(grant, now) };
  }

  /** A new user access_token from a refresh_token: 40030 unknown, 42002 expired. */
  refresh(refreshToken: string, now: number): IssuedUserToken | { readonly errcode: 40030 | 42002 } {
    const r = this.#refresh.get(refreshToken);
    if (!r) return { errcode: 40030 };
    if (now >= r.expiresAt) return { errcode: 42002 };
    return { refreshToken, ...this.#issueToken(r, now) };
  }

  /** The grant of a user access_token: 40001 unknown, 42001 expired. */
  lookup(accessToken: string, now: number): UserGrant | { readonly errcode: 40001 | 42001 } {
    const g = this.#tokens.get(accessToken);
    if (!g) return { errcode: 40001 };
    if (now >= g.expiresAt) return { errcode: 42001 };
    return g;
  }

  /** True when `accessToken` is a user token of this app (to attribute counters). */
  owns(accessToken: string): boolean {
    return this.#tokens.has(accessToken);
  }

  #issueToken(g: Omit<UserGrant, 'expiresAt'>, now: number): { accessToken: string; grant: UserGrant } {
    const accessToken = token('ut');
    const grant = { user: g.user, openid: g.openid, scope: g.scope, expiresAt: now + OAUTH_TOKEN_LIFETIME_SECONDS * 1000 };
    remember(this.#tokens, accessToken, grant);
    return { accessToken, grant };
  }
}

export { OAUTH_TOKEN_LIFETIME_SECONDS };
