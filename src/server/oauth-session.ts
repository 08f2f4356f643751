/**
 * The service's default web-login session: one signed (Koa `app.keys`), HttpOnly, SameSite=Lax
 * cookie holding the user's OpenID and an expiry, set after a login when the handlers module brings
 * no `onLogin` of its own. Nothing else is kept: no user token, no server-side state. The value is
 * bounded (an OpenID of at most 64 characters) and checked again when read.
 */
import type { Context } from 'koa';

/** Name of the session cookie (Koa adds `<name>.sig` for its signature). */
export const SESSION_COOKIE = 'wmp_session';

/** What the session cookie holds. */
export interface WebSession {
  readonly openid: string;
  /** Expiry, ms since the epoch. */
  readonly expiresAt: number;
}

const OPENID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest cookie value read: base64url of `{"o":<64>,"e":<13 digits>}` fits in well under this. */
const MAX_VALUE = 256;

/** Options of {@link writeSession} and {@link readSession}. */
export interface SessionCookieOptions {
  /** @default Date.now */
  now?: () => number;
  /**
   * Mark the cookie Secure even when Koa does not see TLS (a TLS-terminating proxy without
   * `app.proxy`, but a public https origin). @default ctx.secure
   */
  secure?: boolean | undefined;
}

/**
 * Set the session cookie for `openid` for `maxAgeSeconds`. Needs `app.keys`.
 * @returns false (and sets nothing) for an OpenID that is not 1 to 64 characters of [A-Za-z0-9_-].
 */
export function writeSession(ctx: Context, openid: string, maxAgeSeconds: number, options: SessionCookieOptions = {}): boolean {
  if (typeof openid !== 'string' || !OPENID_RE.test(openid)) return false;
  const now = options.now ?? Date.now;
  const value = Buffer.from(JSON.stringify({ o: openid, e: now() + maxAgeSeconds * 1000 })).toString('base64url');
  const secure = ctx.secure || options.secure === true;
  if (secure) ctx.cookies.secure = true;
  ctx.cookies.set(SESSION_COOKIE, value, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    maxAge: maxAgeSeconds * 1000,
    path: '/',
    overwrite: true,
  });
  return true;
}

/** The session of this request: undefined when there is none, its signature is wrong, or it expired. */
export function readSession(ctx: Context, options: SessionCookieOptions = {}): WebSession | undefined {
  if (!ctx.app.keys) return undefined;
  const raw = ctx.cookies.get(SESSION_COOKIE, { signed: true });
  if (!raw || raw.length > MAX_VALUE) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { o, e } = (parsed ?? {}) as { o?: unknown; e?: unknown };
  if (typeof o !== 'string' || !OPENID_RE.test(o) || typeof e !== 'number' || !Number.isFinite(e)) return undefined;
  if (e <= (options.now ?? Date.now)()) return undefined;
  return { openid: o, expiresAt: e };
}

/** Remove the session cookie (a logout). */
export function clearSession(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, null, { signed: true, path: '/' });
}
